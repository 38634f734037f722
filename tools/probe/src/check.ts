import { BlingError, BlingNetworkError, BlingUnexpectedResponseError } from "@zb/bling";
import { ZydonError, ZydonNetworkError, ZydonUnexpectedResponseError } from "@zb/zydon";
import type { ProbeRow } from "./report.js";

export interface Check {
  system: ProbeRow["system"];
  assumption: string;
  request: string;
  fix: string;
  /** Resolves with a note when the assumption holds; throws (or returns a `contradicted`) when it does not. */
  run(): Promise<string | { contradicted: string } | { notChecked: string }>;
}

function describe(err: unknown): { result: ProbeRow["result"]; detail: string } {
  if (err instanceof ZydonNetworkError || err instanceof BlingNetworkError) {
    return { result: "unreachable", detail: err.message };
  }
  if (err instanceof ZydonUnexpectedResponseError || err instanceof BlingUnexpectedResponseError) {
    return { result: "contradicted", detail: `answer does not match the product's schema: ${err.message}` };
  }
  if (err instanceof ZydonError)
    return { result: "contradicted", detail: `HTTP ${err.status}: ${err.message}` };
  if (err instanceof BlingError) return { result: "contradicted", detail: err.message };
  return { result: "contradicted", detail: err instanceof Error ? err.message : String(err) };
}

/** Runs every check in order (one at a time: a real tenant's rate limit is shared with production). */
export async function runChecks(checks: Check[]): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  for (const c of checks) {
    const base = { system: c.system, assumption: c.assumption, request: c.request, fix: c.fix };
    try {
      const r = await c.run();
      if (typeof r === "string") rows.push({ ...base, result: "confirmed", detail: r });
      else if ("contradicted" in r) rows.push({ ...base, result: "contradicted", detail: r.contradicted });
      else rows.push({ ...base, result: "not_checked", detail: r.notChecked });
    } catch (err) {
      rows.push({ ...base, ...describe(err) });
    }
  }
  return rows;
}
