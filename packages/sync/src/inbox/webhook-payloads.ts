import { type BlingWebhookEvent, BlingWebhookPayloadError, parseBlingWebhook } from "@zb/bling";
import { z } from "zod";

/**
 * The payloads of `webhook_inbox` rows: what the API stores (the parsed delivery) and how the worker reads
 * it back (one parse, ids as strings). Rows stored before this module kept the raw delivery; both read the
 * same way, because the stored form is itself a valid delivery.
 */

/** Stored form of a Bling delivery: the parsed envelope, with the event name normalised and data parsed. */
export type BlingInboxPayload = {
  eventId: string;
  /** The envelope's date as sent (the parsed instant is the row's `occurred_at`). */
  date: string | null;
  version: string;
  companyId: string;
  event: string;
  data: unknown;
};

export function blingInboxPayload(event: BlingWebhookEvent): BlingInboxPayload {
  return {
    eventId: event.eventId,
    date: event.rawDate,
    version: event.version,
    companyId: event.companyId,
    event: event.kind === "unknown" ? event.event : event.kind,
    data: event.data,
  };
}

type Action = "created" | "updated" | "deleted";

/** What a Bling delivery asks of us, ids as strings (Bling sends numbers). */
export type BlingWebhookTarget =
  | { resource: "product"; action: Action; productId: string; parentId: string | null }
  | { resource: "stock"; productId: string }
  | { resource: "order"; action: Action; orderId: string }
  | { resource: "invoice"; action: Action; invoiceId: string }
  | { resource: "other"; event: string };

/** Bling's ids are positive; `0` means "none". */
const idText = (id: number | null): string | null => (id !== null && id > 0 ? String(id) : null);

function targetOf(e: BlingWebhookEvent): BlingWebhookTarget {
  const other = { resource: "other", event: e.kind === "unknown" ? e.event : e.kind } as const;
  switch (e.kind) {
    case "product.created":
    case "product.updated": {
      const productId = idText(e.data.id);
      if (!productId) return other;
      return {
        resource: "product",
        action: actionIn(e.kind),
        productId,
        parentId: idText(e.data.idProdutoPai),
      };
    }
    case "product.deleted": {
      const productId = idText(e.data.id);
      return productId ? { resource: "product", action: "deleted", productId, parentId: null } : other;
    }
    case "stock.created":
    case "stock.updated":
    case "stock.deleted":
    case "virtual_stock.updated": {
      const productId = idText(e.data.produto.id);
      return productId ? { resource: "stock", productId } : other;
    }
    case "order.created":
    case "order.updated":
    case "order.deleted": {
      const orderId = idText(e.data.id);
      return orderId ? { resource: "order", action: actionIn(e.kind), orderId } : other;
    }
    case "invoice.created":
    case "invoice.updated":
    case "invoice.deleted": {
      const invoiceId = idText(e.data.id);
      return invoiceId ? { resource: "invoice", action: actionIn(e.kind), invoiceId } : other;
    }
    default:
      return other;
  }
}

function actionIn(kind: `${string}.${Action}`): Action {
  if (kind.endsWith(".created")) return "created";
  return kind.endsWith(".deleted") ? "deleted" : "updated";
}

/** Reads a stored Bling payload (today's parsed form or an older raw delivery) into its target. */
export const blingInboxSchema = z.unknown().transform((payload, ctx): BlingWebhookTarget => {
  try {
    return targetOf(parseBlingWebhook(payload));
  } catch (err) {
    if (!(err instanceof BlingWebhookPayloadError)) throw err;
    for (const issue of err.issues) ctx.addIssue({ code: "custom", message: issue });
    return z.NEVER;
  }
});

/** The columns of an inbox row the reader uses. */
export interface StoredBlingWebhook {
  payload: unknown;
  eventId: string;
  eventType: string;
}

/**
 * Reads a stored Bling webhook row. Envelope fields a stored payload lacks (hand-made rows, older shapes)
 * come from the row's own columns: the event name from `event_type`, the id from `event_id`.
 */
export function readBlingInbox(row: StoredBlingWebhook) {
  const fromRow = { eventId: row.eventId, companyId: "inbox", event: row.eventType };
  const payload = typeof row.payload === "object" && row.payload !== null ? row.payload : {};
  return blingInboxSchema.safeParse({ ...fromRow, ...payload });
}

/** Stored form of a verified Zydon order webhook. */
export type ZydonOrderInboxPayload = {
  orderId: string;
  organizationId: string;
  amountValue: number | null;
  deliveryId: string | null;
};

export function zydonOrderInboxPayload(v: ZydonOrderInboxPayload): ZydonOrderInboxPayload {
  return {
    orderId: v.orderId,
    organizationId: v.organizationId,
    amountValue: v.amountValue,
    deliveryId: v.deliveryId,
  };
}

const zydonId = z.union([z.string().min(1), z.number()]).transform(String);

/**
 * Reads a stored Zydon order payload into the order id. Older rows may name it `order_id` or `id`; without
 * any, the row's event id (`order:<id>`) still names the order.
 */
export function readZydonOrderInbox(row: { payload: unknown; eventId: string }): string {
  const p = z
    .looseObject({
      orderId: zydonId.optional().catch(undefined),
      order_id: zydonId.optional().catch(undefined),
      id: zydonId.optional().catch(undefined),
    })
    .catch({})
    .parse(row.payload);
  return p.orderId ?? p.order_id ?? p.id ?? row.eventId.replace(/^order:/, "");
}

/** `event_type` of a stored Zydon order-update webhook (the order webhook's rows are `order.created`). */
export const ZYDON_ORDER_UPDATED_EVENT = "order.updated";

/**
 * Stored form of a verified Zydon order-update webhook (zydon-api.md §9 [ZS-233], a guess in the Zydon
 * adapter). `statusId` is what the body said, kept for the history only: the worker reads the order again.
 */
export type ZydonOrderUpdateInboxPayload = {
  orderId: string;
  organizationId: string;
  statusId: string | null;
  event: string | null;
  updatedAt: string | null;
  deliveryId: string | null;
};

export function zydonOrderUpdateInboxPayload(v: ZydonOrderUpdateInboxPayload): ZydonOrderUpdateInboxPayload {
  return {
    orderId: v.orderId,
    organizationId: v.organizationId,
    statusId: v.statusId,
    event: v.event,
    updatedAt: v.updatedAt,
    deliveryId: v.deliveryId,
  };
}
