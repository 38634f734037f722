import { z } from "zod";

/*
 * The page's buttons. Each route's exact answer has a schema (the API types its answer with it); the page
 * reads them all through the tolerant `actionResultSchema`, since a button only needs "it worked" and,
 * when present, a count or a pt-BR message.
 */

/**
 * Disconnecting and the purge end every settings session of the tenant (issue 21 #8); the tab that asked gets
 * this one in the answer — same organization, same expiry as the session it sent, the new generation — so
 * the merchant stays on the page while every other tab (a leaked one included) is out.
 */
export const reissuedSessionSchema = z.object({
  token: z.string(),
  expiresAt: z.string(),
  tenantId: z.string(),
});
export type ReissuedSession = z.infer<typeof reissuedSessionSchema>;

/** `POST /api/settings/bling/disconnect`; `message` (pt-BR) says whether Bling confirmed the revocation. */
export const disconnectResponseSchema = z.object({
  wasConnected: z.boolean(),
  revokedAtBling: z.boolean(),
  message: z.string(),
  session: reissuedSessionSchema.optional(),
});
export type DisconnectResponse = z.infer<typeof disconnectResponseSchema>;

/**
 * `POST /bling/connect` (Bearer session, same origin): where the page sends its Bling window. The URL holds a
 * single-use nonce valid about a minute, never the session.
 */
export const blingConnectStartResponseSchema = z.object({ url: z.string() });
export type BlingConnectStartResponse = z.infer<typeof blingConnectStartResponseSchema>;

/** 202 of `POST /api/settings/ledger/:id/retry` and `POST /api/settings/resync/:entity`. */
export const enqueuedResponseSchema = z.object({ status: z.literal("enqueued") });
export type EnqueuedResponse = z.infer<typeof enqueuedResponseSchema>;

/** `POST /api/settings/ledger/:id/price-hold`: the merchant's choice on a held price (answer: 202 enqueued). */
export const priceHoldRequestSchema = z.object({ decision: z.enum(["apply", "discard"]) });
export type PriceHoldRequest = z.infer<typeof priceHoldRequestSchema>;

/** `POST /api/settings/resync-item`: "Sincronizar um item", by SKU or by Zydon order. */
export const resyncItemRequestSchema = z.object({
  kind: z.enum(["sku", "order"], { message: "Escolha SKU ou pedido do Zydon." }),
  value: z
    .string({ message: "Informe o SKU ou o número do pedido." })
    .trim()
    .min(1, "Informe o SKU ou o número do pedido.")
    .max(60, "Use no máximo 60 caracteres."),
});
export type ResyncItemRequest = z.infer<typeof resyncItemRequestSchema>;
/** 202: queued; the page waits for the item's "resync" ledger row updated at or after `requestedAt`. */
export const resyncItemResponseSchema = z.object({ status: z.literal("enqueued"), requestedAt: z.string() });
export type ResyncItemResponse = z.infer<typeof resyncItemResponseSchema>;

/** `POST /api/settings/ledger/retry-failed`: how many failures were queued again. */
export const retryFailedResponseSchema = z.object({ enqueued: z.number().int().min(0) });
export type RetryFailedResponse = z.infer<typeof retryFailedResponseSchema>;

/** `POST /api/settings/pause` and `/resume`; resume says which catch-up it queued. */
export const pauseResponseSchema = z.object({ paused: z.boolean(), catchUp: z.string().optional() });
export type PauseResponse = z.infer<typeof pauseResponseSchema>;

/**
 * `POST /api/settings/guards/:guard/release` ("Aplicar mesmo assim"): whether a held pass was released (and
 * queued again), with the pt-BR sentence the page shows.
 */
export const guardReleaseResponseSchema = z.object({ released: z.boolean(), message: z.string() });
export type GuardReleaseResponse = z.infer<typeof guardReleaseResponseSchema>;

/** What the page reads from any action's answer; an unexpected body is not an error (null). */
export const actionResultSchema = z
  .object({
    enqueued: z.number().optional(),
    retried: z.number().optional(),
    status: z.string().optional(),
    message: z.string().optional(),
  })
  .loose()
  .nullable()
  .catch(null);
export type ActionResult = z.infer<typeof actionResultSchema>;

/**
 * `POST /api/settings/data/purge` ("Excluir meus dados"): the merchant types the word shown on the page as
 * the second confirmation; anything else is refused (400) and nothing is deleted.
 */
export const PURGE_CONFIRMATION_WORD = "EXCLUIR";
export const purgeDataRequestSchema = z.object({ confirmation: z.literal(PURGE_CONFIRMATION_WORD) });
export type PurgeDataRequest = z.infer<typeof purgeDataRequestSchema>;

/** What was removed (row counts) and the pt-BR summary the page shows. */
export const purgeDataResponseSchema = z.object({
  purged: z.object({
    customerLinks: z.number().int().min(0),
    ledgerRows: z.number().int().min(0),
    inboxRows: z.number().int().min(0),
    orderExportsCleared: z.number().int().min(0),
    syncRunErrorsCleared: z.number().int().min(0),
    readinessReports: z.number().int().min(0),
    companyNames: z.number().int().min(0),
    alerts: z.number().int().min(0).default(0),
    alertSettings: z.number().int().min(0).default(0),
  }),
  blingDisconnected: z.boolean(),
  message: z.string(),
  session: reissuedSessionSchema.optional(),
});
export type PurgeDataResponse = z.infer<typeof purgeDataResponseSchema>;
