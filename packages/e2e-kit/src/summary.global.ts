import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import type { TallyEntry } from "./tally.js";

/**
 * Vitest global setup of every project with a resilience suite (apps/api, tools/e2e: their vitest.config.ts
 * resolves `@zb/e2e-kit/summary.global`): gives each test file a directory for its tally (`FaultTally.flush`,
 * `AttackTally.flush`) and, after the run, prints one line per kind — faults injected / survived with the
 * records lost and duplicated (which must be zero); bad inputs tried / rejected with the right status.
 */
let dir = "";

export function setup(project: TestProject): void {
  dir = mkdtempSync(join(tmpdir(), "zb-resilience-"));
  project.provide("resilienceTallyDir", dir);
}

export function teardown(): void {
  if (!dir) return;
  const totals = new Map<
    TallyEntry["kind"],
    { tried: number; passed: number; lost: number; duplicated: number; files: number }
  >();
  for (const f of readdirSync(dir)) {
    const t = JSON.parse(readFileSync(join(dir, f), "utf8")) as TallyEntry;
    const g = totals.get(t.kind) ?? { tried: 0, passed: 0, lost: 0, duplicated: 0, files: 0 };
    g.tried += t.tried;
    g.passed += t.passed;
    g.lost += t.lost;
    g.duplicated += t.duplicated;
    g.files++;
    totals.set(t.kind, g);
  }
  const faults = totals.get("faults");
  if (faults)
    console.log(
      `[resilience] faults injected ${faults.tried} / survived ${faults.passed}, ` +
        `records lost ${faults.lost}, duplicated ${faults.duplicated} (${faults.files} files)`,
    );
  const attacks = totals.get("bad inputs");
  if (attacks)
    console.log(
      `[resilience] bad inputs tried ${attacks.tried} / rejected with the right status ${attacks.passed} (${attacks.files} files)`,
    );
  rmSync(dir, { recursive: true, force: true });
}
