import { describe, expect, it } from "vitest";
import { createTestSim, type TestSim } from "./test-support.js";

function seedSimple(t: TestSim, n: number, stock: (i: number) => number): number[] {
  const dep = t.sim.control.getAccount(t.accountId).deposits[0]?.id as number;
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = t.sim.control.upsertProduct(t.accountId, {
      nome: `Produto ${i}`,
      codigo: `SKU-${i}`,
      preco: 10 + i,
    });
    ids.push(p.id as number);
    const q = stock(i);
    if (q !== 0) t.sim.control.setStock(t.accountId, p.id as number, dep, { fisico: q });
  }
  return ids;
}

describe("GET /produtos", () => {
  it("paging 1,050 products with limite=100 takes 11 list calls; default filtroSaldoEstoque hides zero stock", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    seedSimple(t, 1_100, (i) => (i < 1_050 ? 5 : 0));
    const seen = new Set<number>();
    let calls = 0;
    for (let pagina = 1; ; pagina++) {
      const res = await t.call("GET", `/produtos?pagina=${pagina}&limite=100&criterio=5`);
      calls += 1;
      expect(res.status).toBe(200);
      for (const p of res.json.data) seen.add(p.id);
      if (res.json.data.length < 100) break;
    }
    expect(calls).toBe(11);
    expect(seen.size).toBe(1_050);
    const zero = await t.call("GET", "/produtos?filtroSaldoEstoque=0&limite=100");
    expect(zero.json.data).toHaveLength(50);
    expect(
      zero.json.data.every(
        (p: { estoque: { saldoVirtualTotal: number } }) => p.estoque.saldoVirtualTotal === 0,
      ),
    ).toBe(true);
    expect(t.sim.control.stats(t.accountId).byEndpoint["GET /produtos"]).toBe(12);
  });

  it("limite is capped at 100 and defaults to 100", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    seedSimple(t, 130, () => 1);
    expect((await t.call("GET", "/produtos?limite=500")).json.data).toHaveLength(100);
    expect((await t.call("GET", "/produtos")).json.data).toHaveLength(100);
    expect((await t.call("GET", "/produtos?pagina=2")).json.data).toHaveLength(30);
  });

  it("date window over one year → 400; within → filters by change date (São Paulo local time)", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const [a, b] = seedSimple(t, 2, () => 1) as [number, number];
    t.clock.advance(3_600_000);
    t.sim.control.setPrice(t.accountId, b, 99);
    const tooWide = await t.call(
      "GET",
      "/produtos?dataAlteracaoInicial=2024-01-01%2000:00:00&dataAlteracaoFinal=2025-06-01%2000:00:00",
    );
    expect(tooWide.status).toBe(400);
    expect(tooWide.json.error.type).toBe("VALIDATION_ERROR");
    // Clock starts at 2026-01-15 13:00 UTC = 10:00 in São Paulo; b changed at 11:00 local.
    const since = await t.call(
      "GET",
      "/produtos?dataAlteracaoInicial=2026-01-15%2010:30:00&dataAlteracaoFinal=2026-01-15%2023:59:59",
    );
    expect(since.status).toBe(200);
    expect(since.json.data.map((p: { id: number }) => p.id)).toEqual([b]);
    const all = await t.call("GET", "/produtos?dataInclusaoInicial=2026-01-15%2009:59:00");
    expect(all.json.data.map((p: { id: number }) => p.id).sort()).toEqual([a, b].sort());
  });

  it("summary in the list, full record (with variations) on GET /produtos/{id}; children listed with idProdutoPai", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const dep = t.sim.control.getAccount(t.accountId).deposits[0]?.id as number;
    const parent = t.sim.control.upsertProduct(t.accountId, {
      nome: "Camiseta Básica",
      codigo: "CAM",
      preco: 59.9,
      formato: "V",
      marca: "Nativa",
      gtin: "7891234567895",
      midia: { imagens: { externas: [{ link: "https://cdn.test/cam.jpg" }] } },
      variacoes: [
        {
          nome: "Camiseta Básica Azul M",
          codigo: "CAM-AZ-M",
          preco: 59.9,
          variacao: { nome: "Cor:Azul;Tamanho:M" },
        },
        {
          nome: "Camiseta Básica Azul G",
          codigo: "CAM-AZ-G",
          preco: 64.9,
          variacao: { nome: "Cor:Azul;Tamanho:G" },
        },
      ],
    });
    const children = parent.variacoes as Array<{ id: number }>;
    for (const c of children) t.sim.control.setStock(t.accountId, c.id, dep, { fisico: 4 });

    const list = await t.call("GET", "/produtos?criterio=5");
    const rowParent = list.json.data.find((p: { id: number }) => p.id === parent.id);
    expect(Object.keys(rowParent).sort()).toEqual(
      [
        "id",
        "nome",
        "codigo",
        "preco",
        "precoCusto",
        "estoque",
        "tipo",
        "situacao",
        "formato",
        "descricaoCurta",
        "imagemURL",
      ].sort(),
    );
    expect(rowParent).toMatchObject({
      formato: "V",
      estoque: { saldoVirtualTotal: 8 },
      imagemURL: "https://cdn.test/cam.jpg",
    });
    const childRows = list.json.data.filter((p: { idProdutoPai?: number }) => p.idProdutoPai === parent.id);
    expect(childRows).toHaveLength(2);

    const detail = await t.call("GET", `/produtos/${parent.id}`);
    expect(detail.status).toBe(200);
    expect(detail.json.data).toMatchObject({ marca: "Nativa", gtin: "7891234567895", formato: "V" });
    expect(detail.json.data.midia.imagens.externas).toEqual([{ link: "https://cdn.test/cam.jpg" }]);
    expect(detail.json.data.variacoes).toHaveLength(2);
    expect(detail.json.data.variacoes[1]).toMatchObject({
      codigo: "CAM-AZ-G",
      variacao: { nome: "Cor:Azul;Tamanho:G", ordem: 2, produtoPai: { id: parent.id } },
      estoque: { saldoVirtualTotal: 4 },
    });
    expect((await t.call("GET", "/produtos/123")).json.error.type).toBe("RESOURCE_NOT_FOUND");
  });

  it("criterio, tipo, idsProdutos[], codigos[] and idLoja filters", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const [a, b, c] = seedSimple(t, 3, () => 1) as [number, number, number];
    t.sim.control.upsertProduct(t.accountId, { id: b, situacao: "I" });
    t.sim.control.deleteProduct(t.accountId, c);
    const ids = async (q: string) =>
      (await t.call("GET", `/produtos?${q}`)).json.data.map((p: { id: number }) => p.id).sort();
    expect(await ids("")).toEqual([a, b].sort());
    expect(await ids("criterio=2")).toEqual([a]);
    expect(await ids("criterio=3")).toEqual([b]);
    expect(await ids("criterio=4")).toEqual([c]);
    expect(await ids("criterio=5")).toEqual([a, b, c].sort());
    expect(await ids(`criterio=5&idsProdutos[]=${a}&idsProdutos[]=${c}`)).toEqual([a, c].sort());
    expect(await ids("criterio=5&codigos[]=SKU-1")).toEqual([b]);
    expect(await ids("tipo=C")).toEqual([]);
    const store = t.sim.control.upsertStore(t.accountId, { descricao: "B2B" });
    t.sim.control.setStoreProductPrice(t.accountId, store.id, a, { preco: 8.5 });
    expect(await ids(`idLoja=${store.id}`)).toEqual([a]);
    const links = await t.call("GET", `/produtos/lojas?idLoja=${store.id}`);
    expect(links.json.data).toEqual([
      expect.objectContaining({
        produto: { id: a },
        loja: { id: store.id },
        preco: 8.5,
        precoPromocional: 0,
        codigo: "SKU-0",
      }),
    ]);
  });
});

