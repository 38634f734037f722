import { describe, expect, it } from "vitest";
import { estimateProgress, type RunRow, requestsFor } from "./progress-estimate.js";

const order = ["payment_methods", "products", "stock", "prices", "customers"] as const;

function run(entity: RunRow["entity"], over: Partial<RunRow> = {}): RunRow {
  return {
    entity,
    status: "queued",
    done: 0,
    failed: 0,
    skipped: 0,
    total: null,
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}

describe("requestsFor", () => {
  it("counts list pages and detail reads at the API minimum", () => {
    expect(requestsFor("products", 120)).toBe(2 + 120);
    expect(requestsFor("customers", 80)).toBe(1 + 80);
    expect(requestsFor("stock", 250)).toBe(3);
    expect(requestsFor("payment_methods", 12)).toBe(1);
    expect(requestsFor("categories", 130)).toBe(2);
    expect(requestsFor("products", 0)).toBe(0);
  });
});

describe("estimateProgress", () => {
  it("estimates the whole demo sync (120 products, 80 contacts) at about 2 minutes, not under 1", () => {
    const e = estimateProgress({
      order,
      share: 2,
      pricesWithProducts: true,
      counts: { products: 135, topLevelProducts: 120, contactsListed: 80, paymentMethods: 6 },
      runs: [
        run("payment_methods", { status: "done", done: 6, total: 6, finishedAt: new Date() }),
        run("products", { status: "running", done: 10, total: 120 }),
        run("stock"),
        run("prices"),
        run("customers"),
      ],
    });
    // products 110 left: 2 pages + 110 details; stock 135 → 2; customers 80 → 1 + 80.
    expect(e.remainingRequests).toBe(112 + 2 + 81);
    expect(e.etaSeconds).toBe(Math.ceil(195 / 2));
    expect(e.etaSeconds).toBeGreaterThan(60);
    const customers = e.steps.find((s) => s.entity === "customers");
    expect(customers).toMatchObject({ status: "queued", total: 80, totalEstimated: true, etaSeconds: 41 });
    // Whole sync: 6 + 10 handled of 6 + 120 + 135 + 80 (prices come with products, not counted apart).
    expect(e.overall).toEqual({ processed: 16, total: 6 + 120 + 135 + 80 });
  });

  it("a categories step not yet run (its size unknown) counts one request and leaves the bar and ETA known", () => {
    const e = estimateProgress({
      order: ["payment_methods", "categories", "products"],
      share: 2,
      pricesWithProducts: true,
      counts: { topLevelProducts: 120, paymentMethods: 6 },
      runs: [run("payment_methods", { status: "running", done: 0 }), run("categories"), run("products")],
    });
    expect(e.steps.find((s) => s.entity === "categories")).toMatchObject({
      total: null,
      remainingRequests: 1,
    });
    // payment methods 1 page + categories 1 + products 2 pages + 120 details.
    expect(e.remainingRequests).toBe(1 + 1 + 122);
    expect(e.overall).toEqual({ processed: 0, total: 6 + 120 });
  });

  it("divides by the account's share: half the share, twice the time", () => {
    const input = {
      order,
      pricesWithProducts: true,
      runs: [run("products", { status: "running", done: 0, total: 200 })],
    };
    const fast = estimateProgress({ ...input, share: 2 });
    const slow = estimateProgress({ ...input, share: 1 });
    expect(slow.etaSeconds).toBe((fast.etaSeconds as number) * 2);
  });

  it("shows prices that come with products as part of them, never '0 de 0'", () => {
    const e = estimateProgress({
      order,
      share: 2,
      pricesWithProducts: true,
      runs: [run("prices", { status: "done", total: 0, finishedAt: new Date() })],
    });
    expect(e.steps[0]).toMatchObject({ entity: "prices", withProducts: true, total: null });
    expect(e.overall).toBeNull();
  });

  it("has no ETA when an active step's size is unknown (no readiness counts)", () => {
    const e = estimateProgress({
      order,
      share: 2,
      pricesWithProducts: false,
      runs: [run("products", { status: "running", done: 5, total: 50 }), run("customers")],
    });
    expect(e.etaSeconds).toBeNull();
    expect(e.overall).toBeNull();
    expect(e.steps.find((s) => s.entity === "products")?.etaSeconds).toBe(Math.ceil((1 + 45) / 2));
  });

  it("is not running and has no ETA once every step finished", () => {
    const e = estimateProgress({
      order,
      share: 2,
      pricesWithProducts: true,
      runs: [run("products", { status: "done", done: 120, total: 120, finishedAt: new Date() })],
    });
    expect(e.running).toBe(false);
    expect(e.etaSeconds).toBeNull();
    expect(e.overall).toEqual({ processed: 120, total: 120 });
  });
});
