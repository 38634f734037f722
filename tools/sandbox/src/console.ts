import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { DemoWorld } from "./demo-world.js";
import { CAUGHT_LIMIT, keepNewest } from "./mail-catcher.js";

/**
 * The simulator console of `pnpm dev`: one plain HTML page (no script) where a newcomer acts as the merchant
 * in Bling (stock, price, order situação) and as a buyer in Zydon (place an order). Every action goes through
 * the simulators' control API, so Bling and Zydon fire their webhooks at our API exactly as the real systems
 * would; the tables show both sides, so the effect is visible after a reload.
 *
 * Two more pages show what the integration sends the merchant: /mail the alert e-mails that reached the
 * demo's SMTP catcher (world.mail), /hooks the alert webhooks POSTed to /hooks/alerts (a stand-in for a Slack
 * incoming webhook: the merchant pastes that URL as "Webhook (opcional)" in Configurações → Alertas).
 */

const esc = (v: unknown): string =>
  String(v ?? "").replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
const money = (v: unknown): string =>
  typeof v === "number" ? v.toLocaleString("pt-BR", { style: "currency", currency: "BRL" }) : "—";

type Row = Record<string, unknown>;

export interface ConsoleOptions {
  world: DemoWorld;
  /** Our API's public URL: the console sends merchants to its settings page. */
  apiUrl: string;
  host?: string;
  port?: number;
}

export interface StartedConsole {
  url: string;
  /** `${url}/hooks/alerts`: the alert webhook catcher, a URL the merchant can paste as "Webhook (opcional)". */
  hookUrl: string;
  /** The webhook bodies POSTed to hookUrl, newest first, at most CAUGHT_LIMIT. */
  hooks(): CaughtHook[];
  server: Server;
  close(): Promise<void>;
}

export interface CaughtHook {
  /** 1, 2, 3… in arrival order. */
  id: number;
  /** ISO time the POST arrived. */
  receivedAt: string;
  /** The JSON body, parsed. */
  body: unknown;
}

/** A bigger webhook body is answered 413 and not kept. */
export const MAX_HOOK_BYTES = 64 * 1024;

interface ConsoleState {
  hooks: CaughtHook[];
  nextHookId: number;
  hookUrl: string;
}

export async function startSimulatorConsole(opts: ConsoleOptions): Promise<StartedConsole> {
  const state: ConsoleState = { hooks: [], nextHookId: 1, hookUrl: "" };
  const server = createServer((req, res) => {
    handle(opts, state, req, res).catch((err: unknown) => {
      redirect(res, `/?erro=${encodeURIComponent((err as Error).message)}`);
    });
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : (opts.port ?? 0);
  const url = `http://${host}:${port}`;
  state.hookUrl = `${url}/hooks/alerts`;
  return {
    url,
    hookUrl: state.hookUrl,
    hooks: () => state.hooks.slice(),
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A fresh settings-page URL: a new Zydon admin session, exchanged by the page at POST /api/session. */
export function freshSettingsUrl(world: DemoWorld, apiUrl: string): string {
  const s = world.zydon.sim.issueAdminSession(world.organizationId);
  return `${apiUrl.replace(/\/$/, "")}/app#org=${encodeURIComponent(s.organizationId)}&token=${encodeURIComponent(s.accessToken)}`;
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, "cache-control": "no-store" });
  res.end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error("formulário grande demais");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}

/** The whole body, or null when it is over `limit` bytes (read to the end anyway, so the client gets the answer). */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? null : Buffer.concat(chunks);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
  res.end(body);
}

function html(res: ServerResponse, body: string): void {
  res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  res.end(body);
}

/** Like a Slack incoming webhook: 200 "ok" for a JSON body, 400 "invalid_payload" otherwise. */
async function catchHook(state: ConsoleState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readBody(req, MAX_HOOK_BYTES);
  if (raw === null) return text(res, 413, `corpo maior que ${MAX_HOOK_BYTES / 1024} KiB`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString("utf8"));
  } catch {
    return text(res, 400, "invalid_payload");
  }
  keepNewest(state.hooks, { id: state.nextHookId++, receivedAt: new Date().toISOString(), body });
  text(res, 200, "ok");
}

