import { LedgerRepository, LinksRepository, OrderExportsRepository, TenantsRepository } from "@zb/db";
import { type Child, PLUGIN_ID, PLUGIN_KEY, waitFor } from "@zb/e2e-kit";
import {
  ensureTenantSchedulers,
  noteNfeTriggerChange,
  readTenantSettings,
  removeTenantSchedulers,
} from "@zb/sync";
import { generateCnpj } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startApiProcess, startE2E } from "../world.js";

/**
 * Zydon-side order status changes (issue 19 #3) through both simulators, the real API process and the worker:
 * the merchant moves an order in Zydon's admin (the simulator's control route), Zydon sends the order-update
 * webhook our webhooks.yml declares (zydon-api.md §9 [ZS-233], a guess), and the order is exported — or its
 * NF-e emitted and attached — exactly once; with the webhook lost, the polling fallback does the same.
 */

let e: E2E;
let api: Child;
type World = Awaited<ReturnType<typeof tenantWorld>>;
const worlds: Record<"exportOnMove" | "nfeOnMove" | "exportByPoll" | "nfeByPoll", World> = {} as never;

const GERAR = "POST /pedidos/vendas/{idPedidoVenda}/gerar-nfe";
const ENVIAR = "POST /nfe/{idNotaFiscal}/enviar";

async function tenantWorld(
  name: string,
  settings: (statuses: Record<string, string>) => Record<string, unknown>,
) {
  const t = await e.addTenant(name);
  const ids = e.zydon.sim.seed(t.orgId, {
    statuses: [
      { name: "Em aberto", type: "PENDING", next: ["Aprovado"] },
      { name: "Aprovado", type: "PAID", next: [] },
    ],
    paymentMethods: [{ name: "Boleto", type: "BANK_SLIP" }],
    products: [{ sku: "CAN-1", name: "Caneca", price: 20, stock: 50 }],
    partners: [
      {
        name: "Mercado Silva",
        type: "PJ",
        fiscal_registration_number: generateCnpj(),
        state_registration: null,
      },
    ],
  });
  const statuses = ids.statuses as Record<string, string>;
  await new TenantsRepository(e.db.db).updateSettings(t.tenantId, settings(statuses));
  // What the page's save records with it: since when an approval made in Zydon starts an NF-e.
  const off = readTenantSettings({}).nfe;
  await noteNfeTriggerChange(
    e.db.db,
    t.tenantId,
    off,
    readTenantSettings(settings(statuses)).nfe,
    new Date(),
  );
  // The catalog link an initial sync would have made: the order's SKU is this Bling product.
  const produto = e.bling.sim.control.upsertProduct(t.accountId, {
    nome: "Caneca",
    codigo: "CAN-1",
    preco: 20,
  });
  await new LinksRepository(e.db.db).upsert({
    tenantId: t.tenantId,
    entity: "product",
    blingId: String(produto.id),
    zydonId: ids.products?.["CAN-1"] as string,
    naturalKey: "CAN-1",
    data: { kind: "simple" },
  });
  const repo = new OrderExportsRepository(e.db.db);
  const place = async () =>
    (
      await e.zydon.sim.placeOrder(t.orgId, {
        partner: { id: Object.values(ids.partners ?? {})[0] as string },
        items: [{ sku: "CAN-1", quantity: 2 }],
        paymentMethodId: ids.paymentMethods?.Boleto as string,
      })
    ).orderId;
  /** The merchant moves the order in Zydon's admin, over the simulator's control API. */
  const approve = async (orderId: string) => {
    const res = await fetch(`${e.zydon.url}/__control/organizations/${t.orgId}/orders/${orderId}/status`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ statusId: statuses.Aprovado }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as {
      moved: boolean;
      deliveries: Array<{ url: string; status: number | null }>;
    };
  };
  const blingOrders = (orderId: string) =>
    e.bling.sim.control.listOrders(t.accountId).filter((o) => String(o.numeroLoja) === orderId);
  const calls = (endpoint: string) =>
    e.bling.sim.control.requestLog(t.accountId).filter((x) => x.endpoint === endpoint).length;
  const row = (orderId: string) => repo.get(t.tenantId, orderId);
  const ledger = async (entity: string) =>
    (await new LedgerRepository(e.db.db).list({ tenantId: t.tenantId, entity, pageSize: 50 })).items;
  return { ...t, statuses, place, approve, blingOrders, calls, row, ledger };
}

/** Orders and events queues idle: every job a delivery started has run (nothing left to duplicate). */
async function drained() {
  await waitFor(
    "order and event jobs to drain",
    async () => {
      const c = await e.queueCounts();
      const busy = ["orders", "events"].reduce(
        (n, q) => n + (c[`${q}.waiting`] ?? 0) + (c[`${q}.active`] ?? 0) + (c[`${q}.delayed`] ?? 0),
        0,
      );
      return busy === 0;
    },
    30_000,
  );
}

beforeAll(async () => {
  e = await startE2E();
  let apiUrl: string;
  ({ child: api, url: apiUrl } = await startApiProcess(e));
  const fromApproved = (s: Record<string, string>) => ({
    orders: { trigger: "from_status", zydonStatusId: s.Aprovado },
  });
  const nfeOnApproved = (s: Record<string, string>) => ({
    nfe: { enabled: true, approvedZydonStatusId: s.Aprovado },
  });
  // Tenants first (their installs notify the harness's dead URL), then the webhooks towards the API.
  worlds.exportOnMove = await tenantWorld("Loja Status Zydon", fromApproved);
  worlds.nfeOnMove = await tenantWorld("Loja NF-e Zydon", nfeOnApproved);
  worlds.exportByPoll = await tenantWorld("Loja Status Sem Webhook", fromApproved);
  worlds.nfeByPoll = await tenantWorld("Loja NF-e Sem Webhook", nfeOnApproved);
  registerPlugin(apiUrl);
}, 90_000);

