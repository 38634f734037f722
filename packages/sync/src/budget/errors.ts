import type { BudgetRefusalReason } from "./bling-budget.js";

/**
 * The budget will not have a slot within the caller's wait bound (or the day is spent / the account is
 * paused). Shaped like the Bling client's rate-limit errors (`action: "wait"`, `retryAfterMs`, `period`,
 * `retryAt`) so the worker delays the job instead of failing it.
 */
export class BudgetWaitError extends Error {
  readonly action = "wait" as const;
  /** "day" when nothing will change before the next Bling day (or the pause's end); else "second". */
  readonly period: "second" | "day";
  constructor(
    readonly reason: BudgetRefusalReason,
    readonly retryAfterMs: number,
    readonly retryAt?: Date,
  ) {
    super(`Bling request budget: no slot (${reason}); retry in ${Math.ceil(retryAfterMs)} ms`);
    this.name = "BudgetWaitError";
    this.period = reason === "day" || reason === "paused" ? "day" : "second";
  }
}
