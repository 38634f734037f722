import { z } from "zod";
import { wireDate } from "./common.js";

/**
 * One outcome per sync step and per pass, decided here only: the API sends it with `GET /api/settings/progress`
 * and the page renders it as it comes. The badge and the sentence come from the same branch, so a row never
 * reads "Concluída" beside failures, nor a success and a failure for the same run.
 */

/** The steps of a sync pass, in the merchant's words (Sincronização's rows). */
export const syncStepLabels: Record<string, string> = {
  payment_methods: "Formas de pagamento",
  products: "Produtos",
  stock: "Estoque",
  prices: "Preços",
  customers: "Clientes",
  categories: "Categorias",
};

/** Where a step's records land in Histórico: the ledger entity its Tipo filter offers. */
export const stepLedgerEntities: Record<string, string> = {
  payment_methods: "payment_method",
  products: "product",
  stock: "stock",
  prices: "price",
  customers: "customer",
  categories: "category",
};

export const runOutcomeKinds = [
  "queued",
  "running",
  /** Finished, nothing failed or skipped. */
  "ok",
  /** Finished, some records skipped (the reason of each is in Histórico). */
  "ok_with_skips",
  /** Finished, some records failed. */
  "partial",
  /** The step itself stopped before the end (its job gave up). */
  "failed",
  /** Never started: an earlier step of its pass stopped. */
  "not_run",
] as const;
export type RunOutcomeKind = (typeof runOutcomeKinds)[number];

/** "ver quais": Histórico filtered to the records behind one count. */
export const outcomeReviewSchema = z.object({
  outcome: z.enum(["failed", "skipped"]),
  count: z.number().int().min(0),
  /** pt-BR link text: "ver quais", or "ver falhas" / "ver ignorados" when both counts show. */
  label: z.string(),
  /** Histórico's Tipo (a ledger entity); null = every type. */
  entity: z.string().nullable(),
  /** Only records recorded since then (the run's start); null = any time. */
  since: wireDate.nullable(),
});
export type OutcomeReview = z.infer<typeof outcomeReviewSchema>;

export const runOutcomeSchema = z.object({
  kind: z.enum(runOutcomeKinds),
  /** pt-BR, short. */
  badge: z.string(),
  /** pt-BR sentence: "Concluída com 3 itens ignorados." */
  sentence: z.string(),
  /** failed / not_run: why (pt-BR). */
  reason: z.string().nullish(),
  /** What the merchant does next (pt-BR). */
  nextStep: z.string().nullish(),
  /**
   * The step's button: "retry" continues a stopped pass from where it stopped ("Tentar de novo"), "resync" runs
   * the step again from the start ("Sincronizar … de novo"); none while it runs or waits on another step.
   */
  action: z.enum(["retry", "resync"]).nullish(),
  review: z.array(outcomeReviewSchema).default([]),
});
export type RunOutcome = z.infer<typeof runOutcomeSchema>;

/** One step's latest run, as the API reads it. */
export interface StepFacts {
  entity: string;
  /** sync_runs.status: queued | running | done | failed | cancelled */
  status: string;
  done: number;
  failed: number;
  skipped: number;
  /** Prices that go with each product (price source "base"): no records of its own. */
  withProducts?: boolean | undefined;
  startedAt?: Date | string | null | undefined;
  /** Why it stopped and what to do, as the sync stored it (null: not stored, or erased with personal data). */
  failure?: { reason: string; nextStep: string } | null | undefined;
}

const integer = new Intl.NumberFormat("pt-BR");
function plural(n: number, one: string, many: string): string {
  return `${integer.format(n)} ${n === 1 ? one : many}`;
}

const failures = (n: number) => plural(n, "falha", "falhas");
const skips = (n: number) => plural(n, "item ignorado", "itens ignorados");

/** "2 falhas e 1 item ignorado", "3 itens ignorados", "" when both are zero. */
function counts(failed: number, skipped: number): string {
  return [failed > 0 ? failures(failed) : "", skipped > 0 ? skips(skipped) : ""].filter(Boolean).join(" e ");
}

const stepLabel = (entity: string) => syncStepLabels[entity] ?? entity;

const RETRY_NEXT = "Clique em “Tentar de novo”: a sincronização continua de onde parou.";
const FAILED_RECORDS_NEXT =
  "Veja o motivo de cada falha no Histórico; depois de corrigir, use “Tentar novamente” ali.";

interface Contribution {
  entity: string;
  failed: number;
  skipped: number;
  startedAt: string | null;
}

function iso(d: Date | string | null | undefined): string | null {
  if (!d) return null;
  return typeof d === "string" ? d : d.toISOString();
}

/**
 * The Histórico links for the steps' counts. A link's Tipo is the step's ledger entity when one step holds the
 * count (every type when several do), and it lists what was recorded since the earliest of those steps began.
 */
function reviews(parts: Contribution[]): OutcomeReview[] {
  const out: OutcomeReview[] = [];
  for (const outcome of ["failed", "skipped"] as const) {
    const holders = parts.filter((p) => p[outcome] > 0);
    if (holders.length === 0) continue;
    const starts = holders.map((p) => p.startedAt);
    const since = starts.every((s): s is string => s !== null)
      ? starts.reduce((a, b) => (Date.parse(a) <= Date.parse(b) ? a : b))
      : null;
    out.push({
      outcome,
      count: holders.reduce((n, p) => n + p[outcome], 0),
      label: "ver quais",
      entity: holders.length === 1 ? (stepLedgerEntities[holders[0]?.entity ?? ""] ?? null) : null,
      since,
    });
  }
  // Two links beside one sentence say which is which.
  if (out.length === 2)
    for (const r of out) r.label = r.outcome === "failed" ? "ver falhas" : "ver ignorados";
  return out;
}

