/** `/__control/*`: the in-process control API over HTTP (for the sandbox and out-of-process tests). */
import { badRequest, jsonResponse, type Router, SimHttpError } from "./http-util.js";
import type { ApiContext, PlaceOrderInput, SeedInput, ZydonSimulatorFaults } from "./simulator.js";
import type { PluginRegistration } from "./state.js";

const C = "/__control";

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof SimHttpError) throw err;
    throw badRequest(err instanceof Error ? err.message : String(err), "ControlException");
  }
}

async function wrapAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SimHttpError) throw err;
    throw badRequest(err instanceof Error ? err.message : String(err), "ControlException");
  }
}

export function registerControlRoutes(router: Router<ApiContext>): void {
  router.add("POST", `${C}/plugins`, (ctx) =>
    jsonResponse(
      201,
      wrap(() => ctx.sim.registerPlugin(ctx.json() as unknown as PluginRegistration)),
    ),
  );
  // Register from the plugin package: `{ files: { "configuration.yml": "...", ... }, accessKey, name? }`.
  router.add("POST", `${C}/plugins/manifest`, (ctx) => {
    const b = ctx.json() as {
      files?: Record<string, string>;
      accessKey?: string;
      name?: string;
      launchUrl?: string;
    };
    return jsonResponse(
      201,
      wrap(() =>
        ctx.sim.registerPluginFromManifest(b.files ?? {}, {
          accessKey: b.accessKey ?? "",
          ...(b.name ? { name: b.name } : {}),
          ...(b.launchUrl ? { launchUrl: b.launchUrl } : {}),
        }),
      ),
    );
  });
  router.add("GET", `${C}/plugins/:id/is-alive`, async (ctx, p) =>
    jsonResponse(200, await ctx.sim.checkAlive(p.id as string)),
  );
  router.add("POST", `${C}/organizations`, (ctx) =>
    jsonResponse(
      201,
      wrap(() => ctx.sim.createOrganization(ctx.json() as { id?: string; name: string })),
    ),
  );
  router.add("POST", `${C}/organizations/:org/seed`, (ctx, p) =>
    jsonResponse(
      200,
      wrap(() => ctx.sim.seed(p.org as string, ctx.json() as SeedInput)),
    ),
  );
  router.add("GET", `${C}/organizations/:org/snapshot`, (ctx, p) =>
    jsonResponse(
      200,
      wrap(() => ctx.sim.snapshot(p.org as string)),
    ),
  );
  router.add("POST", `${C}/organizations/:org/orders`, async (ctx, p) =>
    jsonResponse(
      201,
      await wrapAsync(() => ctx.sim.placeOrder(p.org as string, ctx.json() as unknown as PlaceOrderInput)),
    ),
  );
  // The merchant moves an order in Zydon's admin: `{ "statusId": "..." }` → the order-update webhook.
  router.add("POST", `${C}/organizations/:org/orders/:id/status`, async (ctx, p) => {
    const b = ctx.json();
    const r = await wrapAsync(() =>
      ctx.sim.setOrderStatusAsMerchant(p.org as string, p.id as string, String(b.statusId ?? "")),
    );
    return jsonResponse(200, r);
  });
  router.add("POST", `${C}/organizations/:org/install`, async (ctx, p) => {
    const b = ctx.json();
    const r = await wrapAsync(() =>
      ctx.sim.install(p.org as string, typeof b.pluginId === "string" ? b.pluginId : undefined),
    );
    return jsonResponse(200, { installed: true, delivery: r.delivery });
  });
  router.add("POST", `${C}/organizations/:org/uninstall`, async (ctx, p) => {
    const b = ctx.json();
    const r = await wrapAsync(() =>
      ctx.sim.uninstall(p.org as string, typeof b.pluginId === "string" ? b.pluginId : undefined),
    );
    return jsonResponse(200, { uninstalled: true, delivery: r.delivery });
  });
  // `{ "profile": "PARTNER" }` issues a portal buyer's session instead of an admin's (SELLER, the default).
  router.add("POST", `${C}/organizations/:org/admin-sessions`, (ctx, p) => {
    const b = ctx.json();
    const profile = b.profile === "PARTNER" ? "PARTNER" : "SELLER";
    return jsonResponse(
      201,
      wrap(() => ctx.sim.issueAdminSession(p.org as string, profile)),
    );
  });
  router.add("POST", `${C}/authorize`, async (ctx) => {
    const b = ctx.json();
    const code = await wrapAsync(() =>
      ctx.sim.authorize(String(b.orgId), String(b.pluginId), String(b.redirectUri), String(b.state ?? "")),
    );
    return jsonResponse(200, { code });
  });
  router.add("GET", `${C}/request-log`, (ctx) => jsonResponse(200, ctx.sim.requestLog));
  router.add("GET", `${C}/webhook-log`, (ctx) => jsonResponse(200, ctx.sim.webhookLog));
  router.add("GET", `${C}/stats`, (ctx) => jsonResponse(200, ctx.sim.stats()));
  router.add("PUT", `${C}/faults`, (ctx) =>
    jsonResponse(200, ctx.sim.setFaults(ctx.json() as Partial<ZydonSimulatorFaults>)),
  );
  router.add("GET", `${C}/faults`, (ctx) => jsonResponse(200, ctx.sim.faults));
}
