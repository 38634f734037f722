import type { BlingLane } from "../ports/bling-port.js";

/** Highest priority first: a waiting lane makes every lane after it yield. */
export const budgetLanes = [
  "orders",
  "status",
  "stock_price",
  "catalog",
  "customers",
] as const satisfies readonly BlingLane[];

/** Lanes allowed to spend the daily reserve, so a big catalog sync cannot burn the day's last requests. */
export const reserveLanes: readonly BlingLane[] = ["orders", "status"];

export function isBudgetLane(value: unknown): value is BlingLane {
  return typeof value === "string" && (budgetLanes as readonly string[]).includes(value);
}

/** Lanes that outrank `lane` (empty for orders). */
export function higherLanes(lane: BlingLane): BlingLane[] {
  const i = budgetLanes.indexOf(lane);
  if (i < 0) throw new TypeError(`unknown budget lane: ${String(lane)}`);
  return budgetLanes.slice(0, i);
}
