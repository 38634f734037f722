import { generateDemoAccount } from "@zb/bling-simulator";
import { LedgerRepository, LinksRepository, TenantsRepository } from "@zb/db";
import { compareStates, waitFor } from "@zb/e2e-kit";
import { generateCnpj, generateCpf } from "@zb/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "../world.js";

let e: E2E;
let lastTenant: { tenantId: string; orgId: string; accountId: string } | undefined;
/** A deterministic number sequence for document generators. */
const seq = (seed: number) => {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
};
beforeAll(async () => {
  e = await startE2E();
}, 60_000);
afterAll(async () => {
  await e?.close();
});

describe("initial sync, end to end (worker + both simulators, real Postgres and Redis)", () => {
  it("brings products, variations, stock, prices, customers and payment methods into Zydon with no difference", async () => {
    const t = await e.addTenant("Loja Inicial");
    lastTenant = t;
    generateDemoAccount(e.bling.sim, t.accountId, {
      products: 14,
      variationShare: 0.3,
      contacts: 12,
      paymentMethods: 6,
      seed: 11,
    });
    // Contacts the rules must handle: no fiscal data (skipped), inactive (skipped), IE only (synced), and one
    // whose CNPJ already belongs to a Zydon partner (linked, not duplicated).
    const c = e.bling.sim.control;
    c.upsertContact(t.accountId, { nome: "Cliente Balcão", tipo: "F", situacao: "A", indicadorIe: 9 });
    c.upsertContact(t.accountId, {
      nome: "Cliente Inativo",
      tipo: "F",
      situacao: "I",
      numeroDocumento: generateCpf(seq(31)),
    });
    c.upsertContact(t.accountId, {
      nome: "Produtor Rural Só IE",
      tipo: "F",
      situacao: "A",
      ie: "123456789",
      indicadorIe: 1,
    });
    const sharedCnpj = generateCnpj(seq(77));
    c.upsertContact(t.accountId, {
      nome: "Atacado Existente",
      tipo: "J",
      situacao: "A",
      numeroDocumento: sharedCnpj,
    });
    e.zydon.sim.seed(t.orgId, {
      partners: [{ name: "Atacado Existente (Zydon)", type: "PJ", fiscal_registration_number: sharedCnpj }],
    });
    await e.worker.deps.producer.enqueue("initial-sync-start", { tenantId: t.tenantId });
    const tenants = new TenantsRepository(e.db.db);
    await waitFor(
      "initial sync to finish",
      async () => (await tenants.findById(t.tenantId))?.initialSyncDoneAt,
      150_000,
    );

    const diffs = compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId);
    expect(diffs).toEqual([]);

    // Progress had a total for the page's ETA, and it was reached exactly (done + skipped + failed).
    const runs = await e.db.sql<
      { entity: string; total: number | null; done: number; skipped: number; failed: number }[]
    >`
      select entity, total, done, skipped, failed from sync_runs where tenant_id = ${t.tenantId}`;
    for (const entity of ["payment_methods", "categories", "products", "customers"]) {
      const r = runs.find((x) => x.entity === entity);
      expect(r?.total, entity).toBeGreaterThan(0);
      expect((r?.done ?? 0) + (r?.skipped ?? 0) + (r?.failed ?? 0), entity).toBe(r?.total);
    }

    // Every skipped customer is explained in the ledger, in pt-BR.
    const acc = e.bling.sim.control.getAccount(t.accountId);
    const noDoc = acc.contacts.filter((x) => x.situacao !== "A" || (!x.numeroDocumento && !x.ie && !x.rg));
    expect(noDoc.length).toBeGreaterThanOrEqual(2);
    const ledger = await new LedgerRepository(e.db.db).list({
      tenantId: t.tenantId,
      entity: "customer",
      outcome: "skipped",
      pageSize: 200,
    });
    expect(ledger.items.length).toBeGreaterThanOrEqual(noDoc.length);
    for (const row of ledger.items) expect(row.reason).toMatch(/CPF|CNPJ|IE|RG|inativo/i);
    const snap = e.zydon.sim.snapshot(t.orgId);
    const shared = snap.partners.filter(
      (p) => String(p.fiscal_registration_number ?? "").replace(/\D/g, "") === sharedCnpj.replace(/\D/g, ""),
    );
    expect(shared).toHaveLength(1);

    // The demo account has a duplicated SKU and a V parent with blank SKUs: reported, never guessed.
    const products = await new LedgerRepository(e.db.db).list({
      tenantId: t.tenantId,
      entity: "product",
      outcome: "skipped",
      pageSize: 200,
    });
    const reasons = products.items.map((r) => r.reason ?? "");
    expect(reasons.some((r) => /duplicado/i.test(r))).toBe(true);
    expect(reasons.some((r) => /sem SKU|SKU em branco|sem código/i.test(r))).toBe(true);

    // Inside Bling's limits: no 429 and no second above our share (2 of 3 req/s).
    const stats = e.bling.sim.control.stats(t.accountId);
    expect(stats.tooManyRequests).toBe(0);
    expect(stats.maxPerSecond).toBeLessThanOrEqual(e.env.BLING_RATE_SHARE);
  }, 200_000);

  it("the drift audit heals what was lost on either side, without duplicates", async () => {
    const t = lastTenant;
    if (!t) throw new Error("first test did not run");
    const links = new LinksRepository(e.db.db);
    const products = (await links.listByEntity(t.tenantId, "product")).filter(
      (l) => l.zydonId && l.naturalKey,
    );
    const [deletedByHand, lostLink] = products;
    if (!deletedByHand || !lostLink) throw new Error("need two linked products");
    // A merchant deletes a product in Zydon by hand; our link to another one is lost (e.g. a restored backup).
    e.zydon.sim.org(t.orgId).products.delete(deletedByHand.zydonId as string);
    await links.deleteByBlingId(t.tenantId, "product", lostLink.blingId as string);
    expect(compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toContain(
      `product ${deletedByHand.naturalKey} (${nameOf(t.accountId, deletedByHand.blingId)}) missing in Zydon`,
    );

    await e.worker.deps.producer.enqueue("drift-audit", { tenantId: t.tenantId });
    const ledger = new LedgerRepository(e.db.db);
    const audit = await waitFor(
      "the audit's ledger entry",
      async () =>
        (await ledger.list({ tenantId: t.tenantId, entity: "product", pageSize: 200 })).items.find(
          (r) => r.entityKey === "auditoria",
        ),
      60_000,
    );
    // The record deleted by hand only the audit can see; the lost link a products poll may have found again by
    // SKU before the audit ran (then the audit sees nothing unlinked).
    expect(audit.reason).toMatch(/ [01] produtos? do Bling sem vínculo, 0 inativos no Bling ainda ativos/);
    expect(audit.reason).toMatch(/ 1 ausente no Zydon; /);
    expect(compareStates(e.bling.sim, t.accountId, e.zydon.sim, t.orgId)).toEqual([]);
    // The lost link was found again by SKU, not duplicated.
    expect((await links.byBlingId(t.tenantId, "product", lostLink.blingId as string))?.zydonId).toBe(
      lostLink.zydonId,
    );
  }, 120_000);
});

function nameOf(accountId: string, blingId: string | null): string {
  const p = e.bling.sim.control
    .getAccount(accountId)
    .products.find((x) => String((x as unknown as { id: number }).id) === blingId);
  return String((p as unknown as { nome?: string } | undefined)?.nome ?? "");
}
