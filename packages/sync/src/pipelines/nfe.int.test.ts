import { BlingClient, BlingNetworkError } from "@zb/bling";
import { type StartedBlingSimulator, startBlingSimulator } from "@zb/bling-simulator";
import {
  createDb,
  type DbHandle,
  LedgerRepository,
  LinksRepository,
  OrderExportsRepository,
  runMigrations,
  TenantsRepository,
} from "@zb/db";
import { createTestDatabase, generateCnpj, type TestDatabase } from "@zb/testing";
import { ZydonApp } from "@zb/zydon";
import { type StartedZydonSimulator, startZydonSimulator } from "@zb/zydon-simulator";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createBlingPort } from "../adapters/bling-port-adapter.js";
import { ZydonPortAdapter } from "../adapters/zydon-port-adapter.js";
import type { BlingPort } from "../ports/bling-port.js";
import { readTenantSettings } from "../settings/tenant-settings.js";
import type { SyncContext } from "./context.js";
import { advanceNfe, NfeInProgressError } from "./nfe.js";
import { exportOrder } from "./orders.js";
import { mirrorOrderStatus } from "./statuses.js";

/**
 * NF-e end to end: real Postgres, the Bling simulator over HTTP through @zb/bling's client and the BlingPort
 * adapter, the Zydon simulator over HTTP through @zb/zydon and the ZydonPort adapter.
 */

const APP = { clientId: "nfe-app", clientSecret: "nfe-secret" };
const PLUGIN_ID = "3f9a0c1e-0000-4000-8000-0000000000fe";

let tdb: TestDatabase;
let h: DbHandle;
let bling: StartedBlingSimulator;
let zydonSim: StartedZydonSimulator;
let tenantId: string;
let accountId: string;
let orgId: string;
let blingClient: BlingClient;
let zydonPort: ZydonPortAdapter;
let aprovadoSituacaoId: number;
let zydonStatus: Record<string, string>;
let zydonIds: Record<string, Record<string, string>>;
let blingContactId: number;
let blingProductId: number;

beforeAll(async () => {
  tdb = await createTestDatabase({ migrate: runMigrations });
  h = createDb({ url: tdb.url, max: 4 });
  tenantId = (await new TenantsRepository(h.db).install("org-nfe")).tenant.id;

  bling = await startBlingSimulator({ apps: [APP], limits: { enforce: false } });
  const c = bling.sim.control;
  accountId = c.createAccount({ companyName: "Distribuidora NF-e", cnpj: generateCnpj() }).accountId;
  const token = c.issueTokens(accountId, APP.clientId).access_token;
  blingClient = new BlingClient({
    baseUrl: bling.apiBaseUrl,
    timeoutMs: 5_000,
    getAccessToken: async () => token,
  });
  aprovadoSituacaoId = c.upsertSituacao(accountId, { nome: "Aprovado", idHerdado: 15 }).id;
  blingContactId = c.upsertContact(accountId, { nome: "Ferragens Silva Ltda", tipo: "J" }).id;
  blingProductId = Number(c.upsertProduct(accountId, { nome: "Parafuso", codigo: "PAR-1", preco: 0.35 }).id);

  zydonSim = await startZydonSimulator();
  zydonSim.sim.registerPlugin({
    pluginId: PLUGIN_ID,
    accessKey: "nfe-plugin-key",
    name: "Bling",
    callbackUrls: ["http://127.0.0.1:9/callback"],
    installationUrl: "http://127.0.0.1:9/install",
  });
  orgId = zydonSim.sim.createOrganization({ name: "Distribuidora NF-e" }).id;
  await zydonSim.sim.install(orgId);
  zydonIds = zydonSim.sim.seed(orgId, {
    statuses: [
      { name: "Em aberto", type: "PENDING", next: ["Aprovado", "Cancelado"] },
      { name: "Aprovado", type: "PAID", next: ["Cancelado"] },
      { name: "Cancelado", type: "CANCELLED" },
    ],
    paymentMethods: [{ name: "Boleto", type: "BANK_SLIP" }],
    products: [{ sku: "PAR-1", name: "Parafuso", price: 0.35, stock: 1000 }],
    partners: [
      {
        name: "Ferragens Silva",
        type: "PJ",
        fiscal_registration_number: generateCnpj(),
        state_registration: null,
      },
    ],
  });
  zydonStatus = zydonIds.statuses as Record<string, string>;
  const app = new ZydonApp({
    pluginId: PLUGIN_ID,
    accessKey: "nfe-plugin-key",
    apiBaseUrl: zydonSim.url,
    adminUrl: zydonSim.url,
    timeoutMs: 5_000,
    // The NF-e links point at the Bling simulator on loopback (production allows public addresses only).
    outbound: { allowHosts: ["127.0.0.1"] },
  });
  zydonPort = new ZydonPortAdapter(app.client(zydonSim.sim.accessKeyFor(orgId)));
});

