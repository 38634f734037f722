import { z } from "zod";
import { idLike, wireDate } from "./common.js";

/** Same list as packages/db `ledgerOutcomes` (the contract imports nothing but zod). */
export const ledgerOutcomes = ["synced", "skipped", "failed"] as const;
export type LedgerOutcome = (typeof ledgerOutcomes)[number];

/** `GET /api/settings/ledger` query string. Pages count from 0. */
export const ledgerQuerySchema = z.object({
  entity: z.string().trim().min(1).max(50).optional(),
  outcome: z.enum(ledgerOutcomes).optional(),
  search: z.string().max(100).optional(),
  page: z.coerce.number().int().min(0).max(100_000).default(0),
  pageSize: z.coerce.number().int().min(1).max(200).default(50),
  onlyOpen: z.enum(["true", "false", "1", "0"]).optional(),
  /** Only failures and skips a later success closed (what the page shows as "Resolvido"). */
  resolved: z.enum(["true", "false", "1", "0"]).optional(),
  /** Only rows recorded (or recorded again) since then: "ver quais" of one sync run. */
  since: z.iso.datetime({ offset: true }).optional(),
});
export type LedgerQueryParams = z.input<typeof ledgerQuerySchema>;

export const ledgerItemSchema = z.object({
  id: idLike,
  entity: z.string(),
  entityKey: z.string(),
  action: z.string(),
  outcome: z.enum(ledgerOutcomes),
  reason: z.string().nullish(),
  attempts: z.number(),
  updatedAt: wireDate,
  /** A later success closed this failure: nothing left to retry. */
  resolvedAt: wireDate.nullish(),
  retryable: z.union([z.boolean(), z.number()]).transform((v) => Boolean(v)),
  /** The item as the merchant knows it (ledger-display.ts): SKU, formatted CPF/CNPJ, never "bling:<id>". */
  item: z.string().optional(),
  /** The record's name beside it, when the sync knew it. */
  name: z.string().nullish(),
  /** Old → new for stock and price, formatted in pt-BR. */
  change: z.object({ from: z.string().nullable(), to: z.string() }).nullish(),
  /** Not read by the page. */
  details: z.record(z.string(), z.unknown()).nullish(),
  createdAt: wireDate.optional(),
});
export type LedgerItem = z.infer<typeof ledgerItemSchema>;

/** `GET /api/settings/ledger` answer; `page` counts from 0 as in the query. */
export const ledgerPageResponseSchema = z.object({
  items: z.array(ledgerItemSchema),
  total: z.number(),
  page: z.number(),
  pageSize: z.number(),
});
export type LedgerPageResponse = z.infer<typeof ledgerPageResponseSchema>;
