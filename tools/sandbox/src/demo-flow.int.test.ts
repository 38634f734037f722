import { createServer } from "node:net";
import { apiServerOptions, app, composeAppDeps } from "@zb/api";
import { apiEnvKeys, createLogger, loadConfig } from "@zb/config";
import { createDb, runMigrations, TenantsRepository } from "@zb/db";
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis, testEnv } from "@zb/testing";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installFromAppCenter } from "./app-center.js";
import { freshSettingsUrl, type StartedConsole, startSimulatorConsole } from "./console.js";
import { type DemoWorld, startDemoWorld } from "./demo-world.js";

/**
 * What `pnpm dev` does before printing its URLs, against the real API (no worker needed): the App Center
 * install over HTTP, a fresh settings-page session, and the console acting as the merchant and the buyer.
 */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

let tdb: TestDatabase;
let tredis: TestRedis;
let world: DemoWorld;
let api: FastifyInstance;
let closeDeps: (() => Promise<void>) | undefined;
let simConsole: StartedConsole;
let apiUrl: string;

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  tredis = createTestRedis();
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  world = await startDemoWorld({
    apiUrl,
    blingClientId: "flow-bling-app",
    blingClientSecret: "flow-bling-client-secret-0123456789",
    zydonPluginId: "00000000-0000-4000-8000-0000000000f1",
    zydonAccessKey: "flow-zydon-plugin-access-key",
    account: { products: 4, contacts: 2, paymentMethods: 2, seed: 3 },
  });
  const env = testEnv({
    DATABASE_URL: tdb.url,
    REDIS_URL: tredis.url,
    REDIS_PREFIX: tredis.prefix,
    PUBLIC_BASE_URL: apiUrl,
    ...world.productEnv(),
  });
  const deps = composeAppDeps(loadConfig(apiEnvKeys, env), createLogger({ level: "silent" }));
  closeDeps = deps.close;
  api = Fastify(apiServerOptions(createLogger({ level: "silent" }) as FastifyBaseLogger));
  await api.register(app, deps);
  await api.listen({ host: "127.0.0.1", port });
  simConsole = await startSimulatorConsole({ world, apiUrl });
}, 60_000);

afterAll(async () => {
  await simConsole?.close();
  await api?.close();
  await closeDeps?.();
  await world?.close();
  await tdb?.drop();
  await tredis?.cleanup();
});

async function post(path: string, form: Record<string, string>): Promise<URL> {
  const res = await fetch(`${simConsole.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return new URL(res.headers.get("location") as string, simConsole.url);
}

describe("pnpm dev's setup", () => {
  it("installs through the App Center over HTTP: our install route runs and answers with a launch session", async () => {
    const { settingsUrl } = await installFromAppCenter({
      zydonUrl: world.zydon.url,
      organizationId: world.organizationId,
      pluginId: world.credentials.zydonPluginId,
      apiUrl,
    });
    expect(settingsUrl).toMatch(new RegExp(`^${apiUrl}/app#launch=[\\w.-]+$`));
    const db = createDb({ url: tdb.url, max: 1 });
    try {
      const tenant = await new TenantsRepository(db.db).findByOrganization(world.organizationId);
      expect(tenant?.state).toBe("awaiting_bling");
    } finally {
      await db.close();
    }
    // Zydon delivered the install notification to our API.
    expect(world.zydon.sim.webhookLog.some((d) => d.event === "install" && d.status === 200)).toBe(true);
  });

  it("opens the settings page with a fresh admin session the API accepts", async () => {
    const url = new URL(freshSettingsUrl(world, apiUrl));
    const fragment = new URLSearchParams(url.hash.slice(1));
    const res = await fetch(`${apiUrl}/api/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ organizationId: fragment.get("org"), accessToken: fragment.get("token") }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { token: string }).token.length).toBeGreaterThan(20);
    const viaConsole = await fetch(`${simConsole.url}/abrir-configuracoes`, { redirect: "manual" });
    expect(viaConsole.status).toBe(303);
    expect(viaConsole.headers.get("location")).toMatch(new RegExp(`^${apiUrl}/app#org=`));
  });

  it("console: the merchant's stock and price changes reach Bling; bad input comes back as a message", async () => {
    const control = world.bling.sim.control;
    const acc = control.getAccount(world.blingAccountId);
    const product = acc.products.find((p) => p.formato === "S" && !p.idProdutoPai);
    const id = String(product?.id);
    const deposit = acc.deposits.find((d) => d.padrao);

    const ok = await post("/bling/estoque", { productId: id, fisico: "321" });
    expect(ok.searchParams.get("ok")).toContain("321");
    const cell = control
      .getAccount(world.blingAccountId)
      .stock.find((s) => s.productId === Number(id) && s.depositId === deposit?.id);
    expect(cell?.fisico).toBe(321);

    await post("/bling/preco", { productId: id, preco: "12,34" });
    expect(control.getProduct(world.blingAccountId, Number(id))?.preco).toBe(12.34);

    const bad = await post("/bling/estoque", { productId: id, fisico: "muito" });
    expect(bad.searchParams.get("erro")).toContain("valor inválido");

    const page = await (
      await fetch(`${simConsole.url}/?q=${encodeURIComponent(String(product?.codigo))}`)
    ).text();
    expect(page).toContain(String(product?.codigo));
    expect(page).toContain("321");
  });

  it("console: the Zydon side shows each product's category path and brand", async () => {
    const acc = world.bling.sim.control.getAccount(world.blingAccountId);
    const product = acc.products.find((p) => p.formato === "S" && !p.idProdutoPai && p.codigo);
    const sku = String(product?.codigo);
    const ids = world.zydon.sim.seed(world.organizationId, {
      categories: [{ name: "Moda" }, { name: "Vestuário", parent: "Moda" }],
      brands: [{ name: "Nativa" }],
    });
    world.zydon.sim.seed(world.organizationId, {
      products: [
        {
          sku,
          name: "Do Zydon",
          price: 10,
          category_id: ids.categories?.Vestuário,
          brand_id: ids.brands?.Nativa,
        },
      ],
    });
    const page = await (await fetch(`${simConsole.url}/?q=${encodeURIComponent(sku)}`)).text();
    expect(page).toContain("<th>Categoria · marca no Zydon</th>");
    expect(page).toContain("<td>Moda › Vestuário · Nativa</td>");
    world.zydon.sim.org(world.organizationId).products.clear();
  });

  it("console: a buyer's order needs synced customers and products; before the sync it says so", async () => {
    const page = await (await fetch(simConsole.url)).text();
    expect(page).toContain("Aguardando a sincronização inicial");
    const res = await post("/zydon/pedido", {
      partnerId: "nobody",
      sku: "nothing",
      quantidade: "1",
      paymentMethodId: "none",
    });
    expect(res.searchParams.get("erro")).toMatch(/unknown partner/);
  });
});
