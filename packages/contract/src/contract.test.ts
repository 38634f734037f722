import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ledgerItemSchema,
  ledgerQuerySchema,
  progressSchema,
  sessionRequestSchema,
  wireDate,
} from "./index.js";

const srcDir = new URL(".", import.meta.url);

describe("@zb/contract", () => {
  it("imports nothing but zod and its own files: it is bundled into the browser", () => {
    const sources = readdirSync(srcDir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(sources.length).toBeGreaterThan(1);
    const specifiers = sources.flatMap((f) =>
      [...readFileSync(new URL(f, srcDir), "utf8").matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]),
    );
    expect(specifiers.filter((s) => s !== "zod" && !s?.startsWith("./"))).toEqual([]);
  });

  it("a Date handed by the API is the ISO string the page reads", () => {
    const at = new Date("2026-03-01T12:00:00.000Z");
    expect(wireDate.parse(at)).toBe("2026-03-01T12:00:00.000Z");
    expect(wireDate.parse("2026-03-01T12:00:00.000Z")).toBe("2026-03-01T12:00:00.000Z");
    expect(wireDate.safeParse("").success).toBe(false);
    const progress = progressSchema.parse({ running: false, entities: [], initialSyncDoneAt: at });
    expect(progress.initialSyncDoneAt).toBe(at.toISOString());
  });

  it("ledger rows: numeric ids become strings, a 0/1 retryable becomes a boolean", () => {
    const item = ledgerItemSchema.parse({
      id: 42,
      entity: "orders",
      entityKey: "PED-1",
      action: "export",
      outcome: "failed",
      attempts: 2,
      updatedAt: "2026-03-01T12:00:00.000Z",
      retryable: 1,
    });
    expect(item).toMatchObject({ id: "42", retryable: true });
    expect(ledgerItemSchema.safeParse({ ...item, outcome: "lost" }).success).toBe(false);
  });

  it("request schemas: the ledger query coerces and defaults, the session body is trimmed and bounded", () => {
    expect(ledgerQuerySchema.parse({ page: "2" })).toEqual({ page: 2, pageSize: 50 });
    expect(ledgerQuerySchema.safeParse({ pageSize: "500" }).success).toBe(false);
    // "ver quais" of one run: an ISO instant, nothing else reaches the query.
    expect(ledgerQuerySchema.parse({ since: "2026-03-01T12:00:00.000Z" }).since).toBe(
      "2026-03-01T12:00:00.000Z",
    );
    expect(ledgerQuerySchema.safeParse({ since: "ontem" }).success).toBe(false);
    expect(ledgerQuerySchema.safeParse({ since: "2026-03-01" }).success).toBe(false);
    expect(sessionRequestSchema.parse({ organizationId: " org-1 ", accessToken: "t" })).toEqual({
      organizationId: "org-1",
      accessToken: "t",
    });
    expect(sessionRequestSchema.safeParse({ organizationId: " ", accessToken: "t" }).success).toBe(false);
  });
});