afterAll(async () => {
  await bling?.close();
  await zydonSim?.close();
  await h?.close();
  await tdb?.drop();
});

beforeEach(() => {
  bling.sim.control.setNfeOutcomes(accountId, []);
  bling.sim.control.setNfeDefaultOutcome(accountId, { result: "authorized" });
});

function blingPort(): BlingPort {
  return createBlingPort(blingClient);
}

function context(opts: { enabled?: boolean; bling?: BlingPort } = {}): SyncContext & { enqueued: string[] } {
  const enqueued: string[] = [];
  return {
    tenantId,
    settings: readTenantSettings({
      nfe: { enabled: opts.enabled ?? true, approvedZydonStatusId: zydonStatus.Aprovado },
    }),
    bling: opts.bling ?? blingPort(),
    zydon: zydonPort,
    db: h.db,
    log: { info() {}, warn() {} },
    now: () => new Date(),
    enqueued,
    async enqueueNfe(zydonOrderId) {
      enqueued.push(zydonOrderId);
    },
  };
}

/** A Zydon order already exported to Bling (the order pipeline's end state). */
async function exportedOrder(): Promise<{ zydonOrderId: string; blingOrderId: number; exportId: number }> {
  const { orderId } = await zydonSim.sim.placeOrder(orgId, {
    partner: { id: Object.values(zydonIds.partners ?? {})[0] as string },
    items: [{ sku: "PAR-1", quantity: 100 }],
    paymentMethodId: zydonIds.paymentMethods?.Boleto as string,
  });
  const { id: blingOrderId } = bling.sim.control.createOrder(accountId, {
    numeroLoja: orderId,
    contato: { id: blingContactId },
    itens: [{ produto: { id: blingProductId }, quantidade: 100, valor: 0.35 }],
  });
  const repo = new OrderExportsRepository(h.db);
  const { row } = await repo.ensure(tenantId, orderId);
  await repo.transition(row.id, ["pending"], "created", { blingOrderId: String(blingOrderId) });
  return { zydonOrderId: orderId, blingOrderId, exportId: row.id };
}

function calls(endpoint: string): number {
  return bling.sim.control.requestLog(accountId).filter((e) => e.endpoint === endpoint).length;
}
const GERAR = "POST /pedidos/vendas/{idPedidoVenda}/gerar-nfe";
const ENVIAR = "POST /nfe/{idNotaFiscal}/enviar";

function invoicesOf(blingOrderId: number) {
  return bling.sim.control.getAccount(accountId).invoices.filter((i) => i.orderId === blingOrderId);
}

async function nfeLedger(zydonOrderId: string) {
  const { items } = await new LedgerRepository(h.db).list({ tenantId, entity: "nfe", pageSize: 100 });
  return items.filter((l) => l.entityKey === zydonOrderId);
}

