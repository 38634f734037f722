import type { BudgetRefusalReason } from "./bling-budget.js";

/**
 * The budget will not have a slot within the caller's wait bound (or the day is spent). Shaped like the
 * Bling client's rate-limit errors (`retryAfterMs`, `period`, `retryAt`) so the worker delays the job
 * instead of failing it.
 */
export class BudgetWaitError extends Error {
  readonly action = "wait" as const;
  /**
   * "day" when the whole account is done until the next Bling day, which the worker
   * turns into a tenant pause; "second" for everything else, including a lane kept out of the daily
   * reserve (orders/status may still run) and a paused tenant ("paused"), which only delays the job by
   * `retryAfterMs` (a paused tenant's job then ends as a no-op at its start check).
   */
  readonly period: "second" | "day";
  constructor(
    readonly reason: BudgetRefusalReason,
    readonly retryAfterMs: number,
    readonly retryAt?: Date,
    readonly reserveOnly = false,
  ) {
    super(`Bling request budget: no slot (${reason}); retry in ${Math.ceil(retryAfterMs)} ms`);
    this.name = "BudgetWaitError";
    this.period = reason === "day" && !reserveOnly ? "day" : "second";
  }
}
