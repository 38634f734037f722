import { describe, expect, it } from "vitest";
import { defaultTenantSettings, readTenantSettings, tenantSettingsSchema } from "./tenant-settings.js";

describe("tenant settings", () => {
  it("has safe defaults: default deposit, available balance, base price, all orders, NF-e off", () => {
    expect(defaultTenantSettings).toEqual({
      stock: { depositIds: [], balance: "virtual" },
      price: { source: "base" },
      orders: { trigger: "all" },
      nfe: { enabled: false },
      paused: false,
    });
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
