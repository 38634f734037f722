import type { BlingLane } from "../ports/bling-port.js";
import type { BlingBudget, TokenCallLane } from "./bling-budget.js";
import { isBudgetLane } from "./lanes.js";

/** What the Bling client passes to its `budget` hook before every request. */
export interface BudgetRequest {
  method: string;
  path: string;
  priority?: string;
}

export interface BudgetHookOptions {
  /** Longest a single request waits for a slot before BudgetWaitError (default 30 s). */
  maxWaitMs?: number;
  signal?: AbortSignal;
  /** The tenant these requests are for: its pause flag stops them at the next grant. */
  tenantId?: string;
}

/**
 * The `budget` function the Bling client calls before every request: waits (bounded, abortable) for a slot
 * of `accountId` in `lane` (or in `req.priority` when that names a lane). `/oauth/token` calls are paced by
 * the deployment-wide token cap instead, as they do not count against the account.
 */
export function budgetHook(
  budget: BlingBudget,
  accountId: string,
  lane: BlingLane,
  opts: BudgetHookOptions = {},
): (req: BudgetRequest) => Promise<void> {
  return async (req) => {
    if (/\/oauth\/token\b/.test(req.path)) {
      await budget.waitForTokenCall({
        ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      return;
    }
    const effective = isBudgetLane(req.priority) ? req.priority : lane;
    await budget.waitFor({ ...opts, accountId, lane: effective });
  };
}

/**
 * One `/oauth/token` call of the deployment-wide cap per acquire, from `opts.lane`'s part of it: the token
 * manager's refreshes (default) or the API's code exchanges.
 */
export function tokenCallGate(
  budget: BlingBudget,
  opts: { maxWaitMs?: number; lane?: TokenCallLane } = {},
): { acquire(): Promise<void> } {
  return { acquire: () => budget.waitForTokenCall(opts) };
}
