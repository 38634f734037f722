import type { Logger } from "@zb/config";
import type { AlertTransport } from "@zb/sync";
import { OutboundFetcher } from "@zb/zydon";
import { createTransport } from "nodemailer";

export interface AlertTransportConfig {
  SMTP_URL?: string | undefined;
  ALERT_FROM: string;
  ALERT_TIMEOUT_MS: number;
  OUTBOUND_ALLOW_HOSTS?: string[] | undefined;
}

/**
 * E-mail through the deployment's SMTP server (nodemailer, one pooled transport) and webhooks through the
 * outbound fetcher, whose address checks keep a merchant's URL off internal networks. Neither logs a URL or
 * a recipient.
 */
export function createAlertTransport(
  config: AlertTransportConfig,
  logger: Logger,
): AlertTransport & { close(): Promise<void> } {
  const mailer = config.SMTP_URL
    ? createTransport(config.SMTP_URL, {
        connectionTimeout: config.ALERT_TIMEOUT_MS,
        greetingTimeout: config.ALERT_TIMEOUT_MS,
        socketTimeout: config.ALERT_TIMEOUT_MS,
      })
    : undefined;
  if (!mailer) logger.warn("SMTP_URL is not set: alert e-mails will be recorded as not deliverable");
  const outbound = new OutboundFetcher({ allowHosts: config.OUTBOUND_ALLOW_HOSTS ?? [] });
  return {
    mailConfigured: mailer !== undefined,
    async sendMail(m) {
      if (!mailer) throw new Error("SMTP_URL is not set");
      await mailer.sendMail({
        from: config.ALERT_FROM,
        to: m.to,
        subject: m.subject,
        text: m.text,
        html: m.html,
      });
    },
    postWebhook: (url, body) => outbound.postJson(url, body, { timeoutMs: config.ALERT_TIMEOUT_MS }),
    async close() {
      mailer?.close();
      await outbound.close();
    },
  };
}
