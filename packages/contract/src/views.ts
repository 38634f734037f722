import { z } from "zod";
import { wireDate } from "./common.js";
import { runOutcomeSchema } from "./run-outcome.js";

/*
 * The read-only views of the settings page. Fields marked "not read by the page" are sent by the API for
 * support and debugging; they are optional here so an older API still passes.
 */

export const blingStates = ["not_connected", "connected", "needs_reauth"] as const;
export type BlingState = (typeof blingStates)[number];
export const tenantStates = ["awaiting_bling", "active", "paused", "needs_reauth"] as const;
export type TenantState = (typeof tenantStates)[number];
export const tokenStates = [
  "none",
  "valid",
  "renewing",
  "refresh_failing",
  "expired",
  "needs_reauth",
] as const;
export type TokenState = (typeof tokenStates)[number];

/** `GET /api/settings/connection`: what the Conexão card shows. Never a token: only states, names and times. */
export const connectionSchema = z.object({
  bling: z.object({
    state: z.enum(blingStates),
    companyName: z.string().nullish(),
    /** pt-BR sentence from the API ("Conectado como …"), when it sends one. */
    label: z.string().nullish(),
    /** Not read by the page. */
    blingCompanyId: z.string().nullish(),
  }),
  token: z.object({
    /** One of `tokenStates`; unknown values still render. */
    state: z.string(),
    label: z.string().nullish(),
    /** Not read by the page. */
    accessExpiresAt: wireDate.nullish(),
    refreshExpiresAt: wireDate.nullish(),
    lastRefreshAt: wireDate.nullish(),
    refreshFailures: z.number().optional(),
  }),
  tenant: z.object({
    state: z.string(),
    paused: z.boolean().default(false),
    /** Not read by the page. */
    id: z.string().optional(),
    installedAt: wireDate.nullish(),
  }),
});
export type Connection = z.infer<typeof connectionSchema>;

export const readinessProblemSchema = z.object({
  code: z.string(),
  /** pt-BR: what is wrong. */
  title: z.string(),
  count: z.number(),
  examples: z.array(z.string()).default([]),
  /** pt-BR: what to do. */
  action: z.string(),
  severity: z.enum(["blocker", "warning", "info"]).catch("warning"),
});
export type ReadinessProblem = z.infer<typeof readinessProblemSchema>;

/** `GET /api/settings/readiness` (404 `readiness_not_available` until the sync engine stored a report). */
export const readinessSchema = z.object({
  generatedAt: wireDate.nullish(),
  problems: z.array(readinessProblemSchema),
  sampled: z.boolean().default(false),
  /** Not read by the page: how many records of each kind the report looked at. */
  counts: z.record(z.string(), z.number()).optional(),
});
export type Readiness = z.infer<typeof readinessSchema>;

export const progressEntitySchema = z.object({
  entity: z.string(),
  /** queued | running | done | failed | cancelled */
  status: z.string(),
  done: z.number(),
  total: z.number().nullish(),
  failed: z.number().default(0),
  skipped: z.number().default(0),
  etaSeconds: z.number().nullish(),
  /** `total` comes from the readiness report (the step has not reported its own yet). */
  totalEstimated: z.boolean().default(false),
  /** Prices that come with each product (price source "base"): shown as part of Produtos, not "0 de 0". */
  withProducts: z.boolean().default(false),
  /** Bling requests this step still needs, at the API's minimum. Not read by the page. */
  remainingRequests: z.number().nullish(),
  /** Not read by the page. */
  startedAt: wireDate.nullish(),
  finishedAt: wireDate.nullish(),
  /** The step's one outcome (run-outcome.ts): badge, sentence, why it stopped, the "ver quais" links. */
  outcome: runOutcomeSchema,
});
export type ProgressEntity = z.infer<typeof progressEntitySchema>;

/** `GET /api/settings/progress`: the initial sync per entity. */
export const progressSchema = z.object({
  running: z.boolean(),
  entities: z.array(progressEntitySchema),
  /** Whole remaining initial sync, from the request budget. */
  etaSeconds: z.number().nullish(),
  /** Whole sync: records handled over every step's total (known or estimated). */
  overall: z.object({ processed: z.number(), total: z.number() }).nullish(),
  /** The FIRST sync's finish; never moved by a resync. */
  initialSyncDoneAt: wireDate.nullish(),
  /** The latest resync's finish, when one ran after the first sync. */
  lastResyncDoneAt: wireDate.nullish(),
  /** The pass's one outcome over every step shown (null before any step exists). */
  outcome: runOutcomeSchema.nullish(),
  /** Not read by the page. */
  remainingRequests: z.number().nullish(),
  /** Not read by the page. */
  requestsPerSecond: z.number().optional(),
});
export type Progress = z.infer<typeof progressSchema>;

/** `GET /api/settings/health`: last success per entity, webhook lag, Bling requests today, token state. */
export const healthResponseSchema = z.object({
  paused: z.boolean(),
  /**
   * Settings the sync could not apply (a depósito, loja or price table that does not resolve): nothing was
   * written from them. Non-empty = the tenant needs attention.
   */
  attention: z
    .array(z.object({ setting: z.string(), reason: z.string().nullish(), since: wireDate }))
    .default([]),
  tenantState: z.string().nullish(),
  /** Set while the Bling daily limit pause lasts. */
  blingPausedUntil: wireDate.nullish(),
  token: z.object({ state: z.string(), label: z.string().nullish() }),
  lastSuccess: z.record(z.string(), wireDate.nullable()).default({}),
  webhooks: z
    .record(
      z.string(),
      z.object({
        last24h: z.number().default(0),
        lastReceivedAt: wireDate.nullish(),
        lastLagMs: z.number().nullish(),
        p95LagMs: z.number().nullish(),
      }),
    )
    .default({}),
  requests: z
    .object({
      today: z.number(),
      dailyLimit: z.number(),
      /** Not read by the page. */
      lastSecond: z.number().nullish(),
    })
    .nullish(),
});
export type HealthResponse = z.infer<typeof healthResponseSchema>;

/** `GET /api/settings/activity`: the Sincronização charts. */
export const activitySchema = z.object({
  /** The last 24 whole hours, oldest first, each with the records whose latest attempt fell in it. */
  hours: z.array(
    z.object({
      start: wireDate,
      synced: z.number(),
      skipped: z.number(),
      failed: z.number(),
    }),
  ),
  /** The day's Bling requests against the daily limit (null when the budget cannot be read). */
  requests: z.object({ today: z.number(), dailyLimit: z.number() }).nullish(),
});
export type Activity = z.infer<typeof activitySchema>;
