import type { BlingSimulator } from "@zb/bling-simulator";
import type { ZydonSimulator } from "@zb/zydon-simulator";

/**
 * Compares a Bling simulator account with a Zydon simulator organization after a sync, field by field, under
 * the product's documented rules (PRODUCT.md "sync rules"):
 * - every active top-level Bling product with a non-blank, unique SKU is one Zydon product with the same SKU,
 *   name and price; a formato V parent's active children are its variations (same SKUs);
 * - inactive/deleted products and blank SKUs are absent from Zydon; of two products sharing a SKU only the
 *   first synced is in Zydon (the ledger reports the other); the same for two variations of one product;
 * - stock = available ("virtual") balance in Bling's default deposit, negatives as 0;
 * - every active Bling contact with CPF/CNPJ or IE/RG is one Zydon partner with that document; no other;
 * - every Bling payment method exists in Zydon by name; nothing is duplicated on either side;
 * - a field group the merchant gave to Zydon (`ownership`, issue 18 #2) is not compared: name for "content",
 *   price for "price", stock for "stock", active/inactive (and products Bling turned off) for "active",
 *   category and brand for "taxonomy";
 * - every synced product's Zydon category has Bling's category path (names from the root, the parent chain
 *   via `categoriaPai` / `root_id`) and its Zydon brand Bling's `marca` (names compared trimmed, case- and
 *   accent-insensitive); none when Bling has none; no two Zydon categories of one name under one parent, no
 *   two brands of one name (a same-name record is linked, never duplicated).
 * Returns human-readable differences (empty = in sync).
 */
