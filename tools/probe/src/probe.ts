import { type BlingProbeTarget, blingChecks } from "./bling-checks.js";
import { runChecks } from "./check.js";
import { type ProbeReport, summarize } from "./report.js";
import { type ZydonProbeTarget, zydonChecks } from "./zydon-checks.js";

export interface ProbeOptions {
  zydon?: ZydonProbeTarget | undefined;
  bling?: BlingProbeTarget | undefined;
  /** Create (and disable/remove) one clearly named test record where a write must be checked. */
  write?: boolean;
  now?: () => Date;
}

/** Exercises every endpoint the product depends on at the given tenants and reports each assumption. */
export async function runProbe(opts: ProbeOptions): Promise<ProbeReport> {
  const startedAt = (opts.now?.() ?? new Date()).toISOString();
  const write = opts.write ?? false;
  const rows = [
    ...(opts.zydon ? await runChecks(zydonChecks(opts.zydon, { write })) : []),
    ...(opts.bling ? await runChecks(blingChecks(opts.bling)) : []),
  ];
  return summarize(rows, {
    startedAt,
    target: { zydon: opts.zydon?.apiBaseUrl ?? null, bling: opts.bling?.apiBaseUrl ?? null },
    write,
  });
}
