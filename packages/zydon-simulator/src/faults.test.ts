import {
  ZydonApp,
  ZydonNetworkError,
  ZydonRateLimitedError,
  ZydonServerError,
  zydonAdapter,
} from "@zb/zydon";
import { setupServer } from "msw/node";
import { afterEach, describe, expect, it } from "vitest";
import { zydonMswHandlers } from "./msw.js";
import { ZydonSimulator } from "./simulator.js";
import { installedClient, PLUGIN_ID, PLUGIN_KEY, startWorld, type World } from "./test-support.js";

let w: World | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});

describe("fault switches through the real client", () => {
  it("rate limit → ZydonRateLimitedError with Retry-After when configured", async () => {
    w = await startWorld({ rateLimit: { max: 3, windowMs: 60_000 }, retryAfterHeader: 2 });
    const zc = await installedClient(w);
    for (let i = 0; i < 3; i++) await zc.warehouses.list();
    const err = (await zc.warehouses.list().catch((e: unknown) => e)) as ZydonRateLimitedError;
    expect(err).toBeInstanceOf(ZydonRateLimitedError);
    expect(err.retryAfterMs).toBe(2000);
    expect(w.sim.requestLog.filter((r) => r.status === 429)).toHaveLength(1);
  });

  it("5xx rate → ZydonServerError; hang → client timeout as ZydonNetworkError", async () => {
    w = await startWorld();
    const zc = await installedClient(w);
    w.sim.setFaults({ serverErrorRate: 1 });
    await expect(zc.statuses.list()).rejects.toBeInstanceOf(ZydonServerError);
    w.sim.setFaults({ serverErrorRate: 0, timeoutRate: 1, hangMs: 5_000 });
    const quick = new ZydonApp({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      apiBaseUrl: w.url,
      adminUrl: w.url,
      timeoutMs: 100,
    }).client(w.sim.accessKeyFor(w.org.id));
    const err = (await quick.statuses.list().catch((e: unknown) => e)) as ZydonNetworkError;
    expect(err).toBeInstanceOf(ZydonNetworkError);
    expect(err.timedOut).toBe(true);
  });

  it("upload latency applies only to uploads", async () => {
    w = await startWorld({ uploadLatencyMs: 300 });
    const zc = await installedClient(w);
    const t0 = Date.now();
    await zc.warehouses.list();
    const listMs = Date.now() - t0;
    const t1 = Date.now();
    await zc.files.uploadImage({
      bytes: new Uint8Array([1, 2, 3]),
      fileName: "a.png",
      contentType: "image/png",
    });
    const uploadMs = Date.now() - t1;
    expect(listMs).toBeLessThan(250);
    expect(uploadMs).toBeGreaterThanOrEqual(290);
  });
});

describe("control API over HTTP", () => {
  it("creates an org, installs, seeds, places an order and reads the snapshot", async () => {
    w = await startWorld();
    const post = (path: string, body: unknown) =>
      fetch(`${w?.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const org = (await (await post("/__control/organizations", { name: "Delta" })).json()) as { id: string };
    expect((await post(`/__control/organizations/${org.id}/install`, {})).status).toBe(200);
    const seeded = (await (
      await post(`/__control/organizations/${org.id}/seed`, {
        paymentMethods: [{ name: "Pix", type: "PIX" }],
        products: [{ sku: "X-1", name: "X", price: 2 }],
        partners: [{ name: "Cliente", type: "PF", fiscal_registration_number: "52998224725" }],
      })
    ).json()) as Record<string, Record<string, string>>;
    const placed = await post(`/__control/organizations/${org.id}/orders`, {
      partner: { id: seeded.partners?.["52998224725"] },
      items: [{ sku: "X-1", quantity: 2 }],
      paymentMethodId: seeded.paymentMethods?.Pix,
    });
    expect(placed.status).toBe(201);
    const snap = (await (await fetch(`${w.url}/__control/organizations/${org.id}/snapshot`)).json()) as {
      orders: Array<{ totalValue: number }>;
      installations: unknown[];
    };
    expect(snap.orders.map((o) => o.totalValue)).toEqual([4]);
    expect(snap.installations).toHaveLength(1);
    const bad = await post(`/__control/organizations/${org.id}/orders`, {
      partner: { id: "x" },
      items: [],
      paymentMethodId: "y",
    });
    expect(bad.status).toBe(400);
  });
});

describe("msw handlers over the same state", () => {
  it("serve the API without a listening server", async () => {
    const origin = "https://api.zydon.test";
    const sim = new ZydonSimulator({ baseUrl: origin });
    sim.registerPlugin({
      pluginId: PLUGIN_ID,
      accessKey: PLUGIN_KEY,
      callbackUrls: ["https://app.test/cb"],
      installationUrl: "https://app.test/zydon/install",
    });
    const org = sim.createOrganization({ name: "Msw" });
    const received: string[] = [];
    const { http, HttpResponse } = await import("msw");
    const server = setupServer(
      ...zydonMswHandlers(sim, origin),
      http.post("https://app.test/zydon/install", async ({ request }) => {
        received.push(await request.text());
        return HttpResponse.text("ok");
      }),
    );
    server.listen({ onUnhandledRequest: "error" });
    try {
      const app = new ZydonApp({
        pluginId: PLUGIN_ID,
        accessKey: PLUGIN_KEY,
        apiBaseUrl: origin,
        adminUrl: origin,
      });
      const code = await sim.authorize(org.id, PLUGIN_ID, "https://app.test/cb", "s");
      const creds = await app.exchangeCode(code, "https://app.test/cb");
      expect(creds.organizationId).toBe(org.id);
      expect(received).toEqual([zydonAdapter.notificationBody(org.id)]);
      const zc = app.client({ code: creds.accessKeyCode, token: creds.accessKeyToken });
      const id = await zc.products.create({ sku: "MSW-1", name: "Via msw", price: 1 });
      expect(sim.snapshot(org.id).products.map((p) => p.id)).toEqual([id]);
    } finally {
      server.close();
      sim.dispose();
    }
  });
});
