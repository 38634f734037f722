import { createHmac } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestSim, TEST_APP } from "./test-support.js";

interface Received {
  headers: Record<string, string | string[] | undefined>;
  raw: string;
}

let server: Server;
let url: string;
let received: Received[] = [];
let answer = 200;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/bling`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  received = [];
  answer = 200;
});

function setup(retrySchedule = [1_000, 2_000]) {
  const t = createTestSim({ limits: { enforce: false }, webhook: { retrySchedule, timeoutMs: 2_000 } });
  t.sim.control.setAppWebhookUrl(TEST_APP.clientId, url);
  const dep = t.sim.control.getAccount(t.accountId).deposits[0]?.id as number;
  return { t, dep };
}

describe("webhooks", () => {
  it("v1 envelope, signature = sha256 HMAC of the raw body with the client secret", async () => {
    const { t, dep } = setup();
    const p = t.sim.control.upsertProduct(t.accountId, {
      nome: "Caneca Ágata — 300ml",
      codigo: "CAN",
      preco: 19.9,
    });
    t.sim.control.setStock(t.accountId, p.id as number, dep, { fisico: 12, virtual: 10 });
    await t.sim.control.flushWebhooks();
    expect(received.map((r) => JSON.parse(r.raw).event)).toEqual([
      "product.created",
      "stock.created",
      "virtual_stock.updated",
    ]);
    for (const r of received) {
      const expected = `sha256=${createHmac("sha256", TEST_APP.clientSecret).update(r.raw, "utf8").digest("hex")}`;
      expect(r.headers["x-bling-signature-256"]).toBe(expected);
      expect(r.headers["content-type"]).toBe("application/json");
      const wrong = `sha256=${createHmac("sha256", "other-secret").update(r.raw, "utf8").digest("hex")}`;
      expect(r.headers["x-bling-signature-256"]).not.toBe(wrong);
    }
    const product = JSON.parse(received[0]?.raw as string);
    expect(product).toMatchObject({
      version: "v1",
      companyId: t.companyId,
      data: { id: p.id, nome: "Caneca Ágata — 300ml", codigo: "CAN" },
    });
    expect(product.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(product.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(JSON.parse(received[1]?.raw as string).data).toEqual({
      produto: { id: p.id },
      deposito: { id: dep, saldoFisico: 12, saldoVirtual: 10 },
      operacao: "B",
      quantidade: 12,
      saldoFisicoTotal: 12,
      saldoVirtualTotal: 10,
    });
  });

  it("only apps installed on the account receive events", async () => {
    const { t } = setup();
    const other = t.sim.control.createAccount({ companyName: "Outra" });
    t.sim.control.upsertProduct(other.accountId, { nome: "X" });
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(0);
  });

  it("non-2xx → retried on the schedule, then the resource's webhook is disabled for the app", async () => {
    const { t, dep } = setup([1_000, 2_000]);
    answer = 500;
    const p = t.sim.control.upsertProduct(t.accountId, { nome: "X" });
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(1);
    t.clock.advance(999);
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(1);
    t.clock.advance(1);
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(2);
    t.clock.advance(2_000);
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => JSON.parse(r.raw).eventId)).size).toBe(1);
    expect(t.sim.control.disabledWebhooks()).toEqual([{ clientId: TEST_APP.clientId, resource: "product" }]);
    const log = t.sim.control.webhookDeliveries();
    expect(log.map((l) => [l.attempt, l.status, l.disabled ?? false])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 500, true],
    ]);
    answer = 200;
    t.sim.control.setPrice(t.accountId, p.id as number, 5);
    t.sim.control.setStock(t.accountId, p.id as number, dep, { fisico: 1 });
    await t.sim.control.flushWebhooks();
    // product is disabled, stock still flows.
    expect(received.slice(3).map((r) => JSON.parse(r.raw).event)).toEqual([
      "stock.created",
      "virtual_stock.updated",
    ]);
    t.sim.control.enableWebhooks(TEST_APP.clientId, "product");
    t.sim.control.setPrice(t.accountId, p.id as number, 6);
    await t.sim.control.flushWebhooks();
    expect(JSON.parse(received.at(-1)?.raw as string).event).toBe("product.updated");
  });

  it("failWebhookDeliveries fails attempts without calling the receiver; dropWebhooks loses events", async () => {
    const { t } = setup([1_000]);
    t.sim.control.setFaults({ failWebhookDeliveries: true });
    t.sim.control.upsertProduct(t.accountId, { nome: "X" });
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(0);
    expect(t.sim.control.webhookDeliveries()[0]).toMatchObject({ ok: false, error: "simulated failure" });
    t.sim.control.setFaults({ dropWebhooks: true });
    t.clock.advance(1_000);
    t.sim.control.upsertContact(t.accountId, { nome: "sem webhook" });
    t.sim.control.createOrder(t.accountId, {
      contato: { id: t.sim.control.upsertContact(t.accountId, { nome: "C" }).id },
      itens: [{ descricao: "x", quantidade: 1, valor: 1 }],
    });
    await t.sim.control.flushWebhooks();
    // The retry of the product event arrives; the dropped order event never does.
    expect(received.map((r) => JSON.parse(r.raw).event)).toEqual(["product.created"]);
  });

  it("duplicateWebhooks delivers each event twice with the same eventId and body", async () => {
    const { t } = setup();
    t.sim.control.setFaults({ duplicateWebhooks: true });
    t.sim.control.upsertProduct(t.accountId, { nome: "A" });
    t.sim.control.upsertProduct(t.accountId, { nome: "B" });
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(4);
    const ids = received.map((r) => JSON.parse(r.raw).eventId);
    expect(new Set(ids).size).toBe(2);
    expect(received[0]?.raw).toBe(received[1]?.raw);
  });

  it("reorderWebhooks shuffles deliveries; webhookDelayMs holds them back", async () => {
    const { t } = setup();
    t.sim.control.setFaults({ reorderWebhooks: true, webhookDelayMs: 5_000 });
    const names = Array.from({ length: 12 }, (_, i) => `P${i}`);
    for (const nome of names) t.sim.control.upsertProduct(t.accountId, { nome });
    await t.sim.control.flushWebhooks();
    expect(received).toHaveLength(0);
    t.clock.advance(5_000);
    await t.sim.control.flushWebhooks();
    const order = received.map((r) => JSON.parse(r.raw).data.nome);
    expect([...order].sort()).toEqual([...names].sort());
    expect(order).not.toEqual(names);
  });

  it("API writes fire webhooks too, and the API answers without waiting for delivery", async () => {
    const { t } = setup();
    const contato = t.sim.control.upsertContact(t.accountId, { nome: "C", tipo: "F" });
    const res = await t.call("POST", "/pedidos/vendas", {
      body: {
        contato: { id: contato.id },
        numeroLoja: "Z-9",
        itens: [{ descricao: "x", quantidade: 2, valor: 3 }],
      },
    });
    expect(res.status).toBe(201);
    expect(received).toHaveLength(0);
    await t.call("PATCH", `/pedidos/vendas/${res.json.data.id}/situacoes/9`);
    await t.sim.control.flushWebhooks();
    const events = received.map((r) => JSON.parse(r.raw));
    expect(events.map((e) => e.event)).toEqual(["order.created", "order.updated"]);
    expect(events[1].data).toMatchObject({
      id: res.json.data.id,
      numeroLoja: "Z-9",
      total: 6,
      situacao: { id: 9, valor: 1 },
    });
  });

  it("post-sale: a tracking code fires order.updated once; cancelling an authorized NF-e fires invoice.updated (situação 2)", async () => {
    const { t } = setup();
    const c = t.sim.control;
    const contato = c.upsertContact(t.accountId, { nome: "Cliente", tipo: "J" });
    const pm = c.upsertPaymentMethod(t.accountId, { descricao: "PIX", tipoPagamento: 17 });
    const order = c.createOrder(t.accountId, {
      contato: { id: contato.id },
      itens: [{ descricao: "Item", quantidade: 1, valor: 10 }],
      parcelas: [{ dataVencimento: "2026-02-15", valor: 10, formaPagamento: { id: pm.id } }],
    });
    await c.flushWebhooks();
    received = [];

    const volume = c.setOrderTracking(t.accountId, order.id, { codigoRastreamento: "AA1BR", servico: "PAC" });
    expect(volume).toEqual({ id: expect.any(Number), servico: "PAC", codigoRastreamento: "AA1BR" });
    // Saved again unchanged: Bling has nothing new to say.
    c.setOrderTracking(t.accountId, order.id, { codigoRastreamento: "AA1BR" });
    c.setOrderTracking(t.accountId, order.id, { codigoRastreamento: "AA2BR", volumeId: volume.id });
    expect(() =>
      c.setOrderTracking(t.accountId, order.id, { codigoRastreamento: "X", volumeId: 1 }),
    ).toThrow();
    await c.flushWebhooks();
    const events = received.map((r) => JSON.parse(r.raw));
    expect(events.map((e) => e.event)).toEqual(["order.updated", "order.updated"]);
    // The slim order payload (reference §7): no volumes in it, the API read gives them.
    expect(Object.keys(events[0].data).sort()).toEqual(
      ["contato", "data", "id", "loja", "numero", "numeroLoja", "situacao", "total", "vendedor"].sort(),
    );
    expect(c.getOrder(t.accountId, order.id)?.transporte).toMatchObject({
      volumes: [{ id: volume.id, servico: "PAC", codigoRastreamento: "AA2BR" }],
    });

    const inv = c.createInvoiceForOrder(t.accountId, order.id);
    await c.flushWebhooks();
    received = [];
    c.cancelInvoice(t.accountId, inv.id);
    c.cancelInvoice(t.accountId, inv.id);
    await c.flushWebhooks();
    expect(received.map((r) => JSON.parse(r.raw))).toMatchObject([
      { event: "invoice.updated", data: { id: inv.id, situacao: 2, numero: inv.numero } },
    ]);

    // Only an authorized note can be cancelled.
    const other = c.createOrder(t.accountId, {
      contato: { id: contato.id },
      itens: [{ descricao: "Item", quantidade: 1, valor: 10 }],
      parcelas: [{ dataVencimento: "2026-02-15", valor: 10, formaPagamento: { id: pm.id } }],
    });
    c.setNfeOutcomes(t.accountId, [{ result: "authorized", delayMs: 60_000 }]);
    const pending = c.createInvoiceForOrder(t.accountId, other.id);
    expect(() => c.cancelInvoice(t.accountId, pending.id)).toThrow(/cancelar a nota fiscal/);
    expect(c.getInvoice(t.accountId, pending.id)?.situacao).toBe(8);
  });
});
