import { describeProgress, type progressSchema } from "@zb/contract";
import type { z } from "zod";

type Wire = z.input<typeof progressSchema>;
type WireStep = Omit<Wire["entities"][number], "outcome">;

/**
 * A progress answer as apps/api's progressView sends it: each step's and the pass's outcome decided by the
 * contract's describeProgress from the steps given (plus the reason a stopped step stored, `failure`).
 */
export function wireProgress(
  p: Omit<Wire, "entities" | "outcome"> & {
    entities: Array<WireStep & { failure?: { reason: string; nextStep: string } | null }>;
  },
): Wire {
  const { steps, overall } = describeProgress(
    p.entities.map((e) => ({ ...e, failed: e.failed ?? 0, skipped: e.skipped ?? 0 })),
    { initialSyncDone: Boolean(p.initialSyncDoneAt) },
  );
  return {
    ...p,
    entities: steps.map(({ step: { failure: _stored, ...step }, outcome }) => ({ ...step, outcome })),
    outcome: overall,
  };
}
