/** Statuses are matched by identical name; compare trimmed, case- and accent-insensitively (peers' bug: case). */
export function normalizeStatusName(name: string): string {
  return name
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .trim()
    .replace(/\s+/g, " ")
    .toLocaleLowerCase("pt-BR");
}

export interface ZydonStatusLike {
  id: string;
  name: string;
  canEditByApi: boolean;
  /** Ids of the statuses an order may move to from this one. */
  nextIds: string[];
}

/** The statuses reachable from `fromId` along Zydon's allowed transitions (`fromId` itself excluded). */
function reachableFrom(statuses: ReadonlyArray<ZydonStatusLike>, fromId: string): Set<string> {
  const byId = new Map(statuses.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const queue = [...(byId.get(fromId)?.nextIds ?? [])];
  while (queue.length > 0) {
    const id = queue.shift() as string;
    if (seen.has(id) || id === fromId) continue;
    seen.add(id);
    queue.push(...(byId.get(id)?.nextIds ?? []));
  }
  return seen;
}

/**
 * Whether an order in `currentId` is "from `fromId` on" (the export trigger): the status itself, or one that
 * comes after it: reachable from it along the allowed transitions while `fromId` is not reachable back from
 * it (in a loop nobody can say which comes first), and not a cancelled status. An order moved straight past
 * the chosen status (Em aberto → Faturado, skipping Aprovado) is exported too.
 */
export function isAtOrPastStatus(
  statuses: ReadonlyArray<ZydonStatusLike & { type?: string | null }>,
  fromId: string,
  currentId: string | null,
): boolean {
  if (!currentId) return false;
  if (currentId === fromId) return true;
  const current = statuses.find((s) => s.id === currentId);
  if (!current || current.type === "CANCELLED") return false;
  return reachableFrom(statuses, fromId).has(currentId) && !reachableFrom(statuses, currentId).has(fromId);
}

export type StatusDecision =
  | { kind: "move"; toId: string }
  | { kind: "already"; toId: string }
  | { kind: "missing"; reason: string }
  | { kind: "forbidden"; reason: string };

/**
 * Decide whether a Zydon order in `currentId` may move to the status named like Bling's situação.
 * Every "no" carries a pt-BR reason for the ledger.
 */
export function decideStatusMove(
  blingName: string,
  currentId: string | null,
  statuses: ZydonStatusLike[],
): StatusDecision {
  const target = statuses.find((s) => normalizeStatusName(s.name) === normalizeStatusName(blingName));
  if (!target) {
    return {
      kind: "missing",
      reason: `Não existe no Zydon um status com o nome "${blingName}". Crie-o com o mesmo nome da situação do Bling.`,
    };
  }
  if (currentId === target.id) return { kind: "already", toId: target.id };
  if (!target.canEditByApi) {
    return {
      kind: "forbidden",
      reason: `O status "${target.name}" do Zydon não permite alteração via API (can_edit_by_api).`,
    };
  }
  const current = statuses.find((s) => s.id === currentId);
  if (current && !current.nextIds.includes(target.id)) {
    return {
      kind: "forbidden",
      reason: `O Zydon não permite mudar o pedido de "${current.name}" para "${target.name}" (transição não cadastrada).`,
    };
  }
  return { kind: "move", toId: target.id };
}
