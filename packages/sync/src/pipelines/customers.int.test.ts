import { generateCnpj, generateCpf } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { zydonErrors } from "../test-support/call-log.js";
import { blingContact } from "../test-support/fake-bling.js";
import { ledgerRows, links, useSyncTestDatabase } from "../test-support/test-context.js";
import { customersPipeline, syncCustomer } from "./customers.js";

const t = useSyncTestDatabase();

const partner = (doc: string, over: Partial<{ state_registration: string | null }> = {}) => ({
  name: "Já no Zydon",
  type: "PJ",
  fiscal_registration_number: doc,
  state_registration: null,
  email: null,
  phone: null,
  mobile: null,
  address: null,
  ...over,
});

describe("customers pipeline", () => {
  it("creates a partner for an active contact with a CPF and links it", async () => {
    const ctx = await t.context();
    const cpf = generateCpf();
    const c = ctx.bling.putContact(blingContact({ nome: "Maria", numeroDocumento: cpf, email: "m@x.com" }));

    const page = await customersPipeline.runPage(ctx, 1);
    expect(page).toMatchObject({ hasMore: false, synced: 1, skipped: 0, failed: 0 });
    expect(ctx.zydon.partners.size).toBe(1);
    const [created] = [...ctx.zydon.partners.values()];
    expect(created).toMatchObject({ name: "Maria", fiscal_registration_number: cpf, email: "m@x.com" });
    expect(await links(ctx).byBlingId(ctx.tenantId, "customer", c.id)).toMatchObject({
      zydonId: created?.id,
      naturalKey: cpf,
    });
    expect(await ledgerRows(ctx, "customer")).toMatchObject([
      { entityKey: cpf, outcome: "synced", reason: "Cliente criado no Zydon." },
    ]);

    // Running the page again (a retried job) creates nothing new.
    await customersPipeline.runPage(ctx, 1);
    expect(ctx.zydon.log.count("createPartner")).toBe(1);
  });

  it("a contact without CPF/CNPJ nor IE/RG is skipped with a pt-BR reason, never sent to Zydon", async () => {
    const ctx = await t.context();
    const c = ctx.bling.putContact(blingContact({ nome: "Sem Documento", codigo: "C-9" }));

    expect(await syncCustomer(ctx, c)).toBe("skipped");
    expect(ctx.zydon.writes()).toBe(0);
    const [row] = await ledgerRows(ctx, "customer");
    expect(row).toMatchObject({ entityKey: "C-9", outcome: "skipped", details: { blingId: c.id } });
    expect(row?.reason).toContain("Cadastre o CPF/CNPJ ou a IE/RG no Bling");
  });

  it("an inactive contact is skipped with the reason", async () => {
    const ctx = await t.context();
    const c = ctx.bling.putContact(
      blingContact({ nome: "Antigo", numeroDocumento: generateCpf(), situacao: "I" }),
    );
    expect(await syncCustomer(ctx, c)).toBe("skipped");
    expect(ctx.zydon.log.count()).toBe(0);
    expect((await ledgerRows(ctx, "customer"))[0]?.reason).toContain("inativo");
  });

  it("a Zydon partner with the same document is linked, not duplicated (and the Bling detail is not read)", async () => {
    const ctx = await t.context();
    const cnpj = generateCnpj();
    const existing = ctx.zydon.putPartner(partner(cnpj));
    const c = ctx.bling.putContact(blingContact({ nome: "Ferragens", tipo: "J", numeroDocumento: cnpj }));

    expect(await syncCustomer(ctx, c)).toBe("synced");
    expect(ctx.zydon.log.count("createPartner")).toBe(0);
    expect(ctx.zydon.partners.size).toBe(1);
    expect(ctx.bling.log.count("getContact")).toBe(0);
    expect((await links(ctx).byBlingId(ctx.tenantId, "customer", c.id))?.zydonId).toBe(existing.id);
    expect((await ledgerRows(ctx, "customer"))[0]?.reason).toContain("Vinculado");
  });

  it("IE only: the detail is read for the IE (the list row lacks it); linked by IE when Zydon has it", async () => {
    const ctx = await t.context();
    const a = ctx.bling.putContact(blingContact({ nome: "Produtor A", tipo: "J", ie: "110042490114" }));
    const [row] = await ctx.bling.listContacts({ page: 1, criterio: 1 });
    expect(row?.ie).toBeNull();
    expect(await syncCustomer(ctx, row ?? a)).toBe("synced");
    expect(ctx.bling.log.count("getContact")).toBe(1);
    const [created] = [...ctx.zydon.partners.values()];
    expect(created).toMatchObject({
      type: "PJ",
      fiscal_registration_number: null,
      state_registration: "110042490114",
    });

    const other = await t.context();
    const known = other.zydon.putPartner(partner("", { state_registration: "220033" }));
    const b = other.bling.putContact(blingContact({ nome: "Produtor B", ie: "220033" }));
    expect(await syncCustomer(other, b)).toBe("synced");
    expect(other.zydon.log.count("createPartner")).toBe(0);
    expect((await links(other).byBlingId(other.tenantId, "customer", b.id))?.zydonId).toBe(known.id);
  });

  it("Zydon refusing the partner is a retryable failure; a 5xx is rethrown for the job to retry", async () => {
    const ctx = await t.context();
    const c = ctx.bling.putContact(blingContact({ nome: "Maria", numeroDocumento: generateCpf() }));
    ctx.zydon.log.fail("createPartner", zydonErrors.server());
    await expect(syncCustomer(ctx, c)).rejects.toMatchObject({ action: "retry" });

    ctx.zydon.log.fail("createPartner", zydonErrors.validation("E-mail inválido"));
    expect(await syncCustomer(ctx, c)).toBe("failed");
    expect(await ledgerRows(ctx, "customer")).toMatchObject([{ outcome: "failed", retryable: 1 }]);
    expect(await links(ctx).byBlingId(ctx.tenantId, "customer", c.id)).toBeUndefined();

    expect(await syncCustomer(ctx, c)).toBe("synced");
    expect(ctx.zydon.partners.size).toBe(1);
  });

  // The page's contacts run a few at a time (engine/page-pool.ts): two with one CPF must not both create it.
  it("two contacts with one CPF on a page, in flight together: one partner, never two", async () => {
    const ctx = await t.context();
    const cpf = generateCpf();
    for (const nome of ["Ana", "Ana Filial", "Ana Matriz"])
      ctx.bling.putContact(blingContact({ nome, numeroDocumento: cpf }));
    // Zydon answering in a few ms, as over the network: without the lock all three would find no partner.
    ctx.zydon.log.slow("findPartnerByDocument", 5);
    ctx.zydon.log.slow("createPartner", 5);
    const page = await customersPipeline.runPage(ctx, 1);
    expect(page).toMatchObject({ synced: 1, skipped: 2, failed: 0 });
    expect(ctx.zydon.log.count("createPartner")).toBe(1);
    expect(ctx.zydon.partners.size).toBe(1);
    const [dup] = (await ledgerRows(ctx, "customer")).filter((r) => r.action === "duplicate");
    expect(dup).toMatchObject({ entityKey: cpf, outcome: "skipped" });
    expect(dup?.reason).toContain("tem o mesmo documento");
    // The page again (a retried step): nothing new, nothing failed.
    expect(await customersPipeline.runPage(ctx, 1)).toMatchObject({ failed: 0 });
    expect(ctx.zydon.log.count("createPartner")).toBe(1);
  });

  it("pages through contacts: a full page of 100 says there is more", async () => {
    const ctx = await t.context();
    for (let i = 0; i < 101; i++)
      ctx.bling.putContact(blingContact({ nome: `Sem doc ${i}`, codigo: `C${i}` }));
    expect(await customersPipeline.runPage(ctx, 1)).toMatchObject({ hasMore: true, skipped: 100 });
    expect(await customersPipeline.runPage(ctx, 2)).toMatchObject({ hasMore: false, skipped: 1 });
  });
});
