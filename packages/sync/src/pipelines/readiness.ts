import { CursorsRepository } from "@zb/db";
import { z } from "zod";
import { fiscalIdentity } from "../domain/documents.js";
import { plural } from "../domain/plural.js";
import { normalizeStatusName } from "../domain/status-matching.js";
import type { SyncContext } from "./context.js";

export interface ReadinessProblem {
  code: string;
  /** pt-BR, what is wrong. */
  title: string;
  count: number;
  examples: string[];
  /** pt-BR, what to do. */
  action: string;
  severity: "blocker" | "warning" | "info";
}

export interface ReadinessReport {
  generatedAt: string;
  problems: ReadinessProblem[];
  counts: {
    products: number;
    contacts: number;
    paymentMethods: number;
    situacoes: number;
    /** Top-level products (variations excluded): the initial sync's products total. */
    topLevelProducts?: number;
    /** Every contact row the customers step will walk (inactive ones included, reported as skipped). */
    contactsListed?: number;
  };
  /** True when the report stopped early to protect the request budget (big catalogs). */
  sampled: boolean;
}

const MAX_EXAMPLES = 5;

/** "1 cliente ativo", "3 clientes ativos". */

/** "A", "A e B", "A, B e C". */
function listPt(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} e ${items.at(-1)}`;
}

/**
 * Before the first sync: blank/duplicate SKUs, customers without fiscal data, Bling situações without a
 * same-named Zydon status, payment methods, deposit choice — counts plus examples. Reads at most
 * `maxPages` list pages per entity so a huge catalog does not spend the day's budget on the report.
 */
export async function buildReadinessReport(
  ctx: SyncContext,
  opts: { maxPages?: number } = {},
): Promise<ReadinessReport> {
  const maxPages = opts.maxPages ?? 20;
  let sampled = false;
  const bySku = new Map<string, string[]>();
  // Names and SKUs by Bling id: a variation is reported with its parent's name, never a bare id.
  const byId = new Map<string, { nome: string; codigo: string | null }>();
  const blankRows: Array<{ nome: string; parentId: string | null }> = [];
  let products = 0;
  let topLevelProducts = 0;
  for (const filtro of [1, 0, 2] as const) {
    for (let page = 1; page <= maxPages; page++) {
      const rows = await ctx.bling.listProducts({ page, criterio: 2, filtroSaldoEstoque: filtro });
      for (const r of rows) {
        products++;
        if (!r.idProdutoPai) topLevelProducts++;
        const sku = r.codigo?.trim();
        byId.set(r.id, { nome: r.nome, codigo: sku || null });
        if (!sku) blankRows.push({ nome: r.nome, parentId: r.idProdutoPai ?? null });
        else bySku.set(sku, [...(bySku.get(sku) ?? []), r.nome]);
      }
      if (rows.length < 100) break;
      if (page === maxPages) sampled = true;
    }
  }
  const duplicates = [...bySku.entries()].filter(([, names]) => names.length > 1);
  const blankSku = blankRows.map(({ nome, parentId }) => {
    if (!parentId) return nome;
    const parent = byId.get(parentId);
    if (!parent) return `variação "${nome}" (produto pai fora das páginas lidas)`;
    return `variação "${nome}" de "${parent.nome}"${parent.codigo ? ` (SKU ${parent.codigo})` : ""}`;
  });

  let contacts = 0;
  let contactsListed = 0;
  const noFiscal: string[] = [];
  for (let page = 1; page <= maxPages; page++) {
    const rows = await ctx.bling.listContacts({ page, criterio: 1 });
    for (const c of rows) {
      contactsListed++;
      if (c.situacao !== "A") continue;
      contacts++;
      // The list row has no IE/RG: count those without CPF/CNPJ as "to check" (IE/RG may still qualify them).
      if (fiscalIdentity({ numeroDocumento: c.numeroDocumento }).kind === "none") noFiscal.push(c.nome);
    }
    if (rows.length < 100) break;
    if (page === maxPages) sampled = true;
  }

  const situacoes = await ctx.bling.listSalesSituacoes();
  const zydonStatuses = await ctx.zydon.listStatuses();
  const zydonNames = new Set(zydonStatuses.map((s) => normalizeStatusName(s.name)));
  const missingStatuses = situacoes
    .filter((s) => !zydonNames.has(normalizeStatusName(s.nome)))
    .map((s) => s.nome);
  const notEditable = zydonStatuses.filter(
    (s) =>
      !s.canEditByApi && situacoes.some((b) => normalizeStatusName(b.nome) === normalizeStatusName(s.name)),
  );

  const payments = await ctx.bling.listPaymentMethods(1);
  const deposits = await ctx.bling.listDeposits();
  const chosen = ctx.settings.stock.depositIds;
  const unknownDeposits = chosen.filter((id) => !deposits.some((d) => d.id === id));

  const problems: ReadinessProblem[] = [];
  const add = (p: Omit<ReadinessProblem, "examples"> & { examples: string[] }) => {
    if (p.count > 0) problems.push({ ...p, examples: p.examples.slice(0, MAX_EXAMPLES) });
  };
  add({
    code: "blank_sku",
    severity: "warning",
    title: `${plural(blankSku.length, "produto ou variação", "produtos ou variações")} sem código (SKU) no Bling`,
    count: blankSku.length,
    examples: blankSku,
    action: "Preencha o código no Bling; sem SKU o produto não é sincronizado.",
  });
  add({
    code: "duplicate_sku",
    severity: "warning",
    title: `${plural(duplicates.length, "SKU usado", "SKUs usados")} por mais de um produto no Bling`,
    count: duplicates.length,
    examples: duplicates.map(([sku, names]) => `${sku} (${names.join(", ")})`),
    action: "Use um código único por produto e variação; só o primeiro será sincronizado.",
  });
  add({
    code: "customers_without_fiscal_data",
    severity: "info",
    title: `${plural(noFiscal.length, "cliente ativo", "clientes ativos")} sem CPF/CNPJ no Bling`,
    count: noFiscal.length,
    examples: noFiscal,
    action:
      "O Zydon exige CPF/CNPJ ou IE/RG. Clientes sem nenhum deles serão listados como ignorados no histórico.",
  });
  add({
    code: "missing_statuses",
    severity: "warning",
    title: `${plural(missingStatuses.length, "situação", "situações")} do Bling sem status de mesmo nome no Zydon: ${missingStatuses.slice(0, MAX_EXAMPLES).join(", ")}`,
    count: missingStatuses.length,
    examples: missingStatuses,
    action:
      "Crie no Zydon status com nomes idênticos aos do Bling para que as mudanças de situação voltem ao Zydon.",
  });
  add({
    code: "statuses_not_editable_by_api",
    severity: "warning",
    title: `${notEditable.length} status do Zydon ${notEditable.length === 1 ? "não permite" : "não permitem"} alteração pelo app`,
    count: notEditable.length,
    examples: notEditable.map((s) => s.name),
    action: 'Ative "pode ser alterado pela API" nesses status do Zydon.',
  });
  add({
    code: "no_payment_methods",
    severity: "info",
    title: "Nenhuma forma de pagamento cadastrada no Bling",
    count: payments.length === 0 ? 1 : 0,
    examples: [],
    action: "As formas de pagamento dos pedidos serão criadas no Bling quando necessário.",
  });
  add({
    code: "unknown_deposits",
    severity: "blocker",
    title: `${unknownDeposits.length === 1 ? "1 depósito escolhido não existe" : `${plural(unknownDeposits.length, "depósito escolhido", "depósitos escolhidos")} não existem`} no Bling`,
    count: unknownDeposits.length,
    examples: unknownDeposits,
    action: "Revise a escolha de depósitos em Configurações.",
  });
  add({
    code: "default_deposit",
    severity: "info",
    title: `Estoque virá do depósito padrão do Bling (${deposits.find((d) => d.padrao)?.descricao ?? "não definido"})`,
    count: chosen.length === 0 ? 1 : 0,
    examples: deposits.map((d) => d.descricao),
    action: "Para somar outros depósitos, escolha-os em Configurações.",
  });
  const chosenNames = chosen
    .map((id) => deposits.find((d) => d.id === id)?.descricao)
    .filter((n): n is string => Boolean(n));
  add({
    code: "chosen_deposits",
    severity: "info",
    title:
      chosenNames.length === 1
        ? `Estoque virá do depósito ${chosenNames[0]}`
        : `Estoque virá da soma dos depósitos ${listPt(chosenNames)}`,
    count: chosenNames.length > 0 ? 1 : 0,
    examples: chosenNames,
    action: "Para mudar, escolha outros depósitos em Configurações.",
  });
  const report: ReadinessReport = {
    generatedAt: ctx.now().toISOString(),
    problems,
    counts: {
      products,
      contacts,
      paymentMethods: payments.length,
      situacoes: situacoes.length,
      topLevelProducts,
      contactsListed,
    },
    sampled,
  };
  await new CursorsRepository(ctx.db).set(
    ctx.tenantId,
    "readiness",
    report as unknown as Record<string, unknown>,
  );
  return report;
}

/**
 * The initial sync's totals (progress and ETA on the page) from the readiness report that ran just before
 * it, without another request; undefined when the report was sampled or is missing.
 */
const readinessTotals = z.object({
  sampled: z.boolean(),
  counts: z.object({ topLevelProducts: z.number().optional(), contactsListed: z.number().optional() }),
});

export async function readinessTotal(
  ctx: SyncContext,
  key: "topLevelProducts" | "contactsListed",
): Promise<number | undefined> {
  const report = await new CursorsRepository(ctx.db)
    .get(ctx.tenantId, "readiness", readinessTotals)
    .catch(() => undefined);
  if (!report || report.sampled) return undefined;
  return report.counts[key];
}