export function compareStates(
  bling: BlingSimulator,
  accountId: string,
  zydon: ZydonSimulator,
  orgId: string,
  opts: {
    checkStock?: boolean;
    checkCustomers?: boolean;
    ownership?: Partial<
      Record<"content" | "images" | "dimensions" | "price" | "stock" | "active" | "taxonomy", string>
    >;
    /** Compare products' categories and brands (default true; off under `ownership.taxonomy` = zydon). */
    checkTaxonomy?: boolean;
  } = {},
): string[] {
  const diffs: string[] = [];
  const owns = (g: "content" | "price" | "stock" | "active" | "taxonomy") => opts.ownership?.[g] === "zydon";
  const checkTaxonomy = opts.checkTaxonomy !== false && !owns("taxonomy");
  const checkName = !owns("content");
  const checkPrice = !owns("price");
  const checkStock = opts.checkStock !== false && !owns("stock");
  const acc = bling.control.getAccount(accountId);
  const products = acc.products.map((p) => {
    const r = p as unknown as Record<string, unknown>;
    return {
      id: Number(r.id),
      codigo: String(r.codigo ?? "").trim(),
      nome: String(r.nome ?? ""),
      preco: Number(r.preco ?? 0),
      situacao: String(r.situacao ?? "A"),
      formato: String(r.formato ?? "S"),
      idProdutoPai: r.idProdutoPai ? Number(r.idProdutoPai) : null,
      categoriaId: Number((r.categoria as { id?: unknown } | undefined)?.id ?? 0),
      marca: String(r.marca ?? "").trim(),
    };
  });
  const snap = zydon.snapshot(orgId);
  const account = bling.account(accountId);
  const defaultDeposit = acc.deposits.find((d) => d.padrao) ?? acc.deposits[0];
  const stockOf = (id: number) =>
    defaultDeposit ? Math.max(0, bling.domain.stockSnapshot(account, id, defaultDeposit.id).saldoVirtual) : 0;

  // A SKU claimed by two Bling products: the first one synced keeps it, the other is reported in the
  // ledger (never merged, never guessed from the name) — so Zydon holds exactly one of the candidates.
  const expected = products.filter((p) => p.situacao === "A" && !p.idProdutoPai && p.codigo !== "");
  const zBySku = new Map<string, (typeof snap.products)[number]>();
  for (const z of snap.products) {
    if (zBySku.has(z.sku)) diffs.push(`Zydon has two products with SKU ${z.sku}`);
    zBySku.set(z.sku, z);
  }
  const expectedSkus = new Set(expected.map((p) => p.codigo));
  // With active/inactive kept in Zydon, a product Bling turned off may stay on there.
  const inBling = new Set(products.filter((p) => !p.idProdutoPai).map((p) => p.codigo));
  for (const z of snap.products) {
    if (expectedSkus.has(z.sku) || !z.active) continue;
    if (owns("active") && inBling.has(z.sku)) continue;
    diffs.push(`Zydon has active product ${z.sku} not expected`);
  }
  // Category paths on both sides, root first ("Moda > Vestuário"); null = none.
  const taxonomyNorm = (x: string) =>
    x.normalize("NFD").replace(/\p{M}/gu, "").trim().replace(/\s+/g, " ").toLowerCase();
  const pathOf = <T>(start: T | null, name: (at: T) => string | undefined, parent: (at: T) => T | null) => {
    const names: string[] = [];
    for (let at = start, n = 0; at !== null && n < 50; at = parent(at), n++) {
      const got = name(at);
      if (got === undefined) return `(missing category ${String(at)})`;
      names.unshift(taxonomyNorm(got));
    }
    return names.length > 0 ? names.join(" > ") : null;
  };
  const bCats = new Map(acc.categories.map((c) => [c.id, c]));
  const blingPath = (id: number) =>
    pathOf(
      id > 0 ? id : null,
      (at) => bCats.get(at)?.descricao,
      (at) => {
        const pid = bCats.get(at)?.categoriaPai?.id ?? 0;
        return pid > 0 ? pid : null;
      },
    );
  const zCats = new Map(snap.categories.map((c) => [String(c.id), c]));
  const zydonPath = (id: unknown) =>
    pathOf(
      id === null || id === undefined || id === "" ? null : String(id),
      (at) => zCats.get(at)?.name,
      (at) => {
        const pid = zCats.get(at)?.root_id;
        return pid === null || pid === undefined || pid === "" ? null : String(pid);
      },
    );
  const zBrands = new Map(snap.brands.map((b) => [String(b.id), b.name]));
  if (checkTaxonomy) {
    const seenCats = new Map<string, number>();
    for (const c of snap.categories) {
      const k = `${String(c.root_id ?? "")}/${taxonomyNorm(c.name)}`;
      seenCats.set(k, (seenCats.get(k) ?? 0) + 1);
    }
    for (const [k, n] of seenCats)
      if (n > 1) diffs.push(`Zydon has ${n} categories named ${k} under one parent`);
    const seenBrands = new Map<string, number>();
    for (const b of snap.brands)
      seenBrands.set(taxonomyNorm(b.name), (seenBrands.get(taxonomyNorm(b.name)) ?? 0) + 1);
    for (const [k, n] of seenBrands) if (n > 1) diffs.push(`Zydon has ${n} brands named ${k}`);
  }
  const chosen = new Set<number>();
  for (const sku of expectedSkus) {
    const candidates = expected.filter((p) => p.codigo === sku);
    const z = zBySku.get(sku);
    // Candidates may share the name too: prefer the one whose price and stock Zydon shows.
    const pick =
      candidates.find(
        (c) =>
          z &&
          (!checkName || c.nome === z.name) &&
          (c.formato === "V" || !checkPrice || Math.abs((z.price ?? 0) - c.preco) <= 0.001) &&
          (c.formato === "V" || !checkStock || z.stock === stockOf(c.id)),
      ) ??
      candidates.find((c) => z && c.nome === z.name) ??
      candidates[0];
    if (pick) chosen.add(pick.id);
  }
  for (const p of expected) {
    if (!chosen.has(p.id)) continue;
    const sku = p.codigo;
    const z = zBySku.get(sku);
    if (!z) {
      diffs.push(`product ${sku} (${p.nome}) missing in Zydon`);
      continue;
    }
    if (checkName && z.name !== p.nome) diffs.push(`product ${sku}: name "${z.name}" ≠ "${p.nome}"`);
    if (!owns("active") && !z.active) diffs.push(`product ${sku}: inactive in Zydon`);
    if (checkPrice && p.formato !== "V" && Math.abs((z.price ?? 0) - (p.preco ?? 0)) > 0.001)
      diffs.push(`product ${sku}: price ${z.price} ≠ ${p.preco}`);
    if (checkTaxonomy) {
      const want = blingPath(p.categoriaId);
      const zr = z as unknown as Record<string, unknown>;
      const got = zydonPath(zr.category_id);
      if (want !== got) diffs.push(`product ${sku}: category "${got ?? "none"}" ≠ "${want ?? "none"}"`);
      const wantBrand = p.marca ? taxonomyNorm(p.marca) : null;
      const brandId = zr.brand_id === null || zr.brand_id === undefined ? null : String(zr.brand_id);
      const gotBrand = brandId ? taxonomyNorm(zBrands.get(brandId) ?? `(missing brand ${brandId})`) : null;
      if (wantBrand !== gotBrand)
        diffs.push(`product ${sku}: brand "${gotBrand ?? "none"}" ≠ "${wantBrand ?? "none"}"`);
    }
    const children = products.filter((c) => c.idProdutoPai === p.id && c.situacao === "A" && c.codigo !== "");
    if (p.formato === "V") {
      const want = new Set(children.map((c) => c.codigo));
      const got = new Set(z.variations.map((v) => v.sku));
      for (const s of want) if (!got.has(s)) diffs.push(`product ${sku}: variation ${s} missing`);
      for (const s of got) if (!want.has(s)) diffs.push(`product ${sku}: unexpected variation ${s}`);
      // Two children sharing a SKU: the first one keeps it (the other is reported), so the Zydon variation
      // must equal one of the candidates.
      for (const v of z.variations) {
        const candidates = children.filter((c) => c.codigo === v.sku);
        if (candidates.length === 0) continue;
        const priceOk = (c: (typeof children)[number]) =>
          !checkPrice || v.price === null || Math.abs(v.price - (c.preco ?? 0)) <= 0.001;
        const stockOk = (c: (typeof children)[number]) => !checkStock || v.stock === stockOf(c.id);
        if (candidates.some((c) => priceOk(c) && stockOk(c))) continue;
        const c = candidates[0] as (typeof children)[number];
        if (!priceOk(c)) diffs.push(`variation ${v.sku}: price ${v.price} ≠ ${c.preco}`);
        if (!stockOk(c)) diffs.push(`variation ${v.sku}: stock ${v.stock} ≠ ${stockOf(c.id)}`);
      }
    } else if (checkStock && z.stock !== stockOf(p.id)) {
      diffs.push(`product ${sku}: stock ${z.stock} ≠ ${stockOf(p.id)}`);
    }
  }

  if (opts.checkCustomers !== false) {
    const digits = (s: unknown) => String(s ?? "").replace(/\D/g, "");
    const partnersByDoc = new Map<string, number>();
    for (const pa of snap.partners) {
      const doc = digits(pa.fiscal_registration_number) || `ie:${digits(pa.state_registration)}`;
      partnersByDoc.set(doc, (partnersByDoc.get(doc) ?? 0) + 1);
    }
    for (const [doc, n] of partnersByDoc)
      if (n > 1) diffs.push(`Zydon has ${n} partners with document ${doc}`);
    for (const c of acc.contacts) {
      const doc = digits(c.numeroDocumento);
      const ie = digits(c.ie) || digits(c.rg);
      const eligible = c.situacao === "A" && (doc !== "" || ie !== "");
      const present = doc !== "" ? partnersByDoc.has(doc) : ie !== "" && partnersByDoc.has(`ie:${ie}`);
      if (eligible && !present) diffs.push(`customer ${c.nome} (${doc || ie}) missing in Zydon`);
      if (!eligible && doc !== "" && present) diffs.push(`customer ${c.nome} should not be in Zydon`);
    }
  }

  const norm = (s: string) => s.normalize("NFD").replace(/\p{M}/gu, "").trim().toLowerCase();
  const zMethods = new Map<string, number>();
  for (const m of snap.paymentMethods) zMethods.set(norm(m.name), (zMethods.get(norm(m.name)) ?? 0) + 1);
  for (const [name, n] of zMethods) if (n > 1) diffs.push(`Zydon has ${n} payment methods named ${name}`);
  for (const m of acc.paymentMethods)
    if (!zMethods.has(norm(m.descricao))) diffs.push(`payment method ${m.descricao} missing in Zydon`);
  const bMethods = new Map<string, number>();
  for (const m of acc.paymentMethods)
    bMethods.set(norm(m.descricao), (bMethods.get(norm(m.descricao)) ?? 0) + 1);
  for (const [name, n] of bMethods) if (n > 1) diffs.push(`Bling has ${n} payment methods named ${name}`);
  return diffs;
}

