import { describe, expect, it } from "vitest";
import { zydonErrors } from "../test-support/call-log.js";
import { ledgerRows, links, useSyncTestDatabase } from "../test-support/test-context.js";
import { paymentMethodsPipeline } from "./payment-methods.js";

const t = useSyncTestDatabase();

describe("payment methods pipeline", () => {
  it("creates each Bling forma de pagamento in Zydon with the mapped type, and links it", async () => {
    const ctx = await t.context();
    const pix = ctx.bling.putPaymentMethod({ descricao: " Pix ", tipoPagamento: 17, situacao: 1 });
    ctx.bling.putPaymentMethod({ descricao: "Cartão de crédito", tipoPagamento: 3, situacao: 1 });

    expect(await paymentMethodsPipeline.runPage(ctx, 1)).toEqual({
      hasMore: false,
      synced: 2,
      skipped: 0,
      failed: 0,
      total: 2,
    });
    expect([...ctx.zydon.paymentMethods.values()].map((m) => [m.name, m.type])).toEqual([
      ["Pix", "PIX"],
      ["Cartão de crédito", "CREDIT_CARD"],
    ]);
    const link = await links(ctx).byBlingId(ctx.tenantId, "payment_method", pix.id);
    expect(link).toMatchObject({ naturalKey: "pix", data: { tipoPagamento: 17 } });
    expect(ctx.zydon.paymentMethods.get(link?.zydonId as string)?.name).toBe("Pix");
    expect((await ledgerRows(ctx, "payment_method")).map((r) => r.reason)).toEqual([
      "Forma de pagamento criada no Zydon.",
      "Forma de pagamento criada no Zydon.",
    ]);
  });

  it("links a same-named Zydon method (case/accents aside) instead of duplicating it", async () => {
    const ctx = await t.context();
    const existing = ctx.zydon.putPaymentMethod("CARTAO DE CREDITO", "CREDIT_CARD");
    const m = ctx.bling.putPaymentMethod({ descricao: "Cartão de Crédito", tipoPagamento: 3, situacao: 1 });

    await paymentMethodsPipeline.runPage(ctx, 1);
    expect(ctx.zydon.log.count("createPaymentMethod")).toBe(0);
    expect((await links(ctx).byBlingId(ctx.tenantId, "payment_method", m.id))?.zydonId).toBe(existing.id);
    expect((await ledgerRows(ctx, "payment_method"))[0]?.reason).toContain("mesmo nome");
  });

  it("two Bling methods with the same name: one Zydon method, the first keeps the link, the second is reported", async () => {
    const ctx = await t.context();
    const first = ctx.bling.putPaymentMethod({ descricao: "Boleto", tipoPagamento: 15, situacao: 1 });
    ctx.bling.putPaymentMethod({ descricao: "boleto", tipoPagamento: 15, situacao: 1 });
    expect(await paymentMethodsPipeline.runPage(ctx, 1)).toMatchObject({ synced: 1, skipped: 1, failed: 0 });
    expect(ctx.zydon.paymentMethods.size).toBe(1);
    expect((await links(ctx).byBlingId(ctx.tenantId, "payment_method", first.id))?.zydonId).toBeDefined();
    const skipped = (await ledgerRows(ctx, "payment_method")).find((r) => r.outcome === "skipped");
    expect(skipped).toMatchObject({ entityKey: "boleto", details: { conflictsWith: first.id } });
  });

  it("a re-run (retried job) writes nothing and does not even list Zydon's methods", async () => {
    const ctx = await t.context();
    ctx.bling.putPaymentMethod({ descricao: "Pix", tipoPagamento: 17, situacao: 1 });
    await paymentMethodsPipeline.runPage(ctx, 1);
    const calls = ctx.zydon.log.count();
    expect(await paymentMethodsPipeline.runPage(ctx, 1)).toMatchObject({ synced: 1, failed: 0 });
    expect(ctx.zydon.log.count()).toBe(calls);
  });

  it("Zydon refusing one method fails that one (retryable in the ledger) and syncs the rest; a 5xx is rethrown", async () => {
    const ctx = await t.context();
    ctx.bling.putPaymentMethod({ descricao: "Crediário", tipoPagamento: 99, situacao: 1 });
    ctx.bling.putPaymentMethod({ descricao: "Pix", tipoPagamento: 17, situacao: 1 });
    ctx.zydon.log.fail("createPaymentMethod", zydonErrors.validation("Tipo inválido"));

    expect(await paymentMethodsPipeline.runPage(ctx, 1)).toMatchObject({ synced: 1, failed: 1 });
    const failed = (await ledgerRows(ctx, "payment_method")).find((r) => r.outcome === "failed");
    expect(failed).toMatchObject({ entityKey: "Crediário", retryable: 1 });
    expect(failed?.reason).toContain("Tipo inválido");

    const other = await t.context();
    other.bling.putPaymentMethod({ descricao: "Pix", tipoPagamento: 17, situacao: 1 });
    other.zydon.log.fail("createPaymentMethod", zydonErrors.server());
    await expect(paymentMethodsPipeline.runPage(other, 1)).rejects.toMatchObject({ action: "retry" });
  });
});
