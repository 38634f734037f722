import { generateDemoAccount } from "@zb/bling-simulator";
import { LedgerRepository, LinksRepository } from "@zb/db";
import { compareStates, waitFor } from "@zb/e2e-kit";
import { type E2E, ownCpuSeconds, startWorld } from "./world.js";

const PAYMENT_METHODS = 20;
/** generateDemoAccount knows 11 payment methods; the rest are added by hand. */
const EXTRA_METHODS = ["Boleto 28 dias", "Boleto 35/42", "Cheque pré", "Vale-presente", "Cartão BNDES"];

export interface EntityRow {
  entity: string;
  endpoints: string;
  made: number;
  minimum: number;
  formula: string;
}

export interface InitialSyncResult {
  products: number;
  variations: number;
  contacts: number;
  paymentMethods: number;
  k: number;
  share: number;
  rows: EntityRow[];
  otherRequests: Record<string, number>;
  totalMade: number;
  totalMinimum: number;
  wallMs: number;
  /** Until the tenant's initial sync is marked done (image jobs may still be running). */
  syncMs: number;
  /** Requests made after that mark (image jobs). */
  afterSync: Record<string, number>;
  diffSample: string[];
  /** The run's open failures in the ledger, grouped by reason (entity: reason → count). */
  failureReasons: Array<{ entity: string; reason: string; count: number }>;
  /** Required requests ÷ our share (the product's bound) and ÷ Bling's whole 3/s, in compressed time. */
  lowerBoundMs: number;
  lowerBoundFullRateMs: number;
  tooManyRequests: number;
  maxPerSecond: number;
  peakRssMiB: number;
  /** CPU seconds over the sync: the worker process (the product) and this process (both simulators + the bench). */
  workerCpuS: number;
  simulatorsCpuS: number;
  diffs: number;
  /** Where the wall time went: each entity's requests from its first to its last, and the rate reached. */
  timeline?: PhaseSpan[];
}

export interface PhaseSpan {
  phase: string;
  fromMs: number;
  toMs: number;
  requests: number;
}

/**
 * The endpoints only the sync's own pages call, by entity, in the order the sync runs them. List pages are
 * left out: the readiness report (before the sync, and again when it ends) lists products, contacts and
 * deposits too, which would stretch every span to the whole run.
 */
const PHASE_OF: Array<[RegExp, string]> = [
  [/^GET \/produtos\/\{idProduto\}$/, "products (detail reads)"],
  [/^GET \/estoques\/saldos$/, "stock (balance reads)"],
  [/^GET \/contatos\/\{idContato\}$/, "customers (detail reads)"],
];

function timelineOf(log: Array<{ at: number; endpoint: string }>, started: number): PhaseSpan[] {
  const spans = new Map<string, PhaseSpan>();
  for (const r of log) {
    const phase = PHASE_OF.find(([re]) => re.test(r.endpoint))?.[1];
    if (!phase) continue;
    const at = r.at - started;
    const s = spans.get(phase);
    if (!s) spans.set(phase, { phase, fromMs: at, toMs: at, requests: 1 });
    else {
      s.toMs = Math.max(s.toMs, at);
      s.fromMs = Math.min(s.fromMs, at);
      s.requests++;
    }
  }
  return [...spans.values()].sort((a, b) => a.fromMs - b.fromMs);
}

/** floor(n/100)+1: Bling lists have no totals, so a list ends at the first page with fewer than 100 rows. */
/** No job waiting or running in any queue, twice in a row (delayed ones are the recurring schedulers). */
export async function drained(e: E2E, timeoutMs = 3_600_000): Promise<void> {
  let quiet = 0;
  await waitFor(
    "queues to drain",
    async () => {
      const c = await e.queueCounts();
      const busy = Object.entries(c).some(
        ([key, v]) =>
          (key.endsWith(".waiting") || key.endsWith(".active") || key.endsWith(".prioritized")) && v > 0,
      );
      quiet = busy ? 0 : quiet + 1;
      return quiet >= 2;
    },
    timeoutMs,
  );
}

