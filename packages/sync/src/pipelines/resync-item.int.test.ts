import { generateCnpj } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { blingProduct, blingVariation } from "../test-support/fake-bling.js";
import { zydonOrder } from "../test-support/fake-zydon.js";
import { ledgerRows, type TestContext, useSyncTestDatabase } from "../test-support/test-context.js";
import { exportOrder } from "./orders.js";
import { syncProduct } from "./products.js";
import { resyncOrder, resyncSku } from "./resync-item.js";

const t = useSyncTestDatabase();

const bal = (fisico: number) => [{ id: "dep-geral", saldoFisico: fisico, saldoVirtual: fisico }];

async function resyncRow(ctx: TestContext, entity: string, key: string) {
  return (await ledgerRows(ctx, entity)).find((r) => r.entityKey === key && r.action === "resync");
}

describe("resyncSku", () => {
  it("a linked product: read and written again with its stock, one 'resync' row with the answer", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(blingProduct({ codigo: "RS-1", preco: 10 }));
    ctx.bling.setBalance(p.id, bal(4));
    await syncProduct(ctx, p.id);

    // Nothing changed in Bling but the stock: the product stays, the balance is written.
    ctx.bling.setBalance(p.id, bal(9));
    expect(await resyncSku(ctx, "RS-1")).toEqual({
      outcome: "synced",
      reason:
        "Sincronização pedida pelo lojista: o produto no Zydon já estava igual ao Bling; estoque atualizado (1).",
    });
    const zid = ctx.zydon.productBySku("RS-1")?.id as string;
    expect(ctx.zydon.stockOf({ productId: zid, variationId: null })).toBe(9);
    expect(ctx.bling.log.count("listProducts")).toBe(0);

    ctx.bling.editProduct(p.id, { nome: "Novo nome" });
    await resyncSku(ctx, "RS-1");
    expect(await resyncRow(ctx, "product", "RS-1")).toMatchObject({
      outcome: "synced",
      reason:
        "Sincronização pedida pelo lojista: produto atualizado no Zydon; estoque conferido, sem mudança.",
    });
    expect(ctx.zydon.productBySku("RS-1")?.write.name).toBe("Novo nome");
  });

  it("a SKU never linked is found in Bling by code; a variation's SKU syncs its parent and every variation's stock", async () => {
    const ctx = await t.context();
    const p = ctx.bling.putProduct(
      blingProduct({
        codigo: "RS-CAM",
        formato: "V",
        variacoes: [
          blingVariation({ id: "8101", codigo: "RS-CAM-P", preco: 20 }),
          blingVariation({ id: "8102", codigo: "RS-CAM-M", preco: 20 }),
        ],
      }),
    );
    ctx.bling.setBalance("8101", bal(3));
    ctx.bling.setBalance("8102", bal(5));

    expect((await resyncSku(ctx, "RS-CAM-M")).reason).toBe(
      "Sincronização pedida pelo lojista: produto criado no Zydon; estoque atualizado (2).",
    );
    const z = ctx.zydon.productBySku("RS-CAM");
    expect(z?.write.variations?.map((v) => v.sku)).toEqual(["RS-CAM-P", "RS-CAM-M"]);
    expect(ctx.bling.log.argsOf("listProducts")[0]?.[0]).toMatchObject({
      codigos: ["RS-CAM-M"],
      criterio: 5,
    });
    expect(ctx.bling.log.count("getProduct")).toBeGreaterThan(0);
    expect(p.id).toBeTruthy();
  });

  it("a SKU Bling does not have: skipped, with what to check", async () => {
    const ctx = await t.context();
    expect(await resyncSku(ctx, "NAO-EXISTE")).toEqual({
      outcome: "skipped",
      reason:
        "SKU NAO-EXISTE não existe no Bling (nem como variação): nada a sincronizar. Confira o código no Bling.",
    });
    // One request per filtroSaldoEstoque pass, no more.
    expect(ctx.bling.log.count("listProducts")).toBe(3);
    expect(await resyncRow(ctx, "product", "NAO-EXISTE")).toMatchObject({ outcome: "skipped" });
  });
});

describe("resyncOrder", () => {
  async function orderWorld() {
    const ctx = await t.context();
    const partner = ctx.zydon.putPartner({
      name: "Ferragens Silva Ltda",
      type: "PJ",
      fiscal_registration_number: generateCnpj(),
      state_registration: "110042490114",
      email: null,
      phone: null,
      mobile: null,
      address: null,
    });
    const boleto = ctx.zydon.putPaymentMethod("Boleto", "BANK_SLIP");
    const p = ctx.bling.putProduct(blingProduct({ codigo: "RS-PAR", preco: 1 }));
    await syncProduct(ctx, p.id);
    ctx.zydon.putOrder(
      zydonOrder({
        id: "Z-77",
        partnerId: partner.id,
        items: [
          { sku: "RS-PAR", productId: null, variationId: null, quantity: 10, unitValue: 1, discount: 0 },
        ],
        payments: [{ paymentMethodId: boleto.id, amount: 10, installments: 1 }],
      }),
    );
    return ctx;
  }

  it("an order never exported is exported (once); asked again, its status is read from Bling", async () => {
    const ctx = await orderWorld();
    const first = await resyncOrder(ctx, "Z-77");
    expect(first.outcome).toBe("synced");
    expect(first.reason).toMatch(/^Pedido enviado ao Bling \(pedido \d+\), a pedido do lojista\.$/);
    expect(ctx.bling.orders.size).toBe(1);

    const again = await resyncOrder(ctx, "Z-77");
    expect(again.reason).toMatch(/^Status relido do Bling \(pedido \d+\) a pedido do lojista: /);
    expect(ctx.bling.orders.size).toBe(1);
    expect(await resyncRow(ctx, "order", "Z-77")).toMatchObject({ reason: again.reason });
    // The export itself stays exactly-once whatever the merchant clicks.
    expect((await exportOrder(ctx, "Z-77")).kind).toBe("already");
  });

  it("an order below the configured status is not sent, and the row says why", async () => {
    const ctx = await orderWorld();
    ctx.settings = { ...ctx.settings, orders: { trigger: "from_status", zydonStatusId: "st-aprovado" } };
    expect(await resyncOrder(ctx, "Z-77")).toEqual({
      outcome: "skipped",
      reason: "Pedido não enviado ao Bling: O pedido ainda não atingiu o status configurado para envio.",
    });
    expect(ctx.bling.orders.size).toBe(0);
  });
});
