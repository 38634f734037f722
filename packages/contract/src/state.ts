import { z } from "zod";
import { wireDate } from "./common.js";

/**
 * The integration's one state, as every tab shows it (banner at the top of the page). Computed once, on the
 * API side, by `computePageState` from the facts the API reads; the page never re-derives it.
 */
export const pageStates = [
  "uninstalled",
  "not_connected",
  "reconnect",
  "first_sync",
  "paused",
  "catching_up",
  "attention",
  "active",
] as const;
export type PageState = (typeof pageStates)[number];

/** Held mass-change passes the merchant may release ("Aplicar mesmo assim"). */
export const guardKinds = ["stock", "price"] as const;
export type GuardKind = (typeof guardKinds)[number];

/** A setting the sync could not apply, or a held mass change, with its pt-BR reason. */
export const attentionItemSchema = z.object({
  setting: z.string(),
  reason: z.string().nullish(),
  since: wireDate.nullish(),
  /** Set for a held mass change: `POST /api/settings/guards/:guard/release` applies it anyway. */
  guard: z.enum(guardKinds).nullish(),
});
export type AttentionItem = z.infer<typeof attentionItemSchema>;

/** `GET /api/settings/state`. */
export const pageStateSchema = z.object({
  state: z.enum(pageStates),
  /** pt-BR, short: "Pausada". */
  title: z.string(),
  /** pt-BR sentence: what it means and what to do. */
  detail: z.string(),
  /** Bling changes received while paused, not applied yet (paused / catching up). */
  waiting: z.number().int().min(0).default(0),
  /** The sync can be asked to run (resync buttons): connected, installed and not paused. */
  canSync: z.boolean(),
  /** Pause / resume makes sense: installed and connected (or already paused). */
  canPause: z.boolean(),
  attention: z.array(attentionItemSchema).default([]),
});
export type PageStateResponse = z.infer<typeof pageStateSchema>;

/** The facts the state is computed from (the API reads them; tests give them directly). */
export interface PageStateFacts {
  /** tenants.state: "paused" there is the uninstalled tenant (the merchant's pause is `merchantPaused`). */
  tenantState: string;
  bling: "not_connected" | "connected" | "needs_reauth";
  merchantPaused: boolean;
  initialSyncDone: boolean;
  /** First sync steps queued or running. */
  initialSyncRunning: boolean;
  /** A step of the first sync stopped (its job gave up): nothing runs until "Tentar de novo" or a reconnect. */
  initialSyncStopped?: boolean | undefined;
  /** Changes received while paused and not yet caught up. */
  waiting: number;
  /** Resumed, and the catch-up has not run yet. */
  catchingUp: boolean;
  attention: AttentionItem[];
}

function plural(n: number, one: string, many: string): string {
  return `${new Intl.NumberFormat("pt-BR").format(n)} ${n === 1 ? one : many}`;
}

/**
 * The one function deciding what the page says the integration is doing. Order matters: a state that blocks
 * everything (uninstalled, not connected, reconnect) wins over the pause, the pause over the first sync,
 * and problems show as "attention" only while the sync is otherwise running.
 */
export function computePageState(f: PageStateFacts): PageStateResponse {
  const base = { waiting: f.waiting, attention: f.attention };
  if (f.tenantState === "paused")
    return {
      ...base,
      state: "uninstalled",
      title: "App desinstalado",
      detail:
        "O app foi removido no App Center do Zydon: nada é sincronizado. Instale de novo para retomar; vínculos e configurações ficam guardados por um tempo.",
      canSync: false,
      canPause: false,
    };
  if (f.bling === "not_connected" || f.tenantState === "awaiting_bling")
    return {
      ...base,
      state: f.bling === "needs_reauth" ? "reconnect" : "not_connected",
      title: f.bling === "needs_reauth" ? "Reconexão necessária" : "Bling não conectado",
      detail:
        f.bling === "needs_reauth"
          ? "O Bling não aceita mais o acesso desta integração. Reconecte em Conexão; nada é sincronizado até lá."
          : "Conecte sua conta do Bling em Conexão para começar. Nada é sincronizado até lá.",
      canSync: false,
      canPause: f.merchantPaused,
    };
  if (f.bling === "needs_reauth" || f.tenantState === "needs_reauth")
    return {
      ...base,
      state: "reconnect",
      title: "Reconexão necessária",
      detail:
        "O Bling não aceita mais o acesso desta integração. Reconecte em Conexão; nada é sincronizado até lá.",
      canSync: false,
      canPause: true,
    };
  if (f.merchantPaused)
    return {
      ...base,
      state: "paused",
      title: "Pausada",
      detail:
        f.waiting > 0
          ? `Nada é enviado ao Bling nem ao Zydon. ${plural(f.waiting, "alteração recebida do Bling aguarda", "alterações recebidas do Bling aguardam")} a retomada.`
          : "Nada é enviado ao Bling nem ao Zydon. As alterações feitas no Bling são aplicadas quando você retomar.",
      canSync: false,
      canPause: true,
    };
  if (f.catchingUp)
    return {
      ...base,
      state: "catching_up",
      title: "Retomando",
      detail:
        f.waiting > 0
          ? `Aplicando ${plural(f.waiting, "alteração recebida", "alterações recebidas")} durante a pausa.`
          : "Buscando no Bling o que mudou durante a pausa.",
      canSync: true,
      canPause: true,
    };
  if (!f.initialSyncDone && f.initialSyncStopped && !f.initialSyncRunning)
    return {
      ...base,
      state: "first_sync",
      title: "Primeira sincronização parou",
      detail: "Uma etapa não terminou; o motivo e o que fazer estão em Sincronização.",
      // "Tentar de novo" continues it (the only sync action offered until it finishes).
      canSync: true,
      canPause: true,
    };
  if (!f.initialSyncDone || f.initialSyncRunning)
    return {
      ...base,
      state: "first_sync",
      title: f.initialSyncDone ? "Sincronizando de novo" : "Primeira sincronização",
      detail: f.initialSyncDone
        ? "Uma nova sincronização está em andamento; acompanhe em Sincronização."
        : "A primeira sincronização está em andamento; acompanhe em Sincronização.",
      canSync: f.initialSyncDone,
      canPause: true,
    };
  if (f.attention.length > 0)
    return {
      ...base,
      state: "attention",
      title: "Atenção",
      detail:
        f.attention.length === 1
          ? "Uma configuração não pôde ser aplicada; nada foi enviado a partir dela."
          : `${f.attention.length} configurações não puderam ser aplicadas; nada foi enviado a partir delas.`,
      canSync: true,
      canPause: true,
    };
  return {
    ...base,
    state: "active",
    title: "Ativa",
    detail: "Estoque, preços e pedidos seguem entre o Bling e o Zydon em segundos.",
    canSync: true,
    canPause: true,
  };
}
