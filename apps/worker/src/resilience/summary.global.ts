import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Vitest global setup of the worker project: each fault test file drops its tally (`FaultTally.flush`) in
 * a shared directory; after the run one line sums them — faults injected / survived — with the lost and
 * duplicated records the state checker found (which must be zero).
 */
let dir = "";

export function setup(project: TestProject): void {
  dir = mkdtempSync(join(tmpdir(), "zb-worker-faults-"));
  project.provide("faultTallyDir", dir);
}

export function teardown(): void {
  if (!dir) return;
  const total = { injected: 0, survived: 0, lost: 0, duplicated: 0, files: 0 };
  for (const f of readdirSync(dir)) {
    const t = JSON.parse(readFileSync(join(dir, f), "utf8")) as typeof total;
    total.injected += t.injected;
    total.survived += t.survived;
    total.lost += t.lost;
    total.duplicated += t.duplicated;
    total.files++;
  }
  if (total.files > 0)
    console.log(
      `[resilience] faults injected ${total.injected} / survived ${total.survived}, ` +
        `records lost ${total.lost}, duplicated ${total.duplicated} (${total.files} files)`,
    );
  rmSync(dir, { recursive: true, force: true });
}
