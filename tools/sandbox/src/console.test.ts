import { createTransport } from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_HOOK_BYTES, type StartedConsole, startSimulatorConsole } from "./console.js";
import { type DemoWorld, startDemoWorld } from "./demo-world.js";
import { CAUGHT_LIMIT } from "./mail-catcher.js";

/**
 * The console's /mail and /hooks pages (issue 18): what the integration sends the merchant, as the merchant
 * would see it. The world's simulators stay in memory; no API is needed (nothing here calls it).
 */

let world: DemoWorld;
let simConsole: StartedConsole;

beforeAll(async () => {
  world = await startDemoWorld({
    apiUrl: "http://127.0.0.1:9",
    blingClientId: "console-bling-app",
    blingClientSecret: "console-bling-client-secret-0123456789",
    zydonPluginId: "00000000-0000-4000-8000-0000000000c1",
    zydonAccessKey: "console-zydon-plugin-access-key",
    account: { products: 2, contacts: 1, paymentMethods: 1, seed: 5 },
  });
  simConsole = await startSimulatorConsole({ world, apiUrl: "http://127.0.0.1:9" });
}, 30_000);

afterAll(async () => {
  await simConsole?.close();
  await world?.close();
});

const page = async (path: string): Promise<string> => {
  const res = await fetch(`${simConsole.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
  return res.text();
};

const postHook = (body: string) =>
  fetch(simConsole.hookUrl, { method: "POST", headers: { "content-type": "application/json" }, body });

describe("console: e-mails received (/mail)", () => {
  it("says so when nothing arrived yet; the home page links to both pages", async () => {
    expect(await page("/mail")).toContain("Nenhum e-mail recebido ainda.");
    const home = await page("/");
    expect(home).toContain('<a href="/mail">E-mails recebidos (0)</a>');
    expect(home).toContain('<a href="/hooks">Webhooks recebidos (0)</a>');
  });

  it("shows each mail's time, recipient, subject and text, newest first, with the text escaped", async () => {
    const transport = createTransport(world.mail.url);
    await transport.sendMail({
      from: '"Zydon ↔ Bling (demo)" <alertas@demo.local>',
      to: "lojista@exemplo.com.br",
      subject: "Alerta: pedido não enviado ao Bling",
      text: 'O pedido 1042 falhou: <script>alert("x")</script> & mais',
      html: '<p>O pedido <b>1042</b> falhou</p><script>alert("x")</script>',
    });
    await transport.sendMail({
      from: '"Zydon ↔ Bling (demo)" <alertas@demo.local>',
      to: "financeiro@exemplo.com.br",
      subject: "Alerta: estoque não atualizado no Zydon",
      text: "Segundo alerta.",
    });

    const html = await page("/mail");
    expect(html).not.toContain("Nenhum e-mail recebido ainda.");
    expect(html).toContain('<a href="/mail">E-mails recebidos (2)</a>');
    const items = html.split('data-testid="mail-item"').slice(1);
    expect(items).toHaveLength(2);
    expect(items[0]).toContain('<h2 data-testid="mail-subject">Alerta: estoque não atualizado no Zydon</h2>');
    expect(items[0]).toContain("financeiro@exemplo.com.br");
    expect(items[0]).toContain('<pre data-testid="mail-text">Segundo alerta.\n</pre>');
    expect(items[0]).not.toContain("<iframe");
    expect(items[1]).toContain('<h2 data-testid="mail-subject">Alerta: pedido não enviado ao Bling</h2>');
    expect(items[1]).toContain("lojista@exemplo.com.br");
    expect(items[1]).toContain(
      '<pre data-testid="mail-text">O pedido 1042 falhou: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; mais</pre>',
    );
    const received = world.mail.messages()[1]?.receivedAt ?? "";
    expect(items[1]).toContain(
      `<time datetime="${received}">${new Date(received).toLocaleString("pt-BR")}</time>`,
    );
    // The HTML version only in a sandboxed frame (no scripts), its markup escaped into srcdoc.
    expect(items[1]).toContain(
      '<iframe sandbox="" title="Versão HTML: Alerta: pedido não enviado ao Bling" srcdoc="&lt;p&gt;O pedido &lt;b&gt;1042&lt;/b&gt; falhou&lt;/p&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"></iframe>',
    );
    expect(html).not.toContain("<script");
  });
});

describe("console: webhooks received (/hooks, POST /hooks/alerts)", () => {
  it("answers like Slack, lists the bodies newest first, pretty-printed and escaped", async () => {
    expect(simConsole.hookUrl).toBe(`${simConsole.url}/hooks/alerts`);
    expect(await page("/hooks")).toContain("Nenhum webhook recebido ainda.");

    const first = await postHook(JSON.stringify({ text: "Alerta: pedido <b>1042</b> não enviado ao Bling" }));
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("ok");
    expect((await postHook('{"text":"segundo"}')).status).toBe(200);

    expect(simConsole.hooks().map((h) => [h.id, h.body])).toEqual([
      [2, { text: "segundo" }],
      [1, { text: "Alerta: pedido <b>1042</b> não enviado ao Bling" }],
    ]);
    const html = await page("/hooks");
    expect(html).not.toContain("Nenhum webhook recebido ainda.");
    expect(html).toContain('<a href="/hooks">Webhooks recebidos (2)</a>');
    expect(html).toContain(simConsole.hookUrl);
    const items = html.split('data-testid="hook-item"').slice(1);
    expect(items).toHaveLength(2);
    expect(items[0]).toContain("{\n  &quot;text&quot;: &quot;segundo&quot;\n}");
    expect(items[1]).toContain(
      "{\n  &quot;text&quot;: &quot;Alerta: pedido &lt;b&gt;1042&lt;/b&gt; não enviado ao Bling&quot;\n}",
    );
    expect(html).not.toContain("<b>1042");
  });

  it(`takes a body of ${MAX_HOOK_BYTES / 1024} KiB, refuses a bigger one (413) or one that is not JSON (400)`, async () => {
    const before = simConsole.hooks().length;
    const exactly = JSON.stringify({ text: "" }).length;
    const full = JSON.stringify({ text: "x".repeat(MAX_HOOK_BYTES - exactly) });
    expect(Buffer.byteLength(full)).toBe(MAX_HOOK_BYTES);
    expect((await postHook(full)).status).toBe(200);

    const over = await postHook(JSON.stringify({ text: "x".repeat(MAX_HOOK_BYTES) }));
    expect(over.status).toBe(413);
    const notJson = await postHook("text=oi");
    expect(notJson.status).toBe(400);
    expect(await notJson.text()).toBe("invalid_payload");
    expect(simConsole.hooks()).toHaveLength(before + 1);
    // GET on the catcher is not a page.
    expect((await fetch(simConsole.hookUrl)).status).toBe(404);
  });

  it(`keeps only the newest ${CAUGHT_LIMIT}`, async () => {
    for (let i = 1; i <= CAUGHT_LIMIT + 5; i++) await postHook(JSON.stringify({ n: i }));
    const hooks = simConsole.hooks();
    expect(hooks).toHaveLength(CAUGHT_LIMIT);
    expect(hooks[0]?.body).toEqual({ n: CAUGHT_LIMIT + 5 });
    expect(hooks.at(-1)?.body).toEqual({ n: 6 });
  });
});

describe("console: the merchant changes a Zydon order's status", () => {
  it("moves the order along Zydon's allowed statuses and says what the order-update webhook did", async () => {
    const seeded = world.zydon.sim.seed(world.organizationId, {
      paymentMethods: [{ name: "Pix Console" }],
      products: [{ name: "Caneca", sku: "CONS-1", price: 10 }],
    });
    const { orderId } = await world.zydon.sim.placeOrder(world.organizationId, {
      partner: { name: "Cliente Console", type: "PF", fiscal_registration_number: "52998224725" },
      items: [{ sku: "CONS-1", quantity: 1 }],
      paymentMethodId: seeded.paymentMethods?.["Pix Console"] as string,
    });
    const snap = () => world.zydon.sim.snapshot(world.organizationId);
    const statusId = (name: string) => snap().statuses.find((s) => s.name === name)?.id as string;
    const home = await page("/");
    expect(home).toContain('<form method="post" action="/zydon/status">');
    expect(home).toContain(`<input type="hidden" name="orderId" value="${orderId}">`);

    const move = (to: string) =>
      fetch(`${simConsole.url}/zydon/status`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ orderId, statusId: statusId(to) }).toString(),
      });
    const res = await move("Em andamento");
    expect(res.status).toBe(303);
    const ok = new URL(res.headers.get("location") ?? "", simConsole.url).searchParams.get("ok");
    // The plugin is not installed in this organization (no API here): nobody to notify.
    expect(ok).toBe(
      `Zydon: pedido ${orderId} movido para "Em andamento"; webhook de alteração entregue à integração (sem entrega)`,
    );
    expect(snap().orders.find((o) => o.id === orderId)?.statusId).toBe(statusId("Em andamento"));

    // Back to "Em aberto" is not an allowed move: the console shows Zydon's refusal.
    const refused = await move("Em aberto");
    const erro = new URL(refused.headers.get("location") ?? "", simConsole.url).searchParams.get("erro");
    expect(erro).toMatch(/não permitida/);
    expect(snap().orders.find((o) => o.id === orderId)?.statusId).toBe(statusId("Em andamento"));
  });
});

describe("console: post-sale as the merchant in Bling (tracking code, NF-e cancel)", () => {
  const post = async (path: string, form: Record<string, string>): Promise<URL> => {
    const res = await fetch(`${simConsole.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
      redirect: "manual",
    });
    expect(res.status).toBe(303);
    return new URL(res.headers.get("location") as string, simConsole.url);
  };

  it("saves a tracking code on a Bling order (order.updated as Bling fires it) and cancels its authorized NF-e", async () => {
    const c = world.bling.sim.control;
    const acc = c.getAccount(world.blingAccountId);
    const contato = acc.contacts[0];
    const pm = acc.paymentMethods[0];
    if (!contato || !pm) throw new Error("demo account without contact or payment method");
    const { id } = c.createOrder(world.blingAccountId, {
      numeroLoja: "Z-CONSOLE",
      contato: { id: contato.id },
      itens: [{ descricao: "Item", quantidade: 1, valor: 10 }],
      parcelas: [{ dataVencimento: "2026-02-15", valor: 10, formaPagamento: { id: pm.id } }],
    });
    const inv = c.createInvoiceForOrder(world.blingAccountId, id);
    expect(await page("/")).toContain("Cancelar NF-e");

    const ok = await post("/bling/rastreio", { orderId: String(id), codigo: " AA123456789BR " });
    expect(ok.searchParams.get("ok")).toBe(
      `Bling: pedido ${id} com código de rastreio AA123456789BR (volume 1)`,
    );
    expect(c.getOrder(world.blingAccountId, id)?.transporte).toMatchObject({
      volumes: [{ codigoRastreamento: "AA123456789BR" }],
    });
    const html = await page("/");
    expect(html.split('data-testid="bling-tracking"')[1]).toContain("AA123456789BR");

    const cancelled = await post("/bling/nfe-cancelar", { invoiceId: String(inv.id) });
    expect(cancelled.searchParams.get("ok")).toBe(`Bling: NF-e ${inv.numero} cancelada`);
    expect(c.getInvoice(world.blingAccountId, inv.id)?.situacao).toBe(2);
    const again = await post("/bling/rastreio", { orderId: String(id), codigo: "" });
    expect(again.searchParams.get("erro")).toBe("informe o código de rastreio");
  });
});