describe("writes", () => {
  it("POST 201 with {data:{id, variations, warnings}}; duplicate codigo and missing nome → 400 VALIDATION_ERROR", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const created = await t.call("POST", "/produtos", {
      body: {
        nome: "Caneca",
        codigo: "CAN-1",
        preco: 19.9,
        tipo: "P",
        situacao: "A",
        formato: "S",
        midia: { imagens: { imagensURL: [{ link: "https://x.test/a.jpg" }] } },
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.data).toMatchObject({
      id: expect.any(Number),
      variations: { saved: [], updated: [], deleted: [] },
      warnings: [],
    });
    const detail = await t.call("GET", `/produtos/${created.json.data.id}`);
    expect(detail.json.data.midia.imagens.externas).toEqual([{ link: "https://x.test/a.jpg" }]);
    const dup = await t.call("POST", "/produtos", { body: { nome: "Outra", codigo: "CAN-1" } });
    expect(dup.status).toBe(400);
    expect(dup.json.error.fields[0]).toMatchObject({ element: "codigo" });
    const noName = await t.call("POST", "/produtos", { body: { codigo: "X" } });
    expect(noName.json.error.fields.map((f: { element: string }) => f.element)).toContain("nome");
  });

  it("PUT replaces (omitted fields are lost), PATCH merges; PUT of a V parent without variacoes → 400 code 93", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const p = t.sim.control.upsertProduct(t.accountId, {
      nome: "Garrafa",
      codigo: "GAR",
      preco: 50,
      marca: "Ipê",
    });
    const patch = await t.call("PATCH", `/produtos/${p.id}`, { body: { preco: 55 } });
    expect(patch.status).toBe(200);
    expect((await t.call("GET", `/produtos/${p.id}`)).json.data).toMatchObject({ preco: 55, marca: "Ipê" });
    const put = await t.call("PUT", `/produtos/${p.id}`, {
      body: { nome: "Garrafa 1L", codigo: "GAR", preco: 60 },
    });
    expect(put.status).toBe(200);
    expect((await t.call("GET", `/produtos/${p.id}`)).json.data).toMatchObject({
      nome: "Garrafa 1L",
      marca: "",
    });
    const parent = t.sim.control.upsertProduct(t.accountId, {
      nome: "Tênis",
      formato: "V",
      variacoes: [{ nome: "Tênis 40", codigo: "TN-40", variacao: { nome: "Tamanho:40" } }],
    });
    const bad = await t.call("PUT", `/produtos/${parent.id}`, { body: { nome: "Tênis", formato: "V" } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.fields[0]).toMatchObject({ code: 93, element: "variacoes" });
  });
});

describe("stock", () => {
  it("GET /estoques/saldos: per-deposit balances, filtroSaldoEstoque default 1, cap of 100 ids", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const second = t.sim.control.upsertDeposit(t.accountId, { descricao: "Loja" });
    const main = t.sim.control.getAccount(t.accountId).deposits.find((d) => d.padrao)?.id as number;
    const [a, b] = seedSimple(t, 2, (i) => (i === 0 ? 10 : 0)) as [number, number];
    t.sim.control.setStock(t.accountId, a, second.id, { fisico: 3, virtual: 1 });
    const res = await t.call("GET", `/estoques/saldos?idsProdutos[]=${a}&idsProdutos[]=${b}`);
    expect(res.json.data).toEqual([
      {
        produto: { id: a, codigo: "SKU-0" },
        saldoFisicoTotal: 13,
        saldoVirtualTotal: 11,
        depositos: expect.arrayContaining([
          { id: main, saldoFisico: 10, saldoVirtual: 10 },
          { id: second.id, saldoFisico: 3, saldoVirtual: 1 },
        ]),
      },
    ]);
    const zero = await t.call(
      "GET",
      `/estoques/saldos?idsProdutos[]=${a}&idsProdutos[]=${b}&filtroSaldoEstoque=0`,
    );
    expect(zero.json.data.map((r: { produto: { id: number } }) => r.produto.id)).toEqual([b]);
    const perDeposit = await t.call("GET", `/estoques/saldos/${second.id}?idsProdutos[]=${a}`);
    expect(perDeposit.json.data).toEqual([
      { produto: { id: a, codigo: "SKU-0" }, saldoFisicoTotal: 3, saldoVirtualTotal: 1 },
    ]);
    const many = Array.from({ length: 101 }, (_, i) => `idsProdutos[]=${i + 1}`).join("&");
    expect((await t.call("GET", `/estoques/saldos?${many}`)).status).toBe(400);
    expect((await t.call("GET", "/estoques/saldos")).status).toBe(400);
  });

  it("a depósito removed in Bling is gone from GET /depositos and from every balance; the default stays", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const second = t.sim.control.upsertDeposit(t.accountId, { descricao: "Loja" });
    const main = t.sim.control.getAccount(t.accountId).deposits.find((d) => d.padrao)?.id as number;
    const [a] = seedSimple(t, 1, () => 10) as [number];
    t.sim.control.setStock(t.accountId, a, second.id, { fisico: 3 });
    t.sim.control.deleteDeposit(t.accountId, second.id);
    const list = await t.call("GET", "/depositos");
    expect(list.json.data.map((d: { id: number }) => d.id)).toEqual([main]);
    const res = await t.call("GET", `/estoques/saldos?idsProdutos[]=${a}`);
    expect(res.json.data[0]).toMatchObject({
      saldoFisicoTotal: 10,
      depositos: [{ id: main, saldoFisico: 10, saldoVirtual: 10 }],
    });
    expect(() => t.sim.control.deleteDeposit(t.accountId, main)).toThrow(/default/);
  });

  it("virtual-stock kits derive their balance from components", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const [a, b] = seedSimple(t, 2, (i) => (i === 0 ? 10 : 7)) as [number, number];
    const kit = t.sim.control.upsertProduct(t.accountId, {
      nome: "Kit",
      formato: "E",
      estrutura: {
        tipoEstoque: "V",
        lancamentoEstoque: "A",
        componentes: [
          { produto: { id: a }, quantidade: 1 },
          { produto: { id: b }, quantidade: 2 },
        ],
      },
    });
    expect((kit.estoque as { saldoVirtualTotal: number }).saldoVirtualTotal).toBe(3);
  });
});

