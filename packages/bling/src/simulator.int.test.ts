import { type StartedBlingSimulator, startBlingSimulator } from "@zb/bling-simulator";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BlingClient } from "./client.js";
import {
  BlingInvalidGrantError,
  BlingIpBlockedError,
  BlingNetworkError,
  BlingNotFoundError,
  BlingRateLimitedError,
  BlingRequestError,
  BlingServerError,
  BlingTokenError,
  BlingValidationError,
  mapBlingApiError,
} from "./errors.js";
import type { BlingBudgetHook, BlingClientOptions } from "./http.js";
import { BlingOAuth } from "./oauth.js";

const APP = { clientId: "bling-client-test", clientSecret: "bling-client-test-secret" };
const started: StartedBlingSimulator[] = [];

async function sim(opts: Parameters<typeof startBlingSimulator>[0] = {}) {
  const s = await startBlingSimulator({ apps: [APP], autoApprove: true, seed: 11, ...opts });
  started.push(s);
  const { accountId, companyId } = s.sim.control.createAccount({
    companyName: "Loja Teste",
    cnpj: "11222333000181",
  });
  const tokens = s.sim.control.issueTokens(accountId, APP.clientId);
  const oauth = new BlingOAuth({
    ...APP,
    tokenUrl: `${s.apiBaseUrl}/oauth/token`,
    authorizeUrl: `${s.apiBaseUrl}/oauth/authorize`,
    revokeUrl: `${s.apiBaseUrl}/oauth/revoke`,
  });
  const client = (over: Partial<BlingClientOptions> = {}) =>
    new BlingClient({
      baseUrl: s.apiBaseUrl,
      getAccessToken: async () => tokens.access_token,
      timeoutMs: 5000,
      ...over,
    });
  const calls = (endpoint: string) =>
    s.sim.control.requestLog(accountId).filter((e) => e.endpoint === endpoint).length;
  return { s, accountId, companyId, tokens, oauth, client, calls };
}

/** Minimal per-process pacing: at most one request every `gapMs` (what the sync engine's limiter does, simplified). */
function pacing(gapMs: number): { hook: BlingBudgetHook; count: () => number } {
  let next = 0;
  let n = 0;
  return {
    hook: async () => {
      n++;
      const now = Date.now();
      const at = Math.max(now, next);
      next = at + gapMs;
      if (at > now) await new Promise((r) => setTimeout(r, at - now));
    },
    count: () => n,
  };
}

afterEach(async () => {
  while (started.length) await started.pop()?.close();
});
afterAll(async () => {
  while (started.length) await started.pop()?.close();
});