describe("NF-e for approved orders", () => {
  it("approved in Bling → status mirrored, NF-e queued, generated, authorized after a delay and attached once", async () => {
    const { zydonOrderId, blingOrderId } = await exportedOrder();
    bling.sim.control.setNfeDefaultOutcome(accountId, { result: "authorized", delayMs: 300 });
    const ctx = context();
    const before = { gerar: calls(GERAR), enviar: calls(ENVIAR) };

    bling.sim.control.setOrderSituacao(accountId, blingOrderId, aprovadoSituacaoId);
    expect(await mirrorOrderStatus(ctx, String(blingOrderId))).toBe("moved");
    expect(ctx.enqueued).toEqual([zydonOrderId]);

    const first = await advanceNfe(ctx, zydonOrderId);
    expect(first).toMatchObject({ kind: "waiting", situacao: 8, pollInMs: 30_000, cycle: 1 });
    await new Promise((r) => setTimeout(r, 400));
    const done = await advanceNfe(ctx, zydonOrderId);
    expect(done.kind).toBe("attached");

    const [inv] = invoicesOf(blingOrderId);
    expect(invoicesOf(blingOrderId)).toHaveLength(1);
    expect(inv).toMatchObject({ situacao: 5, transmissions: 1 });
    expect(done).toEqual({ kind: "attached", chaveAcesso: inv?.chaveAcesso });
    expect(calls(GERAR) - before.gerar).toBe(1);
    expect(calls(ENVIAR) - before.enviar).toBe(1);

    const org = zydonSim.sim.org(orgId);
    const zOrder = org.orders.get(zydonOrderId);
    expect(zOrder?.invoices).toHaveLength(1);
    const attached = zOrder?.invoices[0];
    expect(attached?.invoice_key).toBe(inv?.chaveAcesso);
    const xml = org.files.get(attached?.xml_resource_id as string);
    const danfe = org.files.get(attached?.danfe_resource_id as string);
    expect(xml).toMatchObject({ name: `NFe${inv?.chaveAcesso}.xml`, content_type: "application/xml" });
    expect(danfe).toMatchObject({ name: `DANFE-${inv?.chaveAcesso}.pdf`, content_type: "application/pdf" });
    expect(xml?.content_length).toBeGreaterThan(100);

    const ledger = await nfeLedger(zydonOrderId);
    expect(ledger.map((l) => [l.outcome, l.reason])).toEqual([
      [
        "synced",
        `NF-e nº ${inv?.numero} autorizada e anexada ao pedido no Zydon (chave ${inv?.chaveAcesso}).`,
      ],
    ]);

    // Running the step again (a duplicate job, a late webhook) writes nothing anywhere.
    expect((await advanceNfe(ctx, zydonOrderId)).kind).toBe("attached");
    expect(calls(GERAR) - before.gerar).toBe(1);
    expect(calls(ENVIAR) - before.enviar).toBe(1);
    expect(zydonSim.sim.org(orgId).orders.get(zydonOrderId)?.invoices).toHaveLength(1);
  });

  it("an order exported while already approved queues its NF-e; one still open does not", async () => {
    await new LinksRepository(h.db).upsert({
      tenantId,
      entity: "product",
      blingId: String(blingProductId),
      zydonId: zydonIds.products?.["PAR-1"] ?? null,
      naturalKey: "PAR-1",
    });
    const place = async () =>
      (
        await zydonSim.sim.placeOrder(orgId, {
          partner: { id: Object.values(zydonIds.partners ?? {})[0] as string },
          items: [{ sku: "PAR-1", quantity: 10 }],
          paymentMethodId: zydonIds.paymentMethods?.Boleto as string,
        })
      ).orderId;
    const approved = await place();
    await zydonPort.setOrderStatus(approved, zydonStatus.Aprovado as string);
    const open = await place();
    const ctx = context();
    expect((await exportOrder(ctx, approved)).kind).toBe("created");
    expect((await exportOrder(ctx, open)).kind).toBe("created");
    expect(ctx.enqueued).toEqual([approved]);
  });

  it("a crash between gerar-nfe and saving its id still ends with one NF-e", async () => {
    const { zydonOrderId, blingOrderId, exportId } = await exportedOrder();
    const real = blingPort();
    const crashing: BlingPort = {
      ...real,
      async generateNfe(orderId) {
        await real.generateNfe(orderId);
        throw new Error("simulated crash after gerar-nfe");
      },
    };
    const before = calls(GERAR);
    await expect(advanceNfe(context({ bling: crashing }), zydonOrderId)).rejects.toThrow("simulated crash");
    const repo = new OrderExportsRepository(h.db);
    const stuck = await repo.get(tenantId, zydonOrderId);
    expect(stuck).toMatchObject({ nfeState: "generating", blingInvoiceId: null });
    expect(invoicesOf(blingOrderId)).toHaveLength(1);

    // The claim is live for a while: another run does not touch Bling.
    await expect(advanceNfe(context(), zydonOrderId)).rejects.toBeInstanceOf(NfeInProgressError);
    // Time passes: the dead worker's claim goes stale and is taken over.
    await h.sql`update order_exports set updated_at = now() - interval '10 minutes' where id = ${exportId}`;

    const done = await advanceNfe(context(), zydonOrderId);
    expect(done.kind).toBe("attached");
    expect(calls(GERAR) - before).toBe(1);
    const invs = invoicesOf(blingOrderId);
    expect(invs).toHaveLength(1);
    expect((await repo.get(tenantId, zydonOrderId))?.blingInvoiceId).toBe(String(invs[0]?.id));
    expect(zydonSim.sim.org(orgId).orders.get(zydonOrderId)?.invoices).toHaveLength(1);
  });

  it("a timeout after Bling transmitted is not sent again: the next run reads the note and attaches it", async () => {
    const { zydonOrderId, blingOrderId } = await exportedOrder();
    const real = blingPort();
    const timingOut: BlingPort = {
      ...real,
      async sendNfe(nfeId) {
        await real.sendNfe(nfeId);
        throw new BlingNetworkError(true, true);
      },
    };
    const before = calls(ENVIAR);
    await expect(advanceNfe(context({ bling: timingOut }), zydonOrderId)).rejects.toThrow("timed out");
    // The claim was handed back at once (no stale wait) …
    expect((await new OrderExportsRepository(h.db).get(tenantId, zydonOrderId))?.nfeState).toBe("generated");
    // … and the retry sees the note authorized instead of transmitting it again.
    expect((await advanceNfe(context(), zydonOrderId)).kind).toBe("attached");
    expect(calls(ENVIAR) - before).toBe(1);
    expect(invoicesOf(blingOrderId)[0]?.transmissions).toBe(1);
  });

  it("a rejection → ledger entry with SEFAZ's reason; no re-send by itself; retry after the fix → authorized", async () => {
    const { zydonOrderId, blingOrderId } = await exportedOrder();
    bling.sim.control.setNfeOutcomes(accountId, [
      { result: "rejected", code: 778, reason: "Informado NCM inexistente" },
    ]);
    const ctx = context();
    const before = { gerar: calls(GERAR), enviar: calls(ENVIAR) };

    const rejected = await advanceNfe(ctx, zydonOrderId);
    const numero = invoicesOf(blingOrderId)[0]?.numero;
    expect(rejected).toEqual({
      kind: "rejected",
      reason: `A SEFAZ rejeitou a NF-e nº ${numero}: Rejeição 778: Informado NCM inexistente. Corrija a nota no Bling e tente novamente.`,
    });
    let ledger = await nfeLedger(zydonOrderId);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ outcome: "failed", retryable: 1, resolvedAt: null });
    expect(ledger[0]?.reason).toContain("Rejeição 778: Informado NCM inexistente");

    // Another run (duplicate job, webhook) does not transmit again.
    expect((await advanceNfe(ctx, zydonOrderId)).kind).toBe("rejected");
    expect(calls(ENVIAR) - before.enviar).toBe(1);
    expect(zydonSim.sim.org(orgId).orders.get(zydonOrderId)?.invoices).toHaveLength(0);

    // The merchant fixes the note in Bling (SEFAZ now authorizes) and clicks "tentar novamente".
    const retried = await advanceNfe(ctx, zydonOrderId, { retry: true });
    expect(retried.kind).toBe("attached");
    const invs = invoicesOf(blingOrderId);
    expect(invs).toHaveLength(1);
    expect(invs[0]).toMatchObject({ situacao: 5, transmissions: 2, numero });
    expect(calls(GERAR) - before.gerar).toBe(1);
    expect(calls(ENVIAR) - before.enviar).toBe(2);
    ledger = await nfeLedger(zydonOrderId);
    expect(ledger.find((l) => l.outcome === "failed")?.resolvedAt).not.toBeNull();
    expect(ledger.find((l) => l.outcome === "synced")?.reason).toContain("autorizada e anexada");
    expect(zydonSim.sim.org(orgId).orders.get(zydonOrderId)?.invoices).toHaveLength(1);
  });

  it("a denial is final: ledger reason, not retryable, and a retry does not transmit", async () => {
    const { zydonOrderId } = await exportedOrder();
    bling.sim.control.setNfeOutcomes(accountId, [
      { result: "denied", code: 302, reason: "Irregularidade fiscal do destinatário", delayMs: 100 },
    ]);
    const ctx = context();
    const before = calls(ENVIAR);
    expect((await advanceNfe(ctx, zydonOrderId)).kind).toBe("waiting");
    await new Promise((r) => setTimeout(r, 200));
    const denied = await advanceNfe(ctx, zydonOrderId);
    expect(denied.kind).toBe("failed");
    const ledger = await nfeLedger(zydonOrderId);
    expect(ledger[0]).toMatchObject({ outcome: "failed", retryable: 0 });
    // Via polling Bling's NF-e body has no reason: the entry points the merchant to the note in Bling.
    expect(ledger[0]?.reason).toContain("A SEFAZ denegou a NF-e");
    expect((await advanceNfe(ctx, zydonOrderId, { retry: true })).kind).toBe("failed");
    expect(calls(ENVIAR) - before).toBe(1);
  });

  it("with the setting off nothing happens: no trigger, no Bling call", async () => {
    const { zydonOrderId, blingOrderId } = await exportedOrder();
    const ctx = context({ enabled: false });
    const before = { gerar: calls(GERAR), enviar: calls(ENVIAR) };
    bling.sim.control.setOrderSituacao(accountId, blingOrderId, aprovadoSituacaoId);
    expect(await mirrorOrderStatus(ctx, String(blingOrderId))).toBe("moved");
    expect(ctx.enqueued).toEqual([]);
    expect(await advanceNfe(ctx, zydonOrderId)).toEqual({ kind: "disabled" });
    expect(calls(GERAR)).toBe(before.gerar);
    expect(calls(ENVIAR)).toBe(before.enviar);
    expect(invoicesOf(blingOrderId)).toHaveLength(0);
    expect((await new OrderExportsRepository(h.db).get(tenantId, zydonOrderId))?.nfeState).toBeNull();
    expect(await nfeLedger(zydonOrderId)).toHaveLength(0);
  });

  it("switched off while SEFAZ is answering: nothing new is sent, the transmitted note is still attached", async () => {
    const { zydonOrderId, blingOrderId } = await exportedOrder();
    bling.sim.control.setNfeDefaultOutcome(accountId, { result: "authorized", delayMs: 3_600_000 });
    expect((await advanceNfe(context(), zydonOrderId)).kind).toBe("waiting");
    const off = context({ enabled: false });
    expect((await advanceNfe(off, zydonOrderId)).kind).toBe("waiting");
    const nfeId = (await new OrderExportsRepository(h.db).get(tenantId, zydonOrderId))?.blingInvoiceId;
    expect(bling.sim.control.answerNfeNow(accountId, Number(nfeId))).toBe(true);
    expect((await advanceNfe(off, zydonOrderId)).kind).toBe("attached");
    expect(invoicesOf(blingOrderId)).toHaveLength(1);
  });
});
