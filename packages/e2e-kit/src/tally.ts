import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, inject } from "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Set by summary.global.ts: where each resilience test file drops its tally for the closing summary. */
    resilienceTallyDir: string;
  }
}

/**
 * One resilience test file's counts, as it leaves them for the suite summary (summary.global.ts):
 * fault files (kind "faults") count faults injected / survived with the records the state checker found
 * lost or duplicated; attack files (kind "bad inputs") count bad inputs tried / rejected with the right status.
 */
export interface TallyEntry {
  kind: "faults" | "bad inputs";
  file: string;
  tried: number;
  passed: number;
  lost: number;
  duplicated: number;
  misses: string[];
}

/** Prints the file's line and writes its entry to the directory the global setup provided (if any). */
function flushEntry(entry: TallyEntry, line: string): void {
  console.log(line);
  let dir: string | undefined;
  try {
    dir = inject("resilienceTallyDir");
  } catch {
    dir = undefined;
  }
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${entry.file.replace(/[^\w.-]/g, "_")}-${process.pid}.json`),
    JSON.stringify(entry),
  );
}

function missesText(misses: string[]): string {
  return misses.length ? ` — ${misses.join("; ")}` : "";
}

/**
 * Faults injected and survived per test file, with the lost and duplicated records the state checker saw.
 * `record` is called with the checker's own findings, never with a hand-kept number.
 */
export class FaultTally {
  injected = 0;
  survived = 0;
  lost = 0;
  duplicated = 0;
  readonly misses: string[] = [];

  constructor(readonly file: string) {}

  record(label: string, r: { survived: boolean; lost?: number; duplicated?: number; detail?: string }): void {
    this.injected++;
    if (r.survived) this.survived++;
    else this.misses.push(`${label}${r.detail ? `: ${r.detail}` : ""}`);
    this.lost += r.lost ?? 0;
    this.duplicated += r.duplicated ?? 0;
  }

  flush(): void {
    flushEntry(
      {
        kind: "faults",
        file: this.file,
        tried: this.injected,
        passed: this.survived,
        lost: this.lost,
        duplicated: this.duplicated,
        misses: this.misses,
      },
      `[resilience] ${this.file}: faults injected ${this.injected} / survived ${this.survived}, ` +
        `lost ${this.lost}, duplicated ${this.duplicated}${missesText(this.misses)}`,
    );
  }
}

/**
 * Counts bad inputs per test file: every attempt goes through `expectStatus`, so "tried" and "rejected with
 * the right status" come from the assertions themselves, never from a hand-kept number.
 */
export class AttackTally {
  tried = 0;
  rejected = 0;
  readonly misses: string[] = [];

  constructor(readonly file: string) {}

  /** One bad input: counts it, records whether the answer had the expected status, then asserts it. */
  expectStatus(label: string, res: { statusCode: number }, status: number): void {
    this.record(label, res.statusCode === status, `got ${res.statusCode}, want ${status}`);
    expect(res.statusCode, label).toBe(status);
  }

  /** One attempt whose outcome the caller judged (and asserts itself): counted, misses kept for the log. */
  record(label: string, ok: boolean, detail = ""): void {
    this.tried++;
    if (ok) this.rejected++;
    else this.misses.push(`${label}${detail ? `: ${detail}` : ""}`);
  }

  /** Prints this file's line and leaves it for the suite summary (summary.global.ts). */
  flush(): void {
    flushEntry(
      {
        kind: "bad inputs",
        file: this.file,
        tried: this.tried,
        passed: this.rejected,
        lost: 0,
        duplicated: 0,
        misses: this.misses,
      },
      `[resilience] ${this.file}: bad inputs tried ${this.tried} / rejected with the right status ${this.rejected}`,
    );
  }
}