describe("BlingOAuth against the simulator", () => {
  it("exchanges an authorization code (single use) and the token reaches the merchant's company", async () => {
    const { s, accountId, companyId, oauth, client } = await sim();
    const { code } = s.sim.control.authorize(accountId, APP.clientId, "state-1");
    const tokens = await oauth.exchangeCode(code);
    expect(tokens.accessToken).toBeTruthy();
    expect(tokens.accessExpiresAt.getTime()).toBeGreaterThan(Date.now() + 5 * 3600_000);
    expect(tokens.refreshExpiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(tokens.scope).toMatch(/^\d+( \d+)*$/);
    const me = await client({ getAccessToken: async () => tokens.accessToken }).empresa.dadosBasicos();
    expect(me.id).toBe(companyId);
    await expect(oauth.exchangeCode(code)).rejects.toBeInstanceOf(BlingInvalidGrantError);
  });

  it("refreshes with rotation: the old refresh token is refused, the new access token works", async () => {
    const { tokens, oauth, client } = await sim();
    const next = await oauth.refresh(tokens.refresh_token);
    expect(next.refreshToken).not.toBe(tokens.refresh_token);
    await expect(oauth.refresh(tokens.refresh_token)).rejects.toBeInstanceOf(BlingInvalidGrantError);
    const deps = await client({ getAccessToken: async () => next.accessToken }).depositos.list();
    expect(Array.isArray(deps)).toBe(true);
  });

  it("recovers from an expired access token through onUnauthorized (one refresh, one retry)", async () => {
    const { s, accountId, tokens, oauth, client } = await sim();
    s.sim.control.expireAccessTokens(accountId);
    let current = tokens.access_token;
    let refreshes = 0;
    const c = client({
      getAccessToken: async () => current,
      onUnauthorized: async () => {
        refreshes++;
        current = (await oauth.refresh(tokens.refresh_token)).accessToken;
        return current;
      },
    });
    await expect(c.empresa.dadosBasicos()).resolves.toMatchObject({ id: expect.any(String) });
    expect(refreshes).toBe(1);
  });
});

describe("BlingClient against the simulator", () => {
  it("10 calls inside one second with no budget hook → at least one per-second BlingRateLimitedError", async () => {
    const { client } = await sim();
    const c = client();
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => c.depositos.list()));
    const limited = results
      .filter((r): r is PromiseRejectedResult => r.status === "rejected")
      .map((r) => r.reason as unknown);
    expect(limited.length).toBeGreaterThan(0);
    for (const e of limited) {
      expect(e).toBeInstanceOf(BlingRateLimitedError);
      expect((e as BlingRateLimitedError).period).toBe("second");
      expect((e as BlingRateLimitedError).action).toBe("wait");
    }
    expect(results.filter((r) => r.status === "fulfilled").length).toBeGreaterThan(0);
  });

  it("pages 1,050 products in exactly 11 list calls, with the budget hook before each (no 429)", async () => {
    const { s, accountId, client, calls } = await sim();
    for (let i = 0; i < 1050; i++) {
      s.sim.control.upsertProduct(accountId, {
        nome: `Produto ${i}`,
        codigo: `SKU-${i}`,
        preco: 10 + i / 100,
        tipo: "P",
        situacao: "A",
        formato: "S",
      });
    }
    s.sim.control.resetLog();
    const budget = pacing(360);
    const c = client({ budget: budget.hook });
    const ids = new Set<number>();
    const sizes: number[] = [];
    for await (const page of c.produtos.paginate({ criterio: 5, filtroSaldoEstoque: 0 })) {
      sizes.push(page.length);
      for (const p of page) ids.add(p.id);
    }
    expect(sizes).toEqual([...Array(10).fill(100), 50]);
    expect(ids.size).toBe(1050);
    expect(calls("GET /produtos")).toBe(11);
    expect(budget.count()).toBe(11);
  }, 30_000);

  it("a window over one year is refused by the client without a request, and by the simulator if sent raw", async () => {
    const { s, accountId, tokens, client, calls } = await sim();
    const start = new Date("2023-01-01T00:00:00Z");
    const end = new Date("2024-06-01T00:00:00Z");
    await expect(
      client().produtos.list({
        criterio: 5,
        filtroSaldoEstoque: 0,
        dataAlteracaoInicial: start,
        dataAlteracaoFinal: end,
      }),
    ).rejects.toBeInstanceOf(BlingRequestError);
    expect(calls("GET /produtos")).toBe(0);

    const raw = await fetch(
      `${s.apiBaseUrl}/produtos?criterio=5&filtroSaldoEstoque=0&dataAlteracaoInicial=2023-01-01%2000:00:00&dataAlteracaoFinal=2024-06-01%2000:00:00`,
      { headers: { authorization: `Bearer ${tokens.access_token}` } },
    );
    expect(raw.status).toBe(400);
    expect(mapBlingApiError({ status: raw.status, body: await raw.json() })).toBeInstanceOf(
      BlingValidationError,
    );
    expect(s.sim.control.requestLog(accountId).length).toBe(1);
  });

  it("maps 401, 404, 400 (with fields), 500 and a timeout", async () => {
    const { s, client } = await sim();
    await expect(
      client({ getAccessToken: async () => "not-a-token" }).depositos.list(),
    ).rejects.toBeInstanceOf(BlingTokenError);
    await expect(client().produtos.get(987654321)).rejects.toBeInstanceOf(BlingNotFoundError);

    const invalid = await client()
      .contatos.create({ nome: "Cliente", tipo: "J", situacao: "A", numeroDocumento: "11222333000100" })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(BlingValidationError);
    expect((invalid as BlingValidationError).fieldLines().join("\n")).toMatch(
      /numeroDocumento: CNPJ inválido/,
    );

    await new Promise((r) => setTimeout(r, 1100)); // stay clear of the 3/s limit
    s.sim.control.setFaults({ errorRate5xx: 1 });
    const server = await client()
      .depositos.list()
      .catch((e: unknown) => e);
    expect(server).toBeInstanceOf(BlingServerError);
    expect((server as BlingServerError).action).toBe("retry");

    s.sim.control.setFaults({ errorRate5xx: 0, latencyMs: 400 });
    const slow = await client({ timeoutMs: 100 })
      .depositos.list()
      .catch((e: unknown) => e);
    expect(slow).toBeInstanceOf(BlingNetworkError);
    expect((slow as BlingNetworkError).timedOut).toBe(true);
  });

  it("round-trips the resources the sync uses (response schemas accept the simulator's payloads)", async () => {
    const { s, accountId, client, calls } = await sim();
    const budget = pacing(360);
    const c = client({ budget: budget.hook });
    const deposit = s.sim.control.upsertDeposit(accountId, { descricao: "Geral", padrao: true });
    const ids: number[] = [];
    for (let i = 0; i < 120; i++) {
      const p = s.sim.control.upsertProduct(accountId, {
        nome: `P${i}`,
        codigo: `C${i}`,
        preco: 5,
        tipo: "P",
        situacao: "A",
        formato: "S",
      });
      ids.push(Number(p.id));
      s.sim.control.setStock(accountId, Number(p.id), deposit.id, { fisico: i % 3 === 0 ? 0 : 7.5 });
    }
    const parent = s.sim.control.upsertProduct(accountId, {
      nome: "Camiseta",
      codigo: "CAM",
      preco: 50,
      tipo: "P",
      situacao: "A",
      formato: "V",
      variacoes: [
        { nome: "Camiseta P", codigo: "CAM-P", preco: 50, variacao: { nome: "Tamanho:P;Cor:Azul" } },
        { nome: "Camiseta M", codigo: "CAM-M", preco: 52, variacao: { nome: "Tamanho:M;Cor:Azul" } },
      ],
    });
    s.sim.control.resetLog();

    const positive = await c.estoques.saldos(ids, { filtroSaldoEstoque: 1 });
    expect(calls("GET /estoques/saldos")).toBe(2); // 120 ids → 100 + 20, under the simulator's 100-id cap
    expect(positive).toHaveLength(80);
    expect(positive.every((b) => b.saldoFisicoTotal === 7.5)).toBe(true);
    const zero = await c.estoques.saldos(ids, { filtroSaldoEstoque: 0, idDeposito: deposit.id });
    expect(zero).toHaveLength(40);

    const detail = await c.produtos.get(Number(parent.id));
    expect(detail.formato).toBe("V");
    expect(detail.variacoes.map((v) => v.axes)).toEqual([
      [
        { name: "Tamanho", value: "P" },
        { name: "Cor", value: "Azul" },
      ],
      [
        { name: "Tamanho", value: "M" },
        { name: "Cor", value: "Azul" },
      ],
    ]);

    const contactId = await c.contatos.create({
      nome: "Cliente B2B",
      tipo: "J",
      situacao: "A",
      numeroDocumento: "11.222.333/0001-81",
    });
    expect((await c.contatos.findByDocumento("11222333000181")).map((x) => x.id)).toContain(contactId);
    expect((await c.contatos.get(contactId)).tipo).toBe("J");

    const pmId = await c.formasPagamento.create({
      descricao: "Boleto Zydon",
      tipoPagamento: 15,
      finalidade: 2,
      destino: 1,
    });
    expect((await c.formasPagamento.get(pmId)).tipoPagamento).toBe(15);

    const order = await c.pedidosVenda.create({
      numeroLoja: "ZYD-1",
      data: "2025-01-10",
      contato: { id: contactId },
      itens: [{ codigo: "C1", descricao: "P1", quantidade: 2, valor: 5, produto: { id: ids[1] as number } }],
      parcelas: [{ dataVencimento: "2025-02-10", valor: 10, formaPagamento: { id: pmId } }],
    });
    const found = await c.pedidosVenda.findByNumeroLoja("ZYD-1");
    expect(found.map((o) => o.id)).toEqual([order.id]);
    const vendas = await c.situacoes.vendas();
    const atendido = vendas.find((x) => x.nome === "Atendido");
    expect(atendido).toBeDefined();
    await c.pedidosVenda.changeSituacao(order.id, atendido?.id as number);
    const got = await c.pedidosVenda.get(order.id);
    expect(got.situacao?.id).toBe(atendido?.id);
    expect(got.itens[0]?.quantidade).toBe(2);

    const nfeId = await c.pedidosVenda.gerarNfe(order.id);
    await c.nfe.enviar(nfeId);
    expect((await c.nfe.get(nfeId)).id).toBe(nfeId);

    // Categories: a root reads `categoriaPai.id` as null (Bling sends 0), a child its parent; 404 is typed.
    const root = s.sim.control.upsertCategory(accountId, { descricao: "Moda" });
    const child = s.sim.control.upsertCategory(accountId, {
      descricao: "Vestuário",
      categoriaPai: { id: root.id },
    });
    const listed = await c.categorias.list({ pagina: 1, limite: 100 });
    expect(listed.find((x) => x.id === root.id)?.categoriaPai).toEqual({ id: null });
    expect(await c.categorias.get(child.id)).toMatchObject({
      descricao: "Vestuário",
      categoriaPai: { id: root.id },
    });
    await expect(c.categorias.get(1)).rejects.toBeInstanceOf(BlingNotFoundError);
    expect(budget.count()).toBe(s.sim.control.requestLog(accountId).length);
  }, 30_000);

  it("maps a 403 IP block (too many token calls) to BlingIpBlockedError", async () => {
    const { oauth } = await sim({ limits: { tokenCallsPerMinute: 2 } });
    const errors: unknown[] = [];
    for (let i = 0; i < 3; i++) errors.push(await oauth.refresh(`bogus-${i}`).catch((e: unknown) => e));
    expect(errors[0]).toBeInstanceOf(BlingInvalidGrantError);
    const last = errors[2] as BlingIpBlockedError;
    expect(last).toBeInstanceOf(BlingIpBlockedError);
    expect(last.status).toBe(403);
    expect(last.retryAfterMs).toBe(60 * 60_000);
  });

  it("post-sale reads: the order detail's volumes carry the tracking code; GET /nfe lists cancelled notes only with situacao", async () => {
    const { s, accountId, client } = await sim({ limits: { enforce: false } });
    const c = s.sim.control;
    const contato = c.upsertContact(accountId, { nome: "Cliente", tipo: "J" });
    const pm = c.upsertPaymentMethod(accountId, { descricao: "PIX", tipoPagamento: 17 });
    const order = c.createOrder(accountId, {
      contato: { id: contato.id },
      itens: [{ descricao: "Item", quantidade: 1, valor: 10 }],
      parcelas: [{ dataVencimento: "2026-02-15", valor: 10, formaPagamento: { id: pm.id } }],
    });
    c.setOrderTracking(accountId, order.id, { codigoRastreamento: "AA1BR", servico: "SEDEX" });
    const detail = await client().pedidosVenda.get(order.id);
    expect(detail.transporte?.volumes).toEqual([
      expect.objectContaining({ servico: "SEDEX", codigoRastreamento: "AA1BR" }),
    ]);
    const inv = c.createInvoiceForOrder(accountId, order.id);
    c.cancelInvoice(accountId, inv.id);
    const since = new Date(Date.now() - 86_400_000);
    const cancelled = await client().nfe.list({ situacao: 2, tipo: 1, dataEmissaoInicial: since });
    expect(cancelled.map((n) => [n.id, n.situacao, n.chaveAcesso])).toEqual([[inv.id, 2, inv.chaveAcesso]]);
    expect(await client().nfe.list({ dataEmissaoInicial: since })).toEqual([]);
    const later = new Date(Date.now() + 86_400_000);
    expect(await client().nfe.list({ situacao: 2, dataEmissaoInicial: later })).toEqual([]);
  });
});
