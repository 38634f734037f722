import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import {
  blingDecimal,
  blingId,
  blingRef,
  blingRefId,
  looseBool,
  looseCode,
  looseInt,
  looseString,
  optionalDecimal,
} from "./schemas/common.js";

/** Header carrying `sha256=<hex>` (HTTP headers are case-insensitive; Node lower-cases them). */
export const BLING_SIGNATURE_HEADER = "x-bling-signature-256";

/** `sha256=` + hex HMAC-SHA256 of the raw body bytes keyed with the app's client secret. */
export function signBlingPayload(rawBody: Buffer | string, clientSecret: string): string {
  return `sha256=${createHmac("sha256", clientSecret).update(rawBody).digest("hex")}`;
}

/**
 * Verifies `X-Bling-Signature-256` over the RAW body bytes (re-serialized JSON will not match).
 * Constant-time compare; malformed or missing headers fail.
 */
export function verifyBlingSignature(
  rawBody: Buffer | string,
  header: string | undefined,
  clientSecret: string,
): boolean {
  if (!header || !clientSecret) return false;
  const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1], "hex");
  const expected = createHmac("sha256", clientSecret).update(rawBody).digest();
  if (given.length !== expected.length) return false;
  return timingSafeEqual(given, expected);
}

// ---- payloads (slim: fetch the full record via the API when needed) ----

const orderData = z.looseObject({
  id: blingId,
  data: looseString,
  numero: looseInt,
  numeroLoja: looseString,
  total: optionalDecimal,
  contato: blingRef,
  vendedor: blingRef,
  loja: blingRef,
  situacao: z
    .looseObject({ id: blingRefId, valor: looseInt })
    .nullish()
    .transform((v) => v ?? null),
});

const productData = z.looseObject({
  id: blingId,
  nome: looseString,
  codigo: looseString,
  tipo: looseCode,
  situacao: looseCode,
  preco: optionalDecimal,
  unidade: looseString,
  formato: looseCode,
  idProdutoPai: blingRefId,
  categoria: blingRef,
  descricaoCurta: looseString,
  descricaoComplementar: looseString,
});

const deletedData = z.looseObject({ id: blingId });

const stockData = z.looseObject({
  produto: z.looseObject({ id: blingId }),
  deposito: z.looseObject({ id: blingId, saldoFisico: blingDecimal, saldoVirtual: blingDecimal }),
  operacao: looseCode,
  quantidade: optionalDecimal,
  saldoFisicoTotal: blingDecimal,
  saldoVirtualTotal: blingDecimal,
});

const virtualStockData = z.looseObject({
  produto: z.looseObject({ id: blingId }),
  saldoFisicoTotal: blingDecimal,
  saldoVirtualTotal: blingDecimal,
  /** true: more than 200 linked products changed; re-read balances via the API. */
  vinculoComplexo: looseBool,
  depositos: z
    .array(z.looseObject({ id: blingId, saldoFisico: blingDecimal, saldoVirtual: blingDecimal }))
    .nullish()
    .transform((v) => v ?? []),
});

const invoiceData = z.looseObject({
  id: blingId,
  tipo: looseInt,
  situacao: looseInt,
  numero: looseString,
  dataEmissao: looseString,
  dataOperacao: looseString,
  contato: blingRef,
  naturezaOperacao: blingRef,
  loja: blingRef,
});

export type BlingWebhookOrderData = z.output<typeof orderData>;
export type BlingWebhookProductData = z.output<typeof productData>;
export type BlingWebhookStockData = z.output<typeof stockData>;
export type BlingWebhookVirtualStockData = z.output<typeof virtualStockData>;
export type BlingWebhookInvoiceData = z.output<typeof invoiceData>;

const dataSchemas = {
  "order.created": orderData,
  "order.updated": orderData,
  "order.deleted": deletedData,
  "product.created": productData,
  "product.updated": productData,
  "product.deleted": deletedData,
  "stock.created": stockData,
  "stock.updated": stockData,
  "stock.deleted": stockData,
  "virtual_stock.updated": virtualStockData,
  "invoice.created": invoiceData,
  "invoice.updated": invoiceData,
  "invoice.deleted": deletedData,
  "consumer_invoice.created": invoiceData,
  "consumer_invoice.updated": invoiceData,
  "consumer_invoice.deleted": deletedData,
} as const;

export type BlingKnownWebhookEvent = keyof typeof dataSchemas;

export interface BlingWebhookEnvelope {
  eventId: string;
  /** Parsed envelope date, or null when unparseable (docs: ISO-8601 UTC; some senders omit `T`/`Z`). */
  date: Date | null;
  rawDate: string | null;
  version: string;
  /** Bling company id (32 hex), equal to `empresas/me/dados-basicos` `id`. */
  companyId: string;
}

type KnownEvent = {
  [K in BlingKnownWebhookEvent]: BlingWebhookEnvelope & { kind: K; data: z.output<(typeof dataSchemas)[K]> };
}[BlingKnownWebhookEvent];

export type BlingWebhookEvent =
  | KnownEvent
  | (BlingWebhookEnvelope & { kind: "unknown"; event: string; data: unknown });

/** The envelope or a known event's data is malformed (missing ids, bad amounts). */
export class BlingWebhookPayloadError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid Bling webhook payload (${issues.slice(0, 3).join("; ")})`);
    this.name = "BlingWebhookPayloadError";
  }
}

const envelopeSchema = z.looseObject({
  eventId: z.union([z.string().min(1), z.number()]).transform(String),
  date: z.union([z.string(), z.number()]).nullish(),
  version: z.string().optional(),
  event: z.string().min(1),
  companyId: z.union([z.string().min(1), z.number()]).transform(String),
  data: z.unknown(),
});

/** ISO-8601 (`2025-01-10T12:18:46Z`) or `2025-01-10 12:18:46` (read as UTC, like the ISO form). */
function parseEnvelopeDate(raw: string | number | null | undefined): Date | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === "number") return new Date(raw > 1e12 ? raw : raw * 1000);
  const s = raw.trim();
  const naive = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(s);
  const d = new Date(naive ? `${naive[1]}T${naive[2]}Z` : s);
  return Number.isNaN(d.getTime()) ? null : d;
}

function issuesOf(err: z.ZodError, prefix: string): string[] {
  return err.issues.map((i) => `${[prefix, ...i.path].join(".")}: ${i.message}`);
}

/**
 * Parses a v1 webhook delivery into a discriminated union on `kind` (`"order.created"`, …). Unknown events
 * give `kind: "unknown"` (never a throw); a malformed envelope or known-event data throws
 * BlingWebhookPayloadError. Event names are matched case-insensitively.
 */
export function parseBlingWebhook(json: unknown): BlingWebhookEvent {
  const env = envelopeSchema.safeParse(json);
  if (!env.success) throw new BlingWebhookPayloadError(issuesOf(env.error, "envelope"));
  const e = env.data;
  const envelope: BlingWebhookEnvelope = {
    eventId: e.eventId,
    date: parseEnvelopeDate(e.date),
    rawDate: e.date === null || e.date === undefined ? null : String(e.date),
    version: e.version ?? "v1",
    companyId: e.companyId,
  };
  const kind = e.event.trim().toLowerCase();
  if (!Object.hasOwn(dataSchemas, kind))
    return { ...envelope, kind: "unknown", event: e.event, data: e.data };
  const schema = dataSchemas[kind as BlingKnownWebhookEvent];
  const data = schema.safeParse(e.data);
  if (!data.success) throw new BlingWebhookPayloadError(issuesOf(data.error, "data"));
  return { ...envelope, kind, data: data.data } as KnownEvent;
}
