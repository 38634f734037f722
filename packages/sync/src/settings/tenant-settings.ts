import { z } from "zod";

/**
 * A merchant's sync settings (tenants.settings). One schema for the API (validation of what the page sends)
 * and the worker (parsing what is stored), so the two can never disagree. Messages are pt-BR: the page shows
 * them next to the field.
 */
const id = z
  .string()
  .trim()
  .min(1, "Informe um identificador válido.")
  .max(64, "Identificador longo demais.");

/**
 * Field ownership (issue 18 #2): per group of product fields, "bling" = the app keeps Zydon equal to Bling,
 * "zydon" = the merchant edits it in Zydon and the app never overwrites it (a product new to Zydon still gets
 * Bling's values once, when it is created).
 */
export const fieldGroups = [
  "content",
  "images",
  "dimensions",
  "price",
  "stock",
  "active",
  "taxonomy",
] as const;
export type FieldGroup = (typeof fieldGroups)[number];
const owner = z.enum(["bling", "zydon"], { message: "Escolha quem é dono deste campo." }).default("bling");

export const tenantSettingsSchema = z
  .object({
    stock: z
      .object({
        /** Bling deposits whose balances are summed; empty = Bling's default deposit. */
        depositIds: z.array(id).max(20, "Escolha no máximo 20 depósitos.").default([]),
        /** virtual = available (physical minus reservations), Bling's "saldo virtual"; physical = "saldo físico". */
        balance: z
          .enum(["virtual", "physical"], { message: "Escolha saldo disponível ou físico." })
          .default("virtual"),
      })
      .prefault({}),
    price: z
      .object({
        source: z
          .enum(["base", "store"], { message: "Escolha preço base ou preço de uma loja." })
          .default("base"),
        /** With source "store": the Bling store (multiloja) whose price goes into the price table below. */
        blingStoreId: id.optional(),
        /** The Zydon price table the app owns and fills with that store's prices. */
        zydonPriceTableId: id.optional(),
        /**
         * The price-jump guard (pipelines/price-hold.ts): a product whose price would move by more than this
         * percentage, up or down, keeps its old price in Zydon until the merchant applies or discards the
         * new one. null = off.
         */
        jumpGuardPercent: z
          .number({ message: "Informe a porcentagem como número." })
          .int("Use um número inteiro de porcentagem.")
          .min(5, "Use pelo menos 5%.")
          .max(1000, "Use no máximo 1000%.")
          .nullable()
          .default(50),
      })
      .prefault({})
      .superRefine((p, ctx) => {
        if (p.source === "store" && !p.blingStoreId)
          ctx.addIssue({
            code: "custom",
            path: ["blingStoreId"],
            message: "Escolha a loja do Bling de onde vem o preço.",
          });
      }),
    orders: z
      .object({
        /** all = every new Zydon order; from_status = only once it reaches `zydonStatusId`. */
        trigger: z
          .enum(["all", "from_status"], { message: "Escolha quais pedidos enviar ao Bling." })
          .default("all"),
        zydonStatusId: id.optional(),
      })
      .prefault({})
      .superRefine((o, ctx) => {
        if (o.trigger === "from_status" && !o.zydonStatusId)
          ctx.addIssue({
            code: "custom",
            path: ["zydonStatusId"],
            message: "Escolha o status a partir do qual o pedido é enviado.",
          });
      }),
    nfe: z
      .object({
        enabled: z.boolean({ message: "Valor inválido." }).default(false),
        /** The Zydon status that means "approved": reaching it triggers NF-e emission. */
        approvedZydonStatusId: id.optional(),
      })
      .prefault({})
      .superRefine((n, ctx) => {
        if (n.enabled && !n.approvedZydonStatusId)
          ctx.addIssue({
            code: "custom",
            path: ["approvedZydonStatusId"],
            message: "Escolha o status do Zydon que indica pedido aprovado para emitir a NF-e.",
          });
      }),
    ownership: z
      .object({
        /** Name and short and long descriptions. */
        content: owner,
        images: owner,
        /** Weights and dimensions of the product and its variations. */
        dimensions: owner,
        /** Base price, variation prices and the store price table. */
        price: owner,
        stock: owner,
        /** Active/inactive of the product and its variations. */
        active: owner,
        /** The product's category and brand (the categories themselves: their names in Zydon). */
        taxonomy: owner,
      } satisfies Record<FieldGroup, z.ZodType>)
      .strict()
      .prefault({}),
    /** Merchant pause from the settings page (independent of uninstall). */
    paused: z.boolean({ message: "Valor inválido." }).default(false),
  })
  .strict();

export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

/** Whether the merchant made Zydon the owner of a field group (the app then leaves it alone). */
export function zydonOwns(settings: Pick<TenantSettings, "ownership">, group: FieldGroup): boolean {
  return settings.ownership[group] === "zydon";
}

export const defaultTenantSettings: TenantSettings = tenantSettingsSchema.parse({});

/**
 * Bling ids (depósitos, lojas) are positive integers; at most 15 digits so they stay exact as JS numbers. The stored schema
 * above stays lenient so a document saved before this rule still reads (the sync refuses ids that do not
 * resolve); what the page sends is held to this format.
 */
export const blingIdPattern = /^[1-9][0-9]{0,14}$/;

/** What `PUT /api/settings` accepts: the stored schema plus well-formed Bling ids, one pt-BR message per field. */
export const tenantSettingsInputSchema = tenantSettingsSchema.superRefine((s, ctx) => {
  s.stock.depositIds.forEach((d, i) => {
    if (!blingIdPattern.test(d))
      ctx.addIssue({
        code: "custom",
        path: ["stock", "depositIds", i],
        message: `Depósito "${d.slice(0, 30)}" inválido: use o número do depósito no Bling (só algarismos, como 14886873).`,
      });
  });
  if (new Set(s.stock.depositIds).size !== s.stock.depositIds.length)
    ctx.addIssue({
      code: "custom",
      path: ["stock", "depositIds"],
      message: "O mesmo depósito foi escolhido mais de uma vez.",
    });
  const store = s.price.blingStoreId;
  if (store !== undefined && !blingIdPattern.test(store))
    ctx.addIssue({
      code: "custom",
      path: ["price", "blingStoreId"],
      message: `Loja "${store.slice(0, 30)}" inválida: use o número da loja no Bling (só algarismos, como 203950523).`,
    });
});

/** Stored settings are trusted less than code: anything unparsable falls back to defaults field by field. */
export function readTenantSettings(stored: unknown): TenantSettings {
  const parsed = tenantSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : defaultTenantSettings;
}
