import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

/**
 * Vitest global setup of the api project: gives every test file a directory for its resilience tally
 * (`AttackTally.flush`) and prints one summary line per group once all files ran. A group is a label and
 * a pair of counts: "bad inputs" → tried / rejected with the right status; "faults" → injected / survived.
 */
let dir = "";

const labels: Record<string, [string, string]> = {
  "bad inputs": ["bad inputs tried", "rejected with the right status"],
  faults: ["faults injected", "survived"],
};

export function setup(project: TestProject): void {
  dir = mkdtempSync(join(tmpdir(), "zb-resilience-"));
  project.provide("resilienceTallyDir", dir);
}

export function teardown(): void {
  if (!dir) return;
  const groups = new Map<string, { tried: number; passed: number; files: number }>();
  for (const f of readdirSync(dir)) {
    const t = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
      group: string;
      tried: number;
      passed: number;
    };
    const g = groups.get(t.group) ?? { tried: 0, passed: 0, files: 0 };
    g.tried += t.tried;
    g.passed += t.passed;
    g.files++;
    groups.set(t.group, g);
  }
  for (const [group, g] of groups) {
    const [tried, passed] = labels[group] ?? [`${group} tried`, "passed"];
    console.log(`[resilience] ${tried} ${g.tried} / ${passed} ${g.passed} (${g.files} files)`);
  }
  rmSync(dir, { recursive: true, force: true });
}
