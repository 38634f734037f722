import { describe, expect, it } from "vitest";
import { safeJobId } from "../queues/job-ids.js";
import { QUEUES } from "../queues/queues.js";
import { findJob, isJobName, jobDefinition, registeredJobs } from "./registry.js";

const tenantId = "0b8f6f3e-3f4f-4e0a-9a3e-0d7c1a2b3c4d";

describe("job registry", () => {
  it("registers every job once, each on a known queue", () => {
    const names = registeredJobs().map((j) => j.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(25);
    const queues = new Set<string>(Object.values(QUEUES));
    for (const j of registeredJobs()) expect(queues.has(j.queue), j.name).toBe(true);
    expect(isJobName("export-order")).toBe(true);
    expect(isJobName("toString")).toBe(false);
    expect(findJob("no-such-job")).toBeUndefined();
  });

  it("keeps each job's queue, lane and needs", () => {
    const facts = Object.fromEntries(
      registeredJobs().map((j) => [
        j.name,
        `${j.queue}/${j.lane}/${j.needs}${j.needsInitialSync ? "/after-sync" : ""}`,
      ]),
    );
    expect(facts).toEqual({
      "initial-sync-start": "sync/catalog/bling",
      "initial-sync-step": "sync/catalog/bling",
      "readiness-report": "sync/catalog/bling",
      "refresh-product": "events/stock_price/bling",
      "product-images": "files/catalog/bling",
      "poll-changes": "sync/catalog/bling",
      "drift-audit": "sync/catalog/bling/after-sync",
      "refresh-stock": "events/stock_price/bling",
      "reconcile-stock": "sync/stock_price/bling/after-sync",
      "export-order": "orders/orders/bling",
      "nfe-step": "orders/orders/bling",
      "order-status": "events/status/bling",
      "price-hold": "events/stock_price/bling",
      "resync-sku": "events/stock_price/bling",
      "resync-order": "orders/orders/bling",
      "bling-webhook": "events/stock_price/active-tenant",
      "zydon-order-webhook": "events/orders/nothing",
      "retry-ledger": "events/catalog/bling",
      "token-keepalive": "maintenance/catalog/nothing",
      "purge-secrets": "maintenance/catalog/nothing",
      "prune-retention": "maintenance/catalog/nothing",
      "alert-watch": "maintenance/catalog/nothing",
      "alert-deliver": "maintenance/catalog/nothing",
      "zydon-order-update": "events/orders/bling",
      "watch-zydon-orders": "sync/orders/bling",
    });
  });

  it("rejects payloads that do not match, so a bad job fails loudly", () => {
    expect(() =>
      jobDefinition("export-order").schema.parse({ tenantId: "nope", zydonOrderId: "1" }),
    ).toThrow();
    expect(() => jobDefinition("refresh-stock").schema.parse({ tenantId, blingProductIds: [] })).toThrow();
    expect(() => jobDefinition("bling-webhook").schema.parse({ tenantId, inboxId: 0 })).toThrow();
    expect(() => jobDefinition("initial-sync-step").schema.parse({ tenantId, entity: "orders" })).toThrow();
    expect(jobDefinition("export-order").schema.parse({ tenantId, zydonOrderId: "42" }).zydonOrderId).toBe(
      "42",
    );
  });

  it("knows each payload's tenant", () => {
    const j = jobDefinition("order-status");
    expect(j.tenantIdOf(j.schema.parse({ tenantId, blingOrderId: "7" }))).toBe(tenantId);
    const m = jobDefinition("purge-secrets");
    expect(m.tenantIdOf(m.schema.parse({}))).toBeUndefined();
  });

  it("builds BullMQ-safe job ids (no colon, never all digits)", () => {
    const id = safeJobId("export", "t:1", 42);
    expect(id).not.toContain(":");
    expect(id).not.toMatch(/^\d+$/);
    expect(safeJobId(123)).toBe("j_123");
  });
});
