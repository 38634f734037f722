import { describe, expect, it, vi } from "vitest";
import { createTestSim } from "./test-support.js";

function seed(opts: { publicUrl?: string } = {}) {
  const t = createTestSim({ limits: { enforce: false }, ...opts });
  const c = t.sim.control;
  const contato = c.upsertContact(t.accountId, { nome: "Mercado Silva Ltda", tipo: "J" });
  const produto = c.upsertProduct(t.accountId, { nome: "Caneca", codigo: "CAN", preco: 20 });
  const order = c.createOrder(t.accountId, {
    numeroLoja: "Z-77",
    contato: { id: contato.id },
    itens: [{ produto: { id: produto.id }, quantidade: 2, valor: 20 }],
  });
  const events: Array<{ event: string; situacao: unknown }> = [];
  vi.spyOn(t.sim.webhooks, "emit").mockImplementation((_a, _c, resource, action, data) => {
    if (resource === "invoice")
      events.push({ event: `${resource}.${action}`, situacao: (data as { situacao?: unknown }).situacao });
  });
  return { t, order, events };
}

async function generate(t: ReturnType<typeof seed>["t"], orderId: number): Promise<number> {
  const gen = await t.call("POST", `/pedidos/vendas/${orderId}/gerar-nfe`);
  expect(gen.status).toBe(201);
  return gen.json.idNotaFiscal as number;
}

describe("NF-e transmission outcomes", () => {
  it("authorized after a delay: 8 until the clock reaches it, then 5 with XML/DANFE links and webhooks", async () => {
    const { t, order, events } = seed({ publicUrl: "http://sim.test" });
    t.sim.control.setNfeOutcomes(t.accountId, [{ result: "authorized", delayMs: 60_000 }]);
    const id = await generate(t, order.id);
    expect((await t.call("GET", `/pedidos/vendas/${order.id}`)).json.data.notaFiscal).toEqual({ id });

    const sent = await t.call("POST", `/nfe/${id}/enviar`);
    expect(sent.status).toBe(200);
    let nfe = (await t.call("GET", `/nfe/${id}`)).json.data;
    expect(nfe).toMatchObject({ situacao: 8, xml: "", linkDanfe: "" });
    expect((await t.call("POST", `/nfe/${id}/enviar`)).status).toBe(400);

    t.clock.advance(59_999);
    expect((await t.call("GET", `/nfe/${id}`)).json.data.situacao).toBe(8);
    t.clock.advance(1);
    nfe = (await t.call("GET", `/nfe/${id}`)).json.data;
    expect(nfe.situacao).toBe(5);
    expect(nfe.chaveAcesso).toMatch(/^\d{44}$/);
    expect(nfe.xml).toMatch(/^http:\/\/sim\.test\/relatorios\/nfe\.xml\.php\?chaveAcesso=\d{44}&accessKey=/);
    expect(nfe.linkDanfe).toMatch(/^http:\/\/sim\.test\/doc\.view\.php\?chaveAcesso=/);
    expect(events).toEqual([
      { event: "invoice.created", situacao: 1 },
      { event: "invoice.updated", situacao: 8 },
      { event: "invoice.updated", situacao: 5 },
    ]);

    // The links answer without a token; a wrong accessKey does not.
    const xml = await t.sim.handle({
      method: "GET",
      url: new URL(nfe.xml).pathname + new URL(nfe.xml).search,
      headers: {},
    });
    expect(xml.status).toBe(200);
    expect(xml.headers["content-type"]).toContain("application/xml");
    expect(xml.body).toContain(`<chNFe>${nfe.chaveAcesso}</chNFe>`);
    const pdfUrl = new URL(nfe.linkDanfe);
    const pdf = await t.sim.handle({ method: "GET", url: pdfUrl.pathname + pdfUrl.search, headers: {} });
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    expect(pdf.body.startsWith("%PDF-1.4")).toBe(true);
    const forged = await t.sim.handle({
      method: "GET",
      url: `/relatorios/nfe.xml.php?chaveAcesso=${nfe.chaveAcesso}&accessKey=nope`,
      headers: {},
    });
    expect(forged.status).toBe(404);

    // Sending an authorized note again is not a new transmission.
    expect((await t.call("POST", `/nfe/${id}/enviar`)).status).toBe(200);
    expect(t.sim.control.getInvoice(t.accountId, id)?.transmissions).toBe(1);
  });

  it("rejected at once: 400 with SEFAZ's reason, situação 4; sent again after the fix → authorized, same note", async () => {
    const { t, order, events } = seed();
    t.sim.control.setNfeOutcomes(t.accountId, [
      { result: "rejected", code: 778, reason: "Informado NCM inexistente" },
    ]);
    const id = await generate(t, order.id);
    const sent = await t.call("POST", `/nfe/${id}/enviar`);
    expect(sent.status).toBe(400);
    expect(sent.json.error).toMatchObject({
      type: "VALIDATION_ERROR",
      description: "Rejeição 778: Informado NCM inexistente",
    });
    const rejected = (await t.call("GET", `/nfe/${id}`)).json.data;
    expect(rejected.situacao).toBe(4);
    expect(t.sim.control.getInvoice(t.accountId, id)?.motivo).toBe("Rejeição 778: Informado NCM inexistente");

    const again = await t.call("POST", `/nfe/${id}/enviar`);
    expect(again.status).toBe(200);
    const ok = (await t.call("GET", `/nfe/${id}`)).json.data;
    expect(ok).toMatchObject({ situacao: 5, numero: rejected.numero, chaveAcesso: rejected.chaveAcesso });
    expect(t.sim.control.getAccount(t.accountId).invoices).toHaveLength(1);
    expect(events.map((e) => e.situacao)).toEqual([1, 4, 5]);
  });

  it("denied after a delay ends in 9 and cannot be sent again; the default outcome applies when the queue is empty", async () => {
    const { t, order } = seed();
    t.sim.control.setNfeDefaultOutcome(t.accountId, {
      result: "denied",
      code: 302,
      reason: "Irregularidade fiscal do destinatário",
      delayMs: 1_000,
    });
    const id = await generate(t, order.id);
    expect((await t.call("POST", `/nfe/${id}/enviar`)).status).toBe(200);
    t.clock.advance(1_000);
    t.sim.control.settleInvoices();
    const inv = t.sim.control.getInvoice(t.accountId, id);
    expect(t.sim.control.answerNfeNow(t.accountId, id)).toBe(false);
    expect(inv).toMatchObject({
      situacao: 9,
      motivo: "Denegação 302: Irregularidade fiscal do destinatário",
    });
    const again = await t.call("POST", `/nfe/${id}/enviar`);
    expect(again.status).toBe(400);
    expect(again.json.error.description).toContain("denegada");
  });

  it("GET /nfe filters by numeroLoja of the order and hides cancelled notes unless situacao is given", async () => {
    const { t, order } = seed();
    const id = await generate(t, order.id);
    const byLoja = await t.call("GET", "/nfe?numeroLoja=Z-77");
    expect(byLoja.json.data.map((n: { id: number }) => n.id)).toEqual([id]);
    expect((await t.call("GET", "/nfe?numeroLoja=Z-78")).json.data).toEqual([]);
    expect((await t.call("GET", "/nfe?situacao=1")).json.data).toHaveLength(1);
    expect((await t.call("GET", "/nfe?situacao=5")).json.data).toHaveLength(0);
  });
});
