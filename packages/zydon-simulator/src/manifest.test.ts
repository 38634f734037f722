import { buildPluginManifest, renderPluginManifest, ZydonApp } from "@zb/zydon";
import { afterEach, describe, expect, it } from "vitest";
import { startZydonSimulator } from "./server.js";
import { startReceiver } from "./test-support.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe("App Center reads the plugin package (zydon-api.md §2.4)", () => {
  it("registers from the manifest and calls is_alive, installation, the order webhook and uninstallation as declared", async () => {
    const receiver = await startReceiver();
    const started = await startZydonSimulator();
    closers.push(started.close, receiver.close);
    const { sim } = started;
    const secret = "declared-secret-0123456789abcdef";
    const files = renderPluginManifest(
      buildPluginManifest({ publicBaseUrl: receiver.url, pluginId: "plugin-m", webhookSecret: secret }),
    );
    const plugin = sim.registerPluginFromManifest(files, { accessKey: "plugin-m-key", name: "Bling" });
    expect(plugin.callbackUrls).toEqual([`${receiver.url}/zydon/callback`]);

    const alive = await sim.checkAlive("plugin-m");
    expect(alive.status).toBe(200);

    const org = sim.createOrganization({ name: "Loja Manifesto" });
    sim.seed(org.id, {
      paymentMethods: [{ name: "Pix" }],
      products: [{ name: "Caneca", sku: "CAN-1", price: 10 }],
    });
    await sim.install(org.id, "plugin-m");
    const pm = [...sim.org(org.id).paymentMethods.keys()][0] as string;
    await sim.placeOrder(org.id, {
      partner: { name: "Cliente", type: "PF", fiscal_registration_number: "39053344705" },
      items: [{ sku: "CAN-1", quantity: 1 }],
      paymentMethodId: pm,
    });
    await sim.uninstall(org.id, "plugin-m");

    expect(receiver.received.map((r) => r.path)).toEqual([
      "/zydon/is-alive",
      "/zydon/notifications/install",
      "/webhooks/zydon/orders",
      "/zydon/notifications/uninstall",
    ]);
    const order = receiver.received[2];
    expect(order?.headers["x-zb-webhook-secret"]).toBe(secret);

    // The product's verifier accepts the delivery by the declared header alone (header mode).
    const app = new ZydonApp({
      pluginId: "plugin-m",
      accessKey: "not-the-hmac-key",
      apiBaseUrl: started.url,
      adminUrl: started.url,
      contract: { webhookAuth: "header" },
      webhookSecrets: [secret],
    });
    const v = app.verifyOrderWebhook({ rawBody: order?.rawBody ?? "", headers: order?.headers ?? {} });
    expect(v).toMatchObject({ ok: true, organizationId: org.id });
  });
});
