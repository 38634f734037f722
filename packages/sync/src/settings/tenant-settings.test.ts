import { describe, expect, it } from "vitest";
import {
  defaultTenantSettings,
  readTenantSettings,
  tenantSettingsInputSchema,
  tenantSettingsSchema,
} from "./tenant-settings.js";

describe("tenant settings", () => {
  it("has safe defaults: default deposit, available balance, base price, all orders, NF-e off, Bling owns every field", () => {
    expect(defaultTenantSettings).toEqual({
      stock: { depositIds: [], balance: "virtual" },
      price: { source: "base", jumpGuardPercent: 50 },
      orders: { trigger: "all" },
      nfe: { enabled: false },
      ownership: {
        content: "bling",
        images: "bling",
        dimensions: "bling",
        price: "bling",
        stock: "bling",
        active: "bling",
        taxonomy: "bling",
      },
      paused: false,
    });
  });

  it("field ownership: one owner per group, anything else refused in pt-BR", () => {
    const owned = tenantSettingsSchema.parse({ ownership: { content: "zydon", stock: "zydon" } });
    expect(owned.ownership).toMatchObject({ content: "zydon", stock: "zydon", price: "bling" });
    const bad = tenantSettingsSchema.safeParse({ ownership: { content: "merchant", color: "zydon" } });
    expect(bad.error?.issues.map((i) => [i.path.join("."), i.message])).toEqual(
      expect.arrayContaining([["ownership.content", "Escolha quem é dono deste campo."]]),
    );
    expect(bad.error?.issues.some((i) => i.code === "unrecognized_keys")).toBe(true);
  });

  it("reports dependent-field problems in pt-BR on the field's path", () => {
    const r = tenantSettingsSchema.safeParse({
      price: { source: "store" },
      orders: { trigger: "from_status" },
      nfe: { enabled: true },
    });
    expect(r.success).toBe(false);
    const issues = r.error?.issues.map((i) => [i.path.join("."), i.message]);
    expect(issues).toEqual(
      expect.arrayContaining([
        ["price.blingStoreId", "Escolha a loja do Bling de onde vem o preço."],
        ["orders.zydonStatusId", "Escolha o status a partir do qual o pedido é enviado."],
        [
          "nfe.approvedZydonStatusId",
          "Escolha o status do Zydon que indica pedido aprovado para emitir a NF-e.",
        ],
      ]),
    );
  });

  it("what the page sends must carry Bling ids: positive integers, one message per bad value", () => {
    const issues = (doc: unknown) => {
      const r = tenantSettingsInputSchema.safeParse(doc);
      return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
    };
    const bad = issues({ stock: { depositIds: ["abc", "-1", "12;34", "0", "14886873196"] } });
    expect(Object.keys(bad)).toEqual([
      "stock.depositIds.0",
      "stock.depositIds.1",
      "stock.depositIds.2",
      "stock.depositIds.3",
    ]);
    expect(bad["stock.depositIds.2"]).toBe(
      'Depósito "12;34" inválido: use o número do depósito no Bling (só algarismos, como 14886873).',
    );
    for (const store of ["abc", "-5", "1e5", "1234567890123456"])
      expect(
        issues({ price: { source: "store", blingStoreId: store } })["price.blingStoreId"],
        store,
      ).toContain(`Loja "${store}" inválida`);
    // Well-formed ids pass the format; whether they exist is the API's check against Bling.
    expect(
      issues({
        stock: { depositIds: ["99999999999"] },
        price: { source: "store", blingStoreId: "99999999" },
      }),
    ).toEqual({});
    // The stored schema stays lenient: a document saved before the rule still reads as it was.
    expect(readTenantSettings({ stock: { depositIds: ["abc"] } }).stock.depositIds).toEqual(["abc"]);
  });

  it("rejects unknown keys and wrong types", () => {
    expect(tenantSettingsSchema.safeParse({ hacker: 1 }).success).toBe(false);
    expect(tenantSettingsSchema.safeParse({ stock: { balance: "both" } }).success).toBe(false);
    expect(tenantSettingsSchema.safeParse({ paused: "yes" }).success).toBe(false);
  });

  it("reads corrupt stored settings as defaults instead of crashing a job", () => {
    expect(readTenantSettings({ stock: { balance: 42 } })).toEqual(defaultTenantSettings);
    expect(readTenantSettings(null)).toEqual(defaultTenantSettings);
    expect(readTenantSettings({ stock: { balance: "physical" } }).stock.balance).toBe("physical");
  });
});