afterAll(async () => {
  await api?.kill();
  await e?.close();
});

/** Our plugin's order webhooks point at the API (the harness registered the plugin without any). */
function registerPlugin(apiUrl: string) {
  e.zydon.sim.registerPlugin({
    pluginId: PLUGIN_ID,
    accessKey: PLUGIN_KEY,
    name: "Bling",
    callbackUrls: ["http://127.0.0.1:1/zydon/callback"],
    installationUrl: "http://127.0.0.1:1/zydon/install",
    orderWebhookUrl: `${apiUrl}/webhooks/zydon/orders`,
    orderUpdateWebhookUrl: `${apiUrl}/webhooks/zydon/orders/updated`,
  });
}

describe("Zydon-side status changes, end to end", () => {
  it("from_status: placed below the status → not exported; moved to it in Zydon → exported once (webhook delivered twice)", async () => {
    const w = worlds.exportOnMove;
    const orderId = await w.place();
    await waitFor(
      "the export to answer 'not eligible'",
      async () => (await w.row(orderId))?.state === "pending",
      20_000,
    );
    await drained();
    expect(w.blingOrders(orderId)).toHaveLength(0);

    e.zydon.sim.setFaults({ duplicateWebhooks: true });
    try {
      const moved = await w.approve(orderId);
      expect(moved.deliveries.map((d) => [new URL(d.url).pathname, d.status])).toEqual([
        ["/webhooks/zydon/orders/updated", 200],
        ["/webhooks/zydon/orders/updated", 200],
      ]);
    } finally {
      e.zydon.sim.setFaults({ duplicateWebhooks: false });
    }
    await waitFor("the order in Bling", async () => (await w.row(orderId))?.state === "created", 30_000);
    await drained();
    expect(w.blingOrders(orderId)).toHaveLength(1);
    const entry = (await w.ledger("order")).find((r) => r.action === "zydon_status");
    expect(entry?.reason).toBe(
      `Pedido ${orderId} chegou ao status "Aprovado" no Zydon: envio ao Bling iniciado.`,
    );
  }, 90_000);

  it("NF-e on: an exported order approved in Zydon → NF-e emitted once and attached to the Zydon order", async () => {
    const w = worlds.nfeOnMove;
    const orderId = await w.place();
    await waitFor("the order in Bling", async () => (await w.row(orderId))?.state === "created", 30_000);
    await drained();
    expect((await w.row(orderId))?.nfeState).toBeNull();

    await w.approve(orderId);
    await waitFor("NF-e attached", async () => (await w.row(orderId))?.nfeState === "attached", 30_000);
    await drained();
    expect(w.calls(GERAR)).toBe(1);
    expect(w.calls(ENVIAR)).toBe(1);
    const invoices = e.bling.sim.control.getAccount(w.accountId).invoices;
    expect(invoices).toHaveLength(1);
    const zOrder = e.zydon.sim.org(w.orgId).orders.get(orderId);
    expect(zOrder?.invoices.map((i) => i.invoice_key)).toEqual([invoices[0]?.chaveAcesso]);
    const entry = (await w.ledger("nfe")).find((r) => r.action === "zydon_status");
    expect(entry?.reason).toBe(`Pedido ${orderId} aprovado no Zydon ("Aprovado"): emissão da NF-e iniciada.`);
  }, 90_000);

  it("the update webhook lost: the polling fallback exports the moved order, and starts the approved order's NF-e", async () => {
    const ex = worlds.exportByPoll;
    const nf = worlds.nfeByPoll;
    const below = await ex.place();
    const exported = await nf.place();
    await waitFor(
      "the first order kept waiting",
      async () => (await ex.row(below))?.state === "pending",
      20_000,
    );
    await waitFor(
      "the second order in Bling",
      async () => (await nf.row(exported))?.state === "created",
      30_000,
    );
    await drained();

    e.zydon.sim.setFaults({ dropWebhooks: true });
    try {
      expect((await ex.approve(below)).deliveries).toEqual([]);
      expect((await nf.approve(exported)).deliveries).toEqual([]);
    } finally {
      e.zydon.sim.setFaults({ dropWebhooks: false });
    }
    // Nothing happens without the webhook…
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await ex.row(below))?.state).toBe("pending");
    // …until the fallback's schedule runs (every second here; WATCH interval configurable).
    const fast = { watchZydonOrdersMs: 1_000, pollChangesMs: 3_600_000, reconcileStockMs: 3_600_000 };
    await ensureTenantSchedulers(e.worker.deps.producer, ex.tenantId, fast);
    await ensureTenantSchedulers(e.worker.deps.producer, nf.tenantId, fast);
    try {
      await waitFor(
        "the moved order in Bling",
        async () => (await ex.row(below))?.state === "created",
        30_000,
      );
      await waitFor("NF-e attached", async () => (await nf.row(exported))?.nfeState === "attached", 30_000);
      // A few more passes: nothing is done twice.
      await new Promise((r) => setTimeout(r, 2_500));
      await drained();
    } finally {
      await removeTenantSchedulers(e.worker.deps.producer, ex.tenantId);
      await removeTenantSchedulers(e.worker.deps.producer, nf.tenantId);
    }
    expect(ex.blingOrders(below)).toHaveLength(1);
    expect(nf.blingOrders(exported)).toHaveLength(1);
    expect(nf.calls(GERAR)).toBe(1);
    expect(nf.calls(ENVIAR)).toBe(1);
    expect(e.zydon.sim.org(nf.orgId).orders.get(exported)?.invoices).toHaveLength(1);
  }, 120_000);
});
