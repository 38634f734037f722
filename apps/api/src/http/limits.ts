import { type AppDeps, defaultRateLimits } from "../deps.js";

/** Per-route rate-limit config (per client IP, per minute) for @fastify/rate-limit with `global: false`. */
export function rateLimit(deps: Pick<AppDeps, "rateLimits">, kind: "public" | "webhooks") {
  const max = deps.rateLimits?.[kind] ?? defaultRateLimits[kind];
  return { rateLimit: { max, timeWindow: 60_000 } };
}

/** Body limits: JSON the page sends is small; Bling/Zydon webhooks are slim envelopes. */
export const BODY_LIMITS = { json: 64 * 1024, webhook: 256 * 1024 } as const;