describe("GET /produtos at scale (indexed reads)", () => {
  const page = async (t: TestSim, query: string, pagina: number): Promise<number[]> =>
    (await t.call("GET", `/produtos?${query}&limite=100&pagina=${pagina}`)).json.data.map(
      (p: { id: number }) => p.id,
    );

  it("a page read right after a write sees it: the resumed scan restarts when products or balances change", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const ids = seedSimple(t, 300, () => 5);
    const dep = t.sim.control.getAccount(t.accountId).deposits[0]?.id as number;
    const desc = [...ids].sort((a, b) => b - a);
    expect(await page(t, "criterio=2", 1)).toEqual(desc.slice(0, 100));
    // Zero the stock of the newest product: it leaves the >0 pass, so page 2 starts one row later.
    t.sim.control.setStock(t.accountId, desc[0] as number, dep, { fisico: 0 });
    expect(await page(t, "criterio=2", 2)).toEqual(desc.slice(101, 201));
    // A hard delete of a product on page 3 removes it from that page.
    t.sim.control.deleteProduct(t.accountId, desc[250] as number, { hard: true });
    const p3 = await page(t, "criterio=2", 3);
    expect(p3).not.toContain(desc[250]);
    expect(p3).toEqual(desc.slice(201).filter((id) => id !== desc[250]));
    // A new product is the newest: page 1 of the same query shows it first.
    const created = t.sim.control.upsertProduct(t.accountId, { nome: "Novo", codigo: "NOVO", preco: 1 });
    t.sim.control.setStock(t.accountId, created.id as number, dep, { fisico: 1 });
    expect((await page(t, "criterio=2", 1))[0]).toBe(created.id);
    // Pages read out of order (or again) give the same rows as in order.
    const again = await page(t, "criterio=2", 2);
    expect(await page(t, "criterio=2", 2)).toEqual(again);
    expect(await page(t, "criterio=2", 1)).toContain(created.id);
  });

  it("variations, codes and kits stay indexed across writes: parents' balances and code lookups follow them", async () => {
    const t = createTestSim({ limits: { enforce: false } });
    const dep = t.sim.control.getAccount(t.accountId).deposits[0]?.id as number;
    const parent = t.sim.control.upsertProduct(t.accountId, {
      nome: "Camiseta",
      codigo: "CAM",
      formato: "V",
      preco: 10,
      variacoes: [
        { nome: "Camiseta P", codigo: "CAM-P", variacao: { nome: "Tamanho:P" } },
        { nome: "Camiseta M", codigo: "CAM-M", variacao: { nome: "Tamanho:M" } },
      ],
    } as never);
    const detail = await t.call("GET", `/produtos/${parent.id}`);
    const kids = detail.json.data.variacoes.map((v: { id: number }) => v.id) as number[];
    expect(kids).toHaveLength(2);
    t.sim.control.setStock(t.accountId, kids[0] as number, dep, { fisico: 3 });
    t.sim.control.setStock(t.accountId, kids[1] as number, dep, { fisico: 4 });
    const saldo = await t.call("GET", `/estoques/saldos?idsProdutos[]=${parent.id}&codigos[]=CAM-M`);
    expect(
      saldo.json.data.map((r: { produto: { id: number }; saldoFisicoTotal: number }) => [
        r.produto.id,
        r.saldoFisicoTotal,
      ]),
    ).toEqual([
      [parent.id, 7],
      [kids[1], 4],
    ]);
    // A variation hard-deleted leaves the parent's children and totals at once.
    t.sim.control.deleteProduct(t.accountId, kids[0] as number, { hard: true });
    const after = await t.call("GET", `/produtos/${parent.id}`);
    expect(after.json.data.variacoes.map((v: { id: number }) => v.id)).toEqual([kids[1]]);
    const total = await t.call("GET", `/estoques/saldos?idsProdutos[]=${parent.id}`);
    expect(total.json.data[0].saldoFisicoTotal).toBe(4);
    // The code of a hard-deleted product is free again, the code lookup forgets it.
    const gone = await t.call("GET", "/estoques/saldos?codigos[]=CAM-P");
    expect(gone.json.data).toEqual([]);
  });
});
