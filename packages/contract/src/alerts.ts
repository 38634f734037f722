import { z } from "zod";
import { wireDate } from "./common.js";

/** The kinds a merchant can turn on or off (the sync's alert-settings.ts names the same six). */
export const alertKindIds = [
  "bling_reconnect",
  "daily_limit",
  "order_failed",
  "nfe_failed",
  "stalled",
  "first_sync",
] as const;
export type AlertKindId = (typeof alertKindIds)[number];

const kindsSchema = z.object({
  bling_reconnect: z.boolean(),
  daily_limit: z.boolean(),
  order_failed: z.boolean(),
  nfe_failed: z.boolean(),
  stalled: z.boolean(),
  first_sync: z.boolean(),
} satisfies Record<AlertKindId, z.ZodType>);

/**
 * `GET /api/settings/alerts` settings part. The webhook URL never comes back to the browser (an incoming
 * webhook's URL is its secret): only its host, to say one is set.
 */
export const alertSettingsViewSchema = z.object({
  emails: z.array(z.string()),
  webhook: z.object({ host: z.string() }).nullable(),
  kinds: kindsSchema,
  stalledMinutes: z.number(),
  dailySummary: z.boolean(),
});
export type AlertSettingsView = z.infer<typeof alertSettingsViewSchema>;

/**
 * `PUT /api/settings/alerts` body. `webhookUrl` absent = keep the one saved; null or "" = remove it.
 * The server validates again and owns the pt-BR messages (400 `{ errors: { field: message } }`).
 */
export const alertSettingsInputSchema = z.object({
  emails: z.array(z.string()),
  webhookUrl: z.string().nullable().optional(),
  kinds: kindsSchema,
  stalledMinutes: z.number(),
  dailySummary: z.boolean(),
});
export type AlertSettingsBody = z.infer<typeof alertSettingsInputSchema>;

const channelSchema = z.object({
  channel: z.enum(["email", "webhook"]),
  status: z.enum(["sent", "failed", "skipped"]),
  tries: z.number(),
  /** pt-BR: why the channel failed. */
  error: z.string().nullable(),
  /** "2 destinatários" or the webhook's host. */
  target: z.string().nullable(),
});

export const alertItemSchema = z.object({
  id: z.number(),
  kind: z.string(),
  /** pt-BR, the e-mail's subject. */
  subject: z.string(),
  status: z.enum(["pending", "sent", "failed", "suppressed"]),
  createdAt: wireDate,
  sentAt: wireDate.nullable(),
  /** Alerts of this kind held back by the hourly limit since this one. */
  suppressedCount: z.number(),
  channels: z.array(channelSchema),
});
export type AlertItem = z.infer<typeof alertItemSchema>;

export const alertsResponseSchema = z.object({
  settings: alertSettingsViewSchema,
  items: z.array(alertItemSchema),
});
export type AlertsResponse = z.infer<typeof alertsResponseSchema>;

/** `POST /api/settings/alerts/test`: 202 with the alert's id (the list shows how it went). */
export const alertTestResponseSchema = z.object({ status: z.literal("enqueued"), alertId: z.number() });
export type AlertTestResponse = z.infer<typeof alertTestResponseSchema>;