function num(form: URLSearchParams, name: string): number {
  const raw = (form.get(name) ?? "").replace(",", ".").trim();
  const n = Number(raw);
  if (raw === "" || !Number.isFinite(n)) throw new Error(`valor inválido em ${name}: "${raw}"`);
  return n;
}

async function handle(
  opts: ConsoleOptions,
  state: ConsoleState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { world } = opts;
  const url = new URL(req.url ?? "/", "http://console");
  const bling = world.bling.sim.control;
  const account = world.blingAccountId;

  if (req.method === "GET" && url.pathname === "/") return html(res, renderPage(opts, state, url));
  if (req.method === "GET" && url.pathname === "/mail") return html(res, renderMailPage(world, state));
  if (req.method === "GET" && url.pathname === "/hooks") return html(res, renderHooksPage(world, state));
  if (req.method === "POST" && url.pathname === "/hooks/alerts") {
    try {
      await catchHook(state, req, res);
    } catch {
      // The client went away mid-body: nothing to answer.
      res.destroy();
    }
    return;
  }
  if (req.method === "GET" && url.pathname === "/abrir-configuracoes") {
    redirect(res, freshSettingsUrl(world, opts.apiUrl));
    return;
  }
  if (req.method !== "POST") {
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
    res.end("Não encontrado");
    return;
  }
  const form = await readForm(req);
  const back = (msg: string) => {
    const q = form.get("q");
    redirect(res, `/?ok=${encodeURIComponent(msg)}${q ? `&q=${encodeURIComponent(q)}` : ""}`);
  };
  switch (url.pathname) {
    case "/bling/estoque": {
      const productId = num(form, "productId");
      const deposit =
        bling.getAccount(account).deposits.find((d) => d.padrao) ?? bling.getAccount(account).deposits[0];
      if (!deposit) throw new Error("a conta Bling não tem depósito");
      const fisico = num(form, "fisico");
      bling.setStock(account, productId, deposit.id, { fisico });
      return back(`Bling: estoque do produto ${productId} no depósito ${deposit.descricao} = ${fisico}`);
    }
    case "/bling/preco": {
      const productId = num(form, "productId");
      const preco = num(form, "preco");
      bling.setPrice(account, productId, preco);
      return back(`Bling: preço do produto ${productId} = ${money(preco)}`);
    }
    case "/bling/situacao": {
      const orderId = num(form, "orderId");
      const situacaoId = num(form, "situacaoId");
      bling.setOrderSituacao(account, orderId, situacaoId);
      return back(`Bling: pedido ${orderId} mudou para a situação ${situacaoId}`);
    }
    case "/bling/rastreio": {
      const orderId = num(form, "orderId");
      const codigo = (form.get("codigo") ?? "").trim();
      if (!codigo) throw new Error("informe o código de rastreio");
      bling.setOrderTracking(account, orderId, { codigoRastreamento: codigo });
      return back(`Bling: pedido ${orderId} com código de rastreio ${codigo} (volume 1)`);
    }
    case "/bling/nfe-cancelar": {
      const invoiceId = num(form, "invoiceId");
      const inv = bling.cancelInvoice(account, invoiceId);
      return back(`Bling: NF-e ${inv.numero} cancelada`);
    }
    case "/zydon/pedido": {
      const { orderId, deliveries } = await world.zydon.sim.placeOrder(world.organizationId, {
        partner: { id: form.get("partnerId") ?? "" },
        items: [{ sku: form.get("sku") ?? "", quantity: num(form, "quantidade") }],
        paymentMethodId: form.get("paymentMethodId") ?? "",
      });
      const status = deliveries.map((d) => d.status ?? d.error ?? "?").join(", ");
      return back(
        `Zydon: pedido ${orderId} criado; webhook entregue à integração (${status || "sem entrega"})`,
      );
    }
    case "/zydon/status": {
      // As the merchant in Zydon's admin: Zydon then sends the order-update webhook to the integration.
      const orderId = form.get("orderId") ?? "";
      const statusId = form.get("statusId") ?? "";
      const snap = world.zydon.sim.snapshot(world.organizationId);
      const name = snap.statuses.find((s) => s.id === statusId)?.name ?? statusId;
      const { moved, deliveries } = await world.zydon.sim.setOrderStatusAsMerchant(
        world.organizationId,
        orderId,
        statusId,
      );
      if (!moved) return back(`Zydon: o pedido ${orderId} já está em "${name}"`);
      const status = deliveries.map((d) => d.status ?? d.error ?? "?").join(", ");
      return back(
        `Zydon: pedido ${orderId} movido para "${name}"; webhook de alteração entregue à integração (${status || "sem entrega"})`,
      );
    }
    default:
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("Não encontrado");
  }
}

