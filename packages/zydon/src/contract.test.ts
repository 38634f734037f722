import { describe, expect, it } from "vitest";
import {
  orderAttributesPath,
  orderStatusBody,
  orderStatusPath,
  postSaleAttributes,
  productTogglePath,
  readPostSaleAttributes,
  TOKEN_EXCHANGE_PATH,
} from "./adapter.js";
import { ZydonApp } from "./app.js";
import { DEFAULT_ZYDON_CONTRACT, fillPath, resolveZydonContract } from "./contract.js";

describe("Zydon contract", () => {
  it("defaults follow the corrected facts: the token path starts at /app, not /api (zydon-api.md §2.4)", () => {
    expect(TOKEN_EXCHANGE_PATH.startsWith("/app")).toBe(true);
    expect(TOKEN_EXCHANGE_PATH.startsWith("/api/")).toBe(false);
    expect(DEFAULT_ZYDON_CONTRACT.notFoundRetryWindowMs).toBeGreaterThan(60_000);
  });

  it("an override replaces one entry and keeps the others", () => {
    const c = resolveZydonContract({
      orderStatusPath: "/x/{orderId}/st",
      orderStatusField: "status",
      stockOverridePath: undefined,
    });
    expect(orderStatusPath("a/b", c)).toBe("/x/a%2Fb/st");
    expect(orderStatusBody("7", c)).toEqual({ status: "7" });
    expect(c.stockOverridePath).toBe(DEFAULT_ZYDON_CONTRACT.stockOverridePath);
    expect(productTogglePath("9", false, c)).toBe("/api/sales/products/9/disable");
    expect(() => fillPath("/a/{id}", {})).toThrow(/needs \{id\}/);
  });

  it("the app exchanges the code at the configured token path with the configured grant type", async () => {
    const seen: Array<{ url: string; body: string }> = [];
    const app = new ZydonApp({
      pluginId: "p",
      accessKey: "k",
      apiBaseUrl: "https://api.zydon.test",
      adminUrl: "https://admin.zydon.test",
      contract: { tokenExchangePath: "/app/token", tokenExchangeGrantType: "code" },
      fetch: async (input, init) => {
        seen.push({ url: String(input), body: String(init?.body) });
        return new Response(
          JSON.stringify({ access_key_code: "c", access_key_token: "t", organization_id: "o" }),
        );
      },
    });
    const creds = await app.exchangeCode("abc", "https://app.test/cb");
    expect(creds.organizationId).toBe("o");
    expect(seen[0]?.url).toBe("https://api.zydon.test/app/token");
    expect(new URLSearchParams(seen[0]?.body).get("grant_type")).toBe("code");
  });

  it("the 404-on-a-fresh-record window comes from the contract (minutes, not a fixed 60 s)", async () => {
    let t = Date.parse("2026-01-01T00:00:00Z");
    const app = new ZydonApp({
      pluginId: "p",
      accessKey: "k",
      apiBaseUrl: "https://api.zydon.test",
      adminUrl: "https://admin.zydon.test",
      now: () => new Date(t),
      contract: { notFoundRetryWindowMs: 30 * 60_000 },
      fetch: async (_url, init) =>
        init?.method === "POST"
          ? new Response(JSON.stringify({ id: 9 }), { status: 201 })
          : new Response(JSON.stringify({ status: 404, message: "não encontrado" }), { status: 404 }),
    });
    const client = app.client({ code: "c", token: "t" });
    const id = await client.products.create({ sku: "A" });
    t += 10 * 60_000;
    await expect(client.products.get(id)).rejects.toMatchObject({ retryableWindow: true, action: "retry" });
    t += 21 * 60_000;
    await expect(client.products.get(id)).rejects.toMatchObject({
      retryableWindow: false,
      action: "give_up",
    });
  });

  it("post-sale marks: path and attribute names come from the contract, and read back the same", () => {
    const d = postSaleAttributes({
      trackingCodes: ["AA1BR", "BB2BR"],
      deliveredAt: "2026-03-10T15:00:00.000Z",
    });
    expect(d).toEqual({ tracking_code: "AA1BR, BB2BR", delivered_at: "2026-03-10T15:00:00.000Z" });
    expect(orderAttributesPath("7")).toBe("/api/sales/orders/7");
    const c = resolveZydonContract({
      orderAttributesPath: "/api/sales/orders/{orderId}/attributes",
      trackingCodeAttribute: "codigo_rastreio",
      cancelledInvoicesAttribute: "nfe_canceladas",
    });
    expect(orderAttributesPath("7", c)).toBe("/api/sales/orders/7/attributes");
    const attrs = postSaleAttributes({ trackingCodes: ["X1"], cancelledInvoiceKeys: ["1", "2"] }, c);
    expect(attrs).toEqual({ codigo_rastreio: "X1", nfe_canceladas: "1,2" });
    expect(readPostSaleAttributes({ ...attrs, other: 5 }, c)).toEqual({
      trackingCodes: ["X1"],
      deliveredAt: null,
      cancelledInvoiceKeys: ["1", "2"],
    });
    expect(readPostSaleAttributes(null)).toEqual({
      trackingCodes: [],
      deliveredAt: null,
      cancelledInvoiceKeys: [],
    });
  });
});