const listPages = (n: number) => Math.floor(n / 100) + 1;

export async function runInitialSync(products: number, k: number): Promise<InitialSyncResult> {
  // No polling/reconciliation during the measurement (they start when the initial sync ends).
  const w = await startWorld({ k, pollMs: 3_600_000 });
  try {
    const { e } = w;
    const t = await e.addTenant("Loja Bench");
    const contacts = Math.round(products / 2);
    generateDemoAccount(e.bling.sim, t.accountId, {
      products,
      variationShare: 0.3,
      contacts,
      paymentMethods: 11,
      seed: 2026,
    });
    for (let i = 0; i < PAYMENT_METHODS - 11; i++) {
      e.bling.sim.control.upsertPaymentMethod(t.accountId, {
        descricao: `${EXTRA_METHODS[i % EXTRA_METHODS.length]} ${i + 1}`,
        situacao: 1,
        finalidade: 3,
        destino: 1,
        padrao: 0,
      });
    }
    // An established catalog: last changed yesterday, not in the first poll's window right after the sync.
    w.prepareCatalog(t.accountId);
    e.bling.sim.control.resetLog();

    const started = Date.now();
    const cpu0 = { worker: w.workers.reduce((s, x) => s + x.cpuSeconds(), 0), own: ownCpuSeconds() };
    const syncMs = await w.initialSync(t.tenantId);
    const workerCpuS = w.workers.reduce((s, x) => s + x.cpuSeconds(), 0) - cpu0.worker;
    const simulatorsCpuS = ownCpuSeconds() - cpu0.own;
    // Image uploads follow as their own (Zydon-paced) jobs and make no Bling request: the Bling-bound work
    // ends with the initial sync; requests after that mark (the first poll) are reported apart.
    const wallMs = syncMs;
    const doneAt = started + syncMs;
    const all = e.bling.sim.control.requestLog(t.accountId);
    const log = all.filter((r) => r.at <= doneAt);
    const stats = {
      total: log.length,
      tooManyRequests: log.filter((r) => r.status === 429).length,
      maxPerSecond: e.bling.sim.control.stats(t.accountId).maxPerSecond,
      byEndpoint: {} as Record<string, number>,
    };
    for (const r of log) stats.byEndpoint[r.endpoint] = (stats.byEndpoint[r.endpoint] ?? 0) + 1;
    const afterSync: Record<string, number> = {};
    for (const r of all) if (r.at > doneAt) afterSync[r.endpoint] = (afterSync[r.endpoint] ?? 0) + 1;
    const acc = e.bling.sim.account(t.accountId);
    // The minimum the API allows, from the account's contents.
    const passes = [0, 0, 0];
    let topLevelWithSku = 0;
    let variations = 0;
    for (const rec of acc.products.values()) {
      const p = rec.data;
      if (p.idProdutoPai !== undefined && p.idProdutoPai !== null) variations++;
      if (p.situacao !== "A") continue;
      const v = acc.totals(p.id).virtual;
      passes[v > 0 ? 0 : v === 0 ? 1 : 2] = (passes[v > 0 ? 0 : v === 0 ? 1 : 2] ?? 0) + 1;
      if (!p.idProdutoPai && String(p.codigo ?? "").trim() !== "") topLevelWithSku++;
    }
    const contactRows = [...acc.contacts.values()].map((c) => c.data);
    const listedContacts = contactRows.filter((c) => c.situacao !== "E").length;
    const activeContacts = contactRows.filter((c) => c.situacao === "A").length;
    const sellable = await new LinksRepository(e.db.db).countSellable(t.tenantId);
    const by = stats.byEndpoint as Record<string, number>;
    const take = (...eps: string[]) => {
      let n = 0;
      for (const ep of eps) {
        n += by[ep] ?? 0;
        delete by[ep];
      }
      return n;
    };
    const listPagesMin = passes.reduce((s, n) => s + listPages(n), 0);
    const rows: EntityRow[] = [
      {
        entity: "products: list",
        endpoints: "GET /produtos",
        made: take("GET /produtos"),
        minimum: listPagesMin,
        formula: `Σ over the 3 filtroSaldoEstoque passes (>0, =0, <0; no "all" value) of floor(rows/100)+1; rows per pass ${passes.join("/")} (variations are listed too). The pre-sync readiness report lists the same passes again (up to 20 pages each): not in the minimum`,
      },
      {
        entity: "products: detail",
        endpoints: "GET /produtos/{idProduto}",
        made: take("GET /produtos/{idProduto}"),
        minimum: topLevelWithSku,
        formula: `one per active top-level product with a SKU (${topLevelWithSku}): the summary has no variations, description, dimensions or images`,
      },
      {
        entity: "stock",
        endpoints: "GET /estoques/saldos + GET /depositos",
        made: take("GET /estoques/saldos", "GET /depositos"),
        minimum: Math.ceil(sellable / 100) + 1,
        formula: `ceil(sellable/100) with sellable = ${sellable} linked products+variations (100 ids per call), + 1 deposit list for the default deposit`,
      },
      {
        entity: "customers",
        endpoints: "GET /contatos + GET /contatos/{idContato}",
        made: take("GET /contatos", "GET /contatos/{idContato}"),
        minimum: listPages(listedContacts) + activeContacts,
        formula: `floor(${listedContacts} non-deleted/100)+1 list pages + one detail per active contact (${activeContacts}) new to Zydon (address, IE/RG are not in the summary)`,
      },
      {
        entity: "payment methods",
        endpoints: "GET /formas-pagamentos",
        made: take("GET /formas-pagamentos"),
        minimum: listPages(acc.paymentMethods.size) + 1,
        formula: `floor(${acc.paymentMethods.size}/100)+1 list page, + 1 page read by the pre-sync readiness report`,
      },
      {
        entity: "categories",
        endpoints: "GET /categorias/produtos + GET /categorias/produtos/{idCategoriaProduto}",
        made: take("GET /categorias/produtos", "GET /categorias/produtos/{idCategoriaProduto}"),
        minimum: listPages(acc.categories.size),
        formula: `floor(${acc.categories.size}/100)+1 list pages of the tree (the categories step); a single read only for a category the list did not have`,
      },
      {
        entity: "readiness report",
        endpoints: "GET /situacoes/modulos + GET /situacoes/modulos/{idModuloSistema}",
        made: take("GET /situacoes/modulos", "GET /situacoes/modulos/{idModuloSistema}"),
        minimum: 2,
        formula: "the sales module's id, then its situações (status mapping check)",
      },
    ];
    const otherRequests = { ...by };
    const totalMinimum = rows.reduce((s, r) => s + r.minimum, 0);
    const totalMade = stats.total;
    const diffList = compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId);
    const diffs = diffList.length;
    const reasons = new Map<string, { entity: string; reason: string; count: number }>();
    for (const f of await new LedgerRepository(e.db.db).listOpenFailures(t.tenantId, 5000)) {
      const reason = f.reason ?? "(sem motivo)";
      const key = `${f.entity}\u0000${reason}`;
      const row = reasons.get(key) ?? { entity: f.entity, reason, count: 0 };
      row.count++;
      reasons.set(key, row);
    }
    return {
      products,
      variations,
      contacts,
      paymentMethods: acc.paymentMethods.size,
      k,
      share: w.share,
      rows,
      otherRequests,
      totalMade,
      totalMinimum,
      wallMs,
      syncMs,
      afterSync,
      diffSample: diffList.slice(0, 5),
      failureReasons: [...reasons.values()].sort((a, b) => b.count - a.count),
      lowerBoundMs: (totalMinimum / w.share) * 1000,
      lowerBoundFullRateMs: (totalMinimum / (3 * k)) * 1000,
      tooManyRequests: stats.tooManyRequests,
      maxPerSecond: stats.maxPerSecond,
      peakRssMiB: Math.max(...w.workers.map((x) => x.peakRssMiB())),
      workerCpuS,
      simulatorsCpuS,
      diffs,
      timeline: timelineOf(log, started),
    };
  } finally {
    await w.close();
  }
}