/** The console's pages share one head (title, styles) and the links between them. */
function layout(title: string, world: DemoWorld, state: ConsoleState, body: string): string {
  return `<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} — demo Zydon ↔ Bling</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1f2937;line-height:1.4}table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #d1d5db;padding:.25rem .5rem;text-align:left;font-size:.9rem}th{background:#f3f4f6}.ok{background:#dcfce7;padding:.5rem}
.erro{background:#fee2e2;padding:.5rem}form{margin:0;display:inline}h2{margin-top:2rem}
nav{margin-bottom:1rem}article{border:1px solid #d1d5db;border-radius:.25rem;padding:.5rem 1rem;margin:0 0 1rem}
article h2{margin:.25rem 0;font-size:1.1rem}.meta{color:#4b5563;font-size:.9rem;margin:.25rem 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f9fafb;padding:.5rem;margin:.5rem 0}
iframe{width:100%;height:24rem;border:1px solid #d1d5db}</style></head><body>
<nav><a href="/">Console dos simuladores</a>
· <a href="/mail">E-mails recebidos (${world.mail.messages().length})</a>
· <a href="/hooks">Webhooks recebidos (${state.hooks.length})</a></nav>
${body}
</body></html>`;
}

const when = (iso: string): string => new Date(iso).toLocaleString("pt-BR");

function renderMailPage(world: DemoWorld, state: ConsoleState): string {
  const items = world.mail
    .messages()
    .map(
      (m) => `<article data-testid="mail-item" data-mail-id="${m.id}">
<h2 data-testid="mail-subject">${esc(m.subject || "(sem assunto)")}</h2>
<p class="meta"><time datetime="${esc(m.receivedAt)}">${esc(when(m.receivedAt))}</time> · Para: <span data-testid="mail-to">${esc(m.to.join(", "))}</span> · De: ${esc(m.from)}</p>
<pre data-testid="mail-text">${esc(m.text || "(sem texto)")}</pre>
${
  m.html
    ? `<details><summary>Ver a versão HTML</summary><iframe sandbox="" title="Versão HTML: ${esc(m.subject)}" srcdoc="${esc(m.html)}"></iframe></details>`
    : ""
}</article>`,
    )
    .join("\n");
  return layout(
    "E-mails recebidos",
    world,
    state,
    `<h1>E-mails recebidos</h1>
<p>Os e-mails de alerta que a integração envia ao lojista chegam aqui: o servidor SMTP de teste <code>${esc(world.mail.url)}</code>
aceita tudo e não entrega nada a ninguém. Os ${CAUGHT_LIMIT} mais recentes, o mais novo primeiro. <a href="/mail">Atualizar</a></p>
${items || "<p>Nenhum e-mail recebido ainda.</p>"}`,
  );
}

function renderHooksPage(world: DemoWorld, state: ConsoleState): string {
  const items = state.hooks
    .map(
      (h) => `<article data-testid="hook-item" data-hook-id="${h.id}">
<p class="meta"><time datetime="${esc(h.receivedAt)}">${esc(when(h.receivedAt))}</time></p>
<pre data-testid="hook-body">${esc(JSON.stringify(h.body, null, 2))}</pre></article>`,
    )
    .join("\n");
  return layout(
    "Webhooks recebidos",
    world,
    state,
    `<h1>Webhooks recebidos</h1>
<p>Para receber os alertas por webhook, cole <code>${esc(state.hookUrl)}</code> em "Webhook (opcional)", no cartão Alertas das configurações
da integração. Este endereço responde como um webhook do Slack (200 <code>ok</code>) e guarda os ${CAUGHT_LIMIT} envios
mais recentes, o mais novo primeiro. <a href="/hooks">Atualizar</a></p>
${items || "<p>Nenhum webhook recebido ainda.</p>"}`,
  );
}

