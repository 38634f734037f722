import { type AlertRow, AlertsRepository, type Database } from "@zb/db";
import { z } from "zod";
import type { SyncLog } from "../pipelines/context.js";
import { type AnyAlertKind, readAlertSettings } from "./alert-settings.js";
import { alertMessage, alertWebhookBody } from "./messages.js";

/** How an alert leaves (the worker composes nodemailer and the outbound fetcher behind it). */
export interface AlertTransport {
  /** False when the deployment has no SMTP server configured (`SMTP_URL`). */
  readonly mailConfigured: boolean;
  sendMail(m: { to: string[]; subject: string; text: string; html: string }): Promise<void>;
  /** POSTs JSON to the merchant's URL; throws with a pt-BR `message` on refusal or a non-2xx answer. */
  postWebhook(url: string, body: Record<string, unknown>): Promise<void>;
}

export interface AlertDeliveryDeps {
  db: Database;
  transport: AlertTransport;
  /** Where "Abrir o app" leads (the app inside Zydon's admin). */
  pageUrl: string;
  log: SyncLog;
  now?: () => Date;
}

/** Tries per channel before an alert counts as not delivered; the job waits longer after each. */
export const ALERT_MAX_TRIES = 5;
export const alertRetryDelayMs = (tries: number) => 30_000 * 2 ** Math.max(0, tries - 1);

const channelSchema = z.object({
  status: z.enum(["sent", "failed", "skipped"]),
  tries: z.number().int().min(0).default(0),
  /** pt-BR, what the merchant reads beside the alert. */
  error: z.string().nullable().default(null),
  at: z.string().nullable().default(null),
  /** E-mail: how many recipients; webhook: the URL's host (never the URL: it carries the hook's token). */
  target: z.string().nullable().default(null),
});
export type ChannelDelivery = z.output<typeof channelSchema>;
const deliveriesSchema = z
  .object({ email: channelSchema.optional(), webhook: channelSchema.optional() })
  .catch({});
export type AlertDeliveries = z.output<typeof deliveriesSchema>;

export function readDeliveries(raw: unknown): AlertDeliveries {
  return deliveriesSchema.parse(raw ?? {});
}

export type DeliveryOutcome =
  | { kind: "sent" }
  | { kind: "retry"; delayMs: number }
  | { kind: "failed" }
  | { kind: "gone" };

/** A delivery error the merchant can read; never the raw error of a library (it may echo credentials). */
function ptBrError(channel: "email" | "webhook", err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (channel === "webhook") return msg.slice(0, 300);
  const code = (err as { responseCode?: unknown }).responseCode;
  if (typeof code === "number") return `o servidor de e-mail recusou a mensagem (código ${code}).`;
  if ((err as { code?: unknown }).code === "ETIMEDOUT") return "o servidor de e-mail não respondeu a tempo.";
  return "não foi possível falar com o servidor de e-mail.";
}

/**
 * Delivers one alert on every channel the tenant has now (recipients are read at send time, so fixing a
 * typo and waiting for the retry works). A channel already sent is never sent again; one that failed is
 * tried again, up to ALERT_MAX_TRIES, after `alertRetryDelayMs`. The alert ends `sent` once every channel
 * is, `failed` when a channel ran out of tries; each channel's error stays on the row for the page.
 */
export async function deliverAlert(deps: AlertDeliveryDeps, alertId: number): Promise<DeliveryOutcome> {
  const repo = new AlertsRepository(deps.db);
  const alert = await repo.get(alertId);
  if (!alert || alert.status === "suppressed" || alert.status === "sent") return { kind: "gone" };
  const settings = readAlertSettings(await repo.getConfig(alert.tenantId));
  const now = deps.now?.() ?? new Date();
  const message = alertMessage(alert.kind as AnyAlertKind, alert.facts, deps.pageUrl);
  const deliveries = readDeliveries(alert.deliveries);

  const jobs: Array<{ channel: "email" | "webhook"; target: string; send: () => Promise<void> }> = [];
  if (settings.emails.length > 0)
    jobs.push({
      channel: "email",
      target: `${settings.emails.length} destinatário${settings.emails.length === 1 ? "" : "s"}`,
      send: async () => {
        if (!deps.transport.mailConfigured)
          throw new Error("o envio de e-mail não está configurado neste servidor do app.");
        await deps.transport.sendMail({
          to: settings.emails,
          subject: message.subject,
          text: message.text,
          html: message.html,
        });
      },
    });
  if (settings.webhookUrl) {
    const url = settings.webhookUrl;
    jobs.push({
      channel: "webhook",
      target: webhookHost(url),
      send: () => deps.transport.postWebhook(url, alertWebhookBody(alert.kind as AnyAlertKind, message, now)),
    });
  }
  if (jobs.length === 0) {
    await repo.recordDelivery(alert.id, {
      at: now,
      status: "failed",
      deliveries: {
        email: {
          status: "skipped",
          tries: 0,
          error: "nenhum destinatário configurado.",
          at: now.toISOString(),
          target: null,
        },
      },
    });
    return { kind: "failed" };
  }

  let pending = false;
  let exhausted = false;
  for (const j of jobs) {
    const before = deliveries[j.channel];
    if (before?.status === "sent") continue;
    const tries = (before?.tries ?? 0) + 1;
    try {
      await j.send();
      deliveries[j.channel] = { status: "sent", tries, error: null, at: now.toISOString(), target: j.target };
    } catch (err) {
      const error = ptBrError(j.channel, err);
      deliveries[j.channel] = { status: "failed", tries, error, at: now.toISOString(), target: j.target };
      deps.log.warn(
        { tenantId: alert.tenantId, alertId: alert.id, channel: j.channel, tries, target: j.target },
        "alert delivery failed",
      );
      if (tries >= ALERT_MAX_TRIES) exhausted = true;
      else pending = true;
    }
  }
  const allSent = jobs.every((j) => deliveries[j.channel]?.status === "sent");
  const status: AlertRow["status"] = allSent
    ? "sent"
    : pending
      ? "pending"
      : exhausted
        ? "failed"
        : "pending";
  await repo.recordDelivery(alert.id, {
    at: now,
    status,
    deliveries,
    ...(allSent ? { sentAt: now } : {}),
  });
  if (allSent) return { kind: "sent" };
  if (pending) {
    const tries = Math.max(...jobs.map((j) => deliveries[j.channel]?.tries ?? 0));
    return { kind: "retry", delayMs: alertRetryDelayMs(tries) };
  }
  return { kind: "failed" };
}

/** The webhook's host, the only part of its URL the page and the delivery record show (it may hold a token). */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "endereço inválido";
  }
}
