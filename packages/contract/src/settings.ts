import { z } from "zod";
import { idLike } from "./common.js";

const optionalId = z.string().nullish();
const fieldOwner = z.enum(["bling", "zydon"]).default("bling");
export const fieldGroupIds = ["content", "images", "dimensions", "price", "stock", "active"] as const;
export type FieldGroupId = (typeof fieldGroupIds)[number];

/**
 * `GET /api/settings`, the body of `PUT /api/settings` and its answer. The reader's side of
 * packages/sync tenant-settings.ts: the server validates again and owns the pt-BR messages.
 */
export const settingsSchema = z.object({
  stock: z.object({
    depositIds: z.array(z.string()).default([]),
    balance: z.enum(["virtual", "physical"]).default("virtual"),
  }),
  price: z.object({
    source: z.enum(["base", "store"]).default("base"),
    blingStoreId: optionalId,
    zydonPriceTableId: optionalId,
    /** Percentage beyond which a price move is held for the merchant (null = off). */
    jumpGuardPercent: z.number().nullable().default(50),
  }),
  orders: z.object({
    trigger: z.enum(["all", "from_status"]).default("all"),
    zydonStatusId: optionalId,
  }),
  nfe: z.object({
    enabled: z.boolean().default(false),
    approvedZydonStatusId: optionalId,
  }),
  /** Per field group, who keeps it: "bling" (the app mirrors Bling) or "zydon" (the app never overwrites). */
  ownership: z
    .object({
      content: fieldOwner,
      images: fieldOwner,
      dimensions: fieldOwner,
      price: fieldOwner,
      stock: fieldOwner,
      active: fieldOwner,
      taxonomy: fieldOwner,
    })
    .prefault({}),
  paused: z.boolean().default(false),
});
export type Settings = z.infer<typeof settingsSchema>;

/** One entry of a settings select. */
export const optionSchema = z.object({ id: idLike, name: z.string() });
export type Option = z.infer<typeof optionSchema>;

/** `GET /api/settings/options`: live pick lists per side; a side is null when it cannot be read now. */
export const settingsOptionsResponseSchema = z.object({
  bling: z
    .object({
      deposits: z.array(
        optionSchema.extend({ isDefault: z.boolean().default(false), active: z.boolean().default(true) }),
      ),
      stores: z.array(optionSchema).optional(),
    })
    .nullish(),
  zydon: z
    .object({
      statuses: z.array(optionSchema).default([]),
      priceTables: z.array(optionSchema).default([]),
      /** Sent by the API; the page does not offer it yet. */
      warehouses: z.array(optionSchema).optional(),
    })
    .nullish(),
  /** pt-BR, per side: why its lists are missing. */
  unavailable: z.object({ bling: z.string().optional(), zydon: z.string().optional() }).default({}),
});
export type SettingsOptionsResponse = z.infer<typeof settingsOptionsResponseSchema>;

/**
 * `POST /api/settings/preview` (body: the settings the page would save): what saving would change, before it
 * is saved. One entry per kind of record a change recomputes; empty when nothing already synced changes.
 */
export const settingsPreviewResponseSchema = z.object({
  effects: z.array(
    z.object({
      kind: z.enum(["stock", "price"]),
      /** Products (and variations) whose value is recomputed. */
      affected: z.number().int().min(0),
      /** pt-BR: "Isto muda o estoque de 106 produtos …". */
      message: z.string(),
    }),
  ),
});
export type SettingsPreviewResponse = z.infer<typeof settingsPreviewResponseSchema>;
