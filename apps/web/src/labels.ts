/** Every code the API sends, in the words a merchant reads (pt-BR). Unknown codes fall back to the code. */

import { ledgerActionLabels, ledgerEntityLabels, ledgerOutcomeLabels, syncStepLabels } from "@zb/contract";

export const entityLabels: Record<string, string> = {
  // The ledger's singular kinds come from the contract (the CSV export says the same words), and so do the
  // sync steps (the outcome sentences name them).
  ...ledgerEntityLabels,
  ...syncStepLabels,
  orders: "Pedidos",
  data: "Dados pessoais",
};

/** Entities the ledger filter offers (the ledger records singular entities). */
export const ledgerEntities = [
  "product",
  "variation",
  "image",
  "stock",
  "price",
  "customer",
  "payment_method",
  "order",
  "order_status",
  "nfe",
  "settings",
  "category",
  "brand",
] as const;

export const outcomeLabels: Record<string, string> = ledgerOutcomeLabels;

export const actionLabels: Record<string, string> = ledgerActionLabels;

/** The Bling access (never "token" on the page). */
export const tokenStateLabels: Record<string, string> = {
  valid: "Em dia",
  renewing: "Sendo renovado",
  refresh_failing: "Renovação com falha; nova tentativa em breve",
  expiring: "Renovando em breve",
  expired: "Autorização expirada",
  refresh_failed: "Renovação recusada pelo Bling",
  needs_reauth: "Reconexão necessária",
  none: "Não conectado",
  missing: "Não conectado",
};

export const tenantStateLabels: Record<string, string> = {
  awaiting_bling: "Aguardando conexão com o Bling",
  active: "Ativa",
  paused: "Pausada",
  needs_reauth: "Reconexão necessária",
};

export const severityLabels: Record<string, string> = {
  blocker: "Impede a sincronização",
  warning: "Atenção",
  info: "Informação",
};

/**
 * "1 produto", "2 produtos", "1.234 variações": the count formatted in pt-BR with the right form. The one
 * plural helper of the page (no "produto(s)").
 */
export function plural(n: number, one: string, many: string): string {
  return `${formatNumber(n)} ${n === 1 || n === -1 ? one : many}`;
}

export function label(map: Record<string, string>, code: string): string {
  return map[code] ?? code;
}

const dateTime = new Intl.DateTimeFormat("pt-BR", { dateStyle: "short", timeStyle: "short" });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

const integer = new Intl.NumberFormat("pt-BR");

export function formatNumber(n: number): string {
  return integer.format(n);
}

/** "menos de 1 min", "cerca de 12 min", "cerca de 2 h 5 min". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return "menos de 1 min";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `cerca de ${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m === 0 ? `cerca de ${h} h` : `cerca de ${h} h ${m} min`;
}

/** Webhook lag: seconds are meaningful here (target is under a minute). */
export function formatLag(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  return formatDuration(seconds).replace("cerca de ", "");
}
