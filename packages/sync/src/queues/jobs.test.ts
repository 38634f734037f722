import { describe, expect, it } from "vitest";
import { isJobName, jobQueue, jobSchemas, parseJob } from "./jobs.js";
import { safeJobId } from "./producer.js";

describe("job payloads", () => {
  it("every job has a queue and a schema", () => {
    expect(Object.keys(jobQueue).sort()).toEqual(Object.keys(jobSchemas).sort());
    expect(isJobName("export-order")).toBe(true);
    expect(isJobName("toString")).toBe(false);
  });

  it("rejects payloads that do not match, so a bad job fails loudly", () => {
    expect(() => parseJob("export-order", { tenantId: "nope", zydonOrderId: "1" })).toThrow();
    expect(() => parseJob("refresh-stock", { tenantId: crypto.randomUUID(), blingProductIds: [] })).toThrow();
    const ok = parseJob("export-order", {
      tenantId: "0b8f6f3e-3f4f-4e0a-9a3e-0d7c1a2b3c4d",
      zydonOrderId: "42",
    });
    expect(ok.zydonOrderId).toBe("42");
  });

  it("builds BullMQ-safe job ids (no colon, never all digits)", () => {
    const id = safeJobId("export", "t:1", 42);
    expect(id).not.toContain(":");
    expect(id).not.toMatch(/^\d+$/);
    expect(safeJobId(123)).toBe("j_123");
  });
});