function renderPage(opts: ConsoleOptions, state: ConsoleState, url: URL): string {
  const { world } = opts;
  const acc = world.bling.sim.control.getAccount(world.blingAccountId);
  const snap = world.zydon.sim.snapshot(world.organizationId);
  const q = (url.searchParams.get("q") ?? "").trim();
  const needle = q.toLowerCase();

  // Zydon side by SKU (products and variations), to show both sides of each Bling product.
  // Category path ("Moda › Vestuário") and brand name as Zydon has them (issue 19 #1).
  const zCategories = new Map(snap.categories.map((c) => [String(c.id), c]));
  const categoryPath = (id: unknown): string => {
    const names: string[] = [];
    for (let at = id, n = 0; at !== null && at !== undefined && at !== "" && n < 20; n++) {
      const c = zCategories.get(String(at));
      if (!c) break;
      names.unshift(c.name);
      at = c.root_id;
    }
    return names.join(" › ");
  };
  const zBrands = new Map(snap.brands.map((b) => [String(b.id), b.name]));
  const zydonBySku = new Map<string, { stock: unknown; price: unknown; taxonomy: string }>();
  for (const p of snap.products) {
    const r = p as unknown as Row;
    const taxonomy = [categoryPath(r.category_id), zBrands.get(String(r.brand_id ?? ""))]
      .filter(Boolean)
      .join(" · ");
    zydonBySku.set(p.sku, { stock: p.stock, price: p.price, taxonomy });
    for (const v of p.variations)
      zydonBySku.set(v.sku, { stock: v.stock, price: v.price ?? p.price, taxonomy });
  }
  const stockOf = new Map<number, number>();
  for (const s of acc.stock) stockOf.set(s.productId, (stockOf.get(s.productId) ?? 0) + s.fisico);

  const products = (acc.products as Row[])
    .filter(
      (p) => p.formato !== "V" && p.formato !== "E" && p.situacao !== "E" && String(p.codigo ?? "") !== "",
    )
    .filter((p) => !needle || `${p.codigo} ${p.nome}`.toLowerCase().includes(needle))
    .slice(0, 15);
  const productRows = products
    .map((p) => {
      const z = zydonBySku.get(String(p.codigo));
      const hidden = `<input type="hidden" name="productId" value="${esc(p.id)}"><input type="hidden" name="q" value="${esc(q)}">`;
      return `<tr><td><code>${esc(p.codigo)}</code></td><td>${esc(p.nome)}</td>
<td>${esc(stockOf.get(Number(p.id)) ?? 0)}</td><td>${money(p.preco)}</td>
<td>${z ? esc(z.stock) : "—"}</td><td>${z ? money(z.price) : "—"}</td><td>${z?.taxonomy ? esc(z.taxonomy) : "—"}</td>
<td><form method="post" action="/bling/estoque">${hidden}<input name="fisico" size="5" required aria-label="Novo estoque"> <button>Salvar estoque</button></form></td>
<td><form method="post" action="/bling/preco">${hidden}<input name="preco" size="7" required aria-label="Novo preço"> <button>Salvar preço</button></form></td></tr>`;
    })
    .join("");

  const situacoes = acc.situacoes.map((s) => `<option value="${esc(s.id)}">${esc(s.nome)}</option>`).join("");
  const situacaoName = new Map(acc.situacoes.map((s) => [s.id, s.nome]));
  const orderRows = (acc.orders as Row[])
    .slice(-15)
    .reverse()
    .map((o) => {
      const sit = (o.situacao as Row | undefined)?.id;
      const contato = (o.contato as Row | undefined)?.nome;
      const volumes = ((o.transporte as Row | undefined)?.volumes ?? []) as Row[];
      const codes = volumes.map((v) => String(v.codigoRastreamento ?? "")).filter((c) => c !== "");
      const nota = acc.invoices.find((i) => i.orderId === Number(o.id));
      const nfe = !nota
        ? "—"
        : nota.situacao === 5 || nota.situacao === 6
          ? `${esc(nota.numero)} autorizada <form method="post" action="/bling/nfe-cancelar"><input type="hidden" name="invoiceId" value="${esc(nota.id)}"><button>Cancelar NF-e</button></form>`
          : `${esc(nota.numero)} (situação ${esc(nota.situacao)})`;
      return `<tr><td>${esc(o.numero)}</td><td>${esc(o.numeroLoja)}</td><td>${esc(contato)}</td><td>${money(o.total)}</td>
<td>${esc(situacaoName.get(Number(sit)) ?? sit)}</td>
<td><form method="post" action="/bling/situacao"><input type="hidden" name="orderId" value="${esc(o.id)}">
<select name="situacaoId" aria-label="Nova situação">${situacoes}</select> <button>Mudar situação</button></form></td>
<td data-testid="bling-tracking">${codes.length ? esc(codes.join(", ")) : "—"}
<form method="post" action="/bling/rastreio"><input type="hidden" name="orderId" value="${esc(o.id)}"><input name="codigo" size="14" required aria-label="Código de rastreio"> <button>Salvar rastreio</button></form></td>
<td>${nfe}</td></tr>`;
    })
    .join("");

  const partners = snap.partners
    .filter((p) => p.active !== false)
    .slice(0, 100)
    .map((p) => `<option value="${esc(p.id)}">${esc(p.name)}</option>`)
    .join("");
  const skus: string[] = [];
  for (const p of snap.products) {
    if (p.variations.length === 0)
      skus.push(`<option value="${esc(p.sku)}">${esc(p.sku)} — ${esc(p.name)}</option>`);
    for (const v of p.variations)
      skus.push(`<option value="${esc(v.sku)}">${esc(v.sku)} — ${esc(p.name)}</option>`);
  }
  const payments = snap.paymentMethods
    .map((m) => `<option value="${esc(m.id)}">${esc(m.name)}</option>`)
    .join("");
  const canOrder = partners !== "" && skus.length > 0 && payments !== "";
  const statusName = new Map(snap.statuses.map((s) => [s.id, s.name]));
  const zydonStatuses = snap.statuses
    .map((s) => `<option value="${esc(s.id)}">${esc(s.name)}</option>`)
    .join("");
  const zOrders = snap.orders
    .slice(-10)
    .reverse()
    .map((o) => {
      const marks = world.zydon.sim.postSaleMarks(world.organizationId, o.id);
      const after = [
        marks?.trackingCodes.length ? `rastreio ${esc(marks.trackingCodes.join(", "))}` : "",
        marks?.deliveredAt ? `entregue em ${esc(marks.deliveredAt)}` : "",
        marks?.cancelledInvoiceKeys.length
          ? `NF-e cancelada: ${esc(marks.cancelledInvoiceKeys.map((k) => k.slice(-8)).join(", "))}`
          : "",
      ].filter((x) => x !== "");
      return `<tr><td><code>${esc(o.id.slice(0, 8))}</code></td><td>${esc(o.createdAt)}</td><td>${money(o.totalValue)}</td>
<td>${esc(statusName.get(o.statusId ?? "") ?? o.statusId)}</td><td>${o.webhookError ? `erro no webhook: ${esc(o.webhookError)}` : "ok"}</td>
<td data-testid="zydon-post-sale">${after.length ? after.join("; ") : "—"}</td>
<td><form method="post" action="/zydon/status"><input type="hidden" name="orderId" value="${esc(o.id)}">
<select name="statusId" aria-label="Novo status no Zydon">${zydonStatuses}</select> <button>Mudar status</button></form></td></tr>`;
    })
    .join("");

  const stats = world.bling.sim.control.stats(world.blingAccountId);
  const blingHooks = world.bling.sim.control.webhookDeliveries().slice(-8).reverse();
  const zydonHooks = world.zydon.sim.webhookLog.slice(-8).reverse();
  const ok = url.searchParams.get("ok");
  const erro = url.searchParams.get("erro");

  return layout(
    "Console dos simuladores",
    world,
    state,
    `<h1>Console dos simuladores</h1>
${ok ? `<p class="ok" role="status">${esc(ok)}</p>` : ""}${erro ? `<p class="erro" role="alert">${esc(erro)}</p>` : ""}
<p><a href="/abrir-configuracoes"><strong>Abrir a página de configurações da integração</strong></a> (sessão nova do admin Zydon a cada clique)
· <a href="${esc(world.zydon.url)}/app-center?org=${esc(world.organizationId)}">App Center (Zydon)</a>
· <a href="/">Atualizar</a></p>
<p>Bling: empresa <strong>${esc(acc.companyName)}</strong> (${esc(acc.accountId)}), ${esc(stats.total)} requisições da integração, ${esc(stats.tooManyRequests)} respostas 429.
Zydon: organização <strong>${esc(world.organizationName)}</strong>, ${snap.products.length} produtos, ${snap.partners.length} clientes.</p>

<h2>Como lojista no Bling: estoque e preço</h2>
<form method="get" action="/"><input name="q" value="${esc(q)}" placeholder="SKU ou nome" aria-label="Buscar produto"> <button>Buscar</button></form>
<table><thead><tr><th>SKU</th><th>Produto</th><th>Estoque Bling</th><th>Preço Bling</th><th>Estoque Zydon</th><th>Preço Zydon</th><th>Categoria · marca no Zydon</th><th>Alterar estoque (depósito padrão)</th><th>Alterar preço</th></tr></thead>
<tbody>${productRows || '<tr><td colspan="9">Nenhum produto encontrado.</td></tr>'}</tbody></table>

<h2>Como lojista no Bling: situação, rastreio e NF-e dos pedidos</h2>
<table><thead><tr><th>Número</th><th>Nº na loja</th><th>Cliente</th><th>Total</th><th>Situação</th><th>Alterar</th><th>Código de rastreio</th><th>NF-e</th></tr></thead>
<tbody>${orderRows || '<tr><td colspan="8">Nenhum pedido no Bling ainda. Faça um pedido no Zydon abaixo.</td></tr>'}</tbody></table>

<h2>Como comprador no portal Zydon: fazer um pedido</h2>
${
  canOrder
    ? `<form method="post" action="/zydon/pedido"><label>Cliente <select name="partnerId">${partners}</select></label>
<label>Produto <select name="sku">${skus.slice(0, 300).join("")}</select></label>
<label>Quantidade <input name="quantidade" value="1" size="3"></label>
<label>Pagamento <select name="paymentMethodId">${payments}</select></label> <button>Fazer pedido</button></form>`
    : "<p>Aguardando a sincronização inicial: o Zydon ainda não tem clientes, produtos e formas de pagamento vindos do Bling. Conecte o Bling na página de configurações e atualize esta página.</p>"
}
<p>Como lojista no Zydon, mude o status de um pedido: o Zydon avisa a integração (webhook de alteração de pedido).</p>
<table><thead><tr><th>Pedido Zydon</th><th>Criado em</th><th>Total</th><th>Status no Zydon</th><th>Webhook</th><th>Pós-venda no Zydon</th><th>Alterar status (lojista)</th></tr></thead>
<tbody>${zOrders || '<tr><td colspan="6">Nenhum pedido ainda.</td></tr>'}</tbody></table>

<h2>Webhooks enviados à integração</h2>
<table><thead><tr><th>Origem</th><th>Evento</th><th>Resultado</th></tr></thead><tbody>
${blingHooks.map((d) => `<tr><td>Bling</td><td>${esc(d.event)}</td><td>${esc(d.status ?? d.error)}</td></tr>`).join("")}
${zydonHooks.map((d) => `<tr><td>Zydon</td><td>${esc(d.event)}</td><td>${esc(d.status ?? d.error)}</td></tr>`).join("")}
</tbody></table>`,
  );
}