/**
 * Bling situações that mean delivered (the sync's rule, packages/sync post-sale.ts `DELIVERED_SITUACAO_NAMES`),
 * compared by name with case and accents aside.
 */
const DELIVERED_NAMES = ["atendido", "entregue"];
const plainName = (s: string) =>
  s
    .normalize("NFD")
    .replace(/\p{Diacritic}/gu, "")
    .trim()
    .toLowerCase();

/**
 * Post-sale of exported orders (issue 19 #4), Bling order ↔ the Zydon order its `numeroLoja` names:
 * - the Zydon order shows the Bling order's tracking codes (`transporte.volumes[].codigoRastreamento`), in order;
 * - an order in a delivered Bling situação is marked delivered in Zydon;
 * - an NF-e attached to the Zydon order and cancelled in Bling (situação 2) is marked cancelled there, and no
 *   other key is.
 * Bling orders whose `numeroLoja` names no Zydon order of `orgId` (not exported by the app) are not compared.
 */
export function comparePostSale(
  bling: BlingSimulator,
  accountId: string,
  zydon: ZydonSimulator,
  orgId: string,
): string[] {
  const diffs: string[] = [];
  const acc = bling.control.getAccount(accountId);
  const situacaoNome = new Map(acc.situacoes.map((s) => [s.id, s.nome]));
  const zOrders = new Map(zydon.snapshot(orgId).orders.map((o) => [o.id, o]));
  for (const raw of acc.orders) {
    const o = raw as {
      id: number;
      numeroLoja?: string;
      situacao?: { id: number };
      transporte?: { volumes?: Array<{ codigoRastreamento?: string }> };
    };
    const zid = String(o.numeroLoja ?? "");
    const z = zOrders.get(zid);
    const marks = zydon.postSaleMarks(orgId, zid);
    if (!z || !marks) continue;
    const want = (o.transporte?.volumes ?? [])
      .map((v) => String(v.codigoRastreamento ?? "").trim())
      .filter((c) => c !== "");
    if (want.join("|") !== marks.trackingCodes.join("|"))
      diffs.push(`order ${zid}: tracking codes [${marks.trackingCodes.join(", ")}] ≠ [${want.join(", ")}]`);
    const nome = plainName(situacaoNome.get(o.situacao?.id ?? -1) ?? "");
    if (DELIVERED_NAMES.includes(nome) && !marks.deliveredAt)
      diffs.push(`order ${zid}: "${nome}" in Bling but not marked delivered in Zydon`);
    const attached = new Set(z.invoices.map((i) => i.invoice_key));
    const cancelled = new Set(
      acc.invoices
        .filter((i) => i.orderId === o.id && i.situacao === 2 && attached.has(i.chaveAcesso))
        .map((i) => i.chaveAcesso),
    );
    for (const k of cancelled)
      if (!marks.cancelledInvoiceKeys.includes(k))
        diffs.push(`order ${zid}: NF-e ${k} cancelled in Bling but not marked in Zydon`);
    for (const k of marks.cancelledInvoiceKeys)
      if (!cancelled.has(k)) diffs.push(`order ${zid}: NF-e ${k} marked cancelled in Zydon but not in Bling`);
  }
  return diffs;
}