function contribution(s: StepFacts): Contribution {
  return { entity: s.entity, failed: s.failed, skipped: s.skipped, startedAt: iso(s.startedAt) };
}

/** The outcome of finished records: what failed outweighs what was skipped, and both show in the sentence. */
function finished(failed: number, skipped: number, parts: Contribution[]): RunOutcome {
  const review = reviews(parts);
  if (failed > 0)
    return {
      kind: "partial",
      badge: "Com falhas",
      sentence: `Concluída com ${counts(failed, skipped)}.`,
      nextStep: FAILED_RECORDS_NEXT,
      review,
    };
  if (skipped > 0)
    return {
      kind: "ok_with_skips",
      badge: "Concluída com avisos",
      sentence: `Concluída com ${skips(skipped)}.`,
      review,
    };
  return { kind: "ok", badge: "Concluída", sentence: "Concluída sem falhas.", review };
}

function stopped(prefix: string, s: StepFacts, failed: number, skipped: number, parts: Contribution[]) {
  const sofar = counts(failed, skipped);
  return {
    kind: "failed" as const,
    badge: "Falhou",
    sentence: `${prefix}${sofar ? `; até então, ${sofar}` : ""}.`,
    reason: s.failure?.reason ?? "A etapa foi interrompida e o motivo não ficou registrado.",
    nextStep: s.failure?.nextStep ?? RETRY_NEXT,
    review: reviews(parts),
  };
}

function describeStep(s: StepFacts, blockedBy: StepFacts | undefined, initialSyncDone: boolean): RunOutcome {
  // During the first sync a step is only run again through its pass ("Tentar de novo"): a fresh one-step
  // pass would replace the first sync's checkpoint (the page disabled these buttons before it finished).
  const resync = initialSyncDone ? ("resync" as const) : null;
  if (s.status === "queued")
    return { kind: "queued", badge: "Na fila", sentence: "Aguardando as etapas anteriores.", review: [] };
  if (s.status === "running")
    return { kind: "running", badge: "Em andamento", sentence: "Sincronizando…", review: [] };
  if (s.withProducts && s.status === "done")
    return {
      kind: "ok",
      badge: "Junto com os produtos",
      sentence: "Os preços vão junto com cada produto (preço base do Bling).",
      review: [],
    };
  if (s.status === "failed")
    return {
      ...stopped("Parou antes de terminar", s, s.failed, s.skipped, [contribution(s)]),
      action: "retry",
    };
  if (s.status === "cancelled") {
    const name = blockedBy ? stepLabel(blockedBy.entity) : null;
    return {
      kind: "not_run",
      badge: "Não iniciada",
      sentence: name ? `Não começou porque a etapa ${name} parou antes.` : "Não começou.",
      nextStep: name
        ? `Ela começa quando ${name} continuar: “Tentar de novo” em ${name}.`
        : resync && `Clique em “Sincronizar ${stepLabel(s.entity).toLowerCase()} de novo” para rodá-la.`,
      action: name ? null : resync,
      review: [],
    };
  }
  return { ...finished(s.failed, s.skipped, [contribution(s)]), action: resync };
}

/**
 * Every step's outcome, and the pass's: running while a step runs or waits; else the stopped step's failure;
 * else the records' outcome over every step (failures over skips over a clean finish).
 */
export function describeProgress<S extends StepFacts>(
  steps: readonly S[],
  opts: { initialSyncDone: boolean },
): { steps: Array<{ step: S; outcome: RunOutcome }>; overall: RunOutcome | null } {
  const stoppedStep = steps.find((s) => s.status === "failed");
  const perStep = steps.map((step) => ({
    step,
    outcome: describeStep(step, stoppedStep, opts.initialSyncDone),
  }));
  if (steps.length === 0) return { steps: perStep, overall: null };
  const failed = steps.reduce((n, s) => n + s.failed, 0);
  const skipped = steps.reduce((n, s) => n + s.skipped, 0);
  const parts = steps.map(contribution);
  let overall: RunOutcome;
  if (steps.some((s) => s.status === "running"))
    overall = { kind: "running", badge: "Em andamento", sentence: "Sincronizando…", review: [] };
  else if (steps.some((s) => s.status === "queued"))
    overall = { kind: "queued", badge: "Na fila", sentence: "Aguardando para começar.", review: [] };
  else if (stoppedStep)
    overall = stopped(
      `A sincronização parou na etapa ${stepLabel(stoppedStep.entity)}`,
      stoppedStep,
      failed,
      skipped,
      parts,
    );
  else {
    // A step cancelled with no stopped step beside it (its pass was replaced by another): said as it is.
    const notRun = steps.find((s) => s.status === "cancelled");
    overall = notRun
      ? {
          ...describeStep(notRun, undefined, opts.initialSyncDone),
          sentence: `A etapa ${stepLabel(notRun.entity)} não começou.`,
          action: null,
        }
      : finished(failed, skipped, parts);
  }
  return { steps: perStep, overall };
}
