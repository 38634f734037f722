import { z } from "zod";

/** What can be alerted on, each one the merchant can turn off (the test and the daily summary are apart). */
export const alertKinds = [
  "bling_reconnect",
  "daily_limit",
  "order_failed",
  "nfe_failed",
  "stalled",
  "first_sync",
] as const;
export type AlertKind = (typeof alertKinds)[number];
/** Every kind of row in `alerts`. */
export type AnyAlertKind = AlertKind | "daily_summary" | "test";

export const MAX_ALERT_EMAILS = 5;

const onByDefault = z.boolean({ message: "Valor inválido." }).default(true);
const kindsSchema = z
  .object({
    bling_reconnect: onByDefault,
    daily_limit: onByDefault,
    order_failed: onByDefault,
    nfe_failed: onByDefault,
    stalled: onByDefault,
    first_sync: onByDefault,
  } satisfies Record<AlertKind, z.ZodType>)
  .strict();

/**
 * A merchant's alert settings (alert_settings.config): one schema for the API (what the page sends, pt-BR
 * messages beside the field) and the worker (what it reads back). The webhook URL is the merchant's
 * Slack-style incoming webhook; the worker reaches it only through the outbound fetcher (public addresses).
 */
export const alertSettingsSchema = z
  .object({
    emails: z
      .array(z.string().trim().toLowerCase().max(254, "E-mail longo demais."))
      .max(MAX_ALERT_EMAILS, `Informe no máximo ${MAX_ALERT_EMAILS} e-mails.`)
      .default([]),
    webhookUrl: z.string().trim().max(500, "Endereço longo demais.").nullable().default(null),
    kinds: kindsSchema.prefault({}),
    /** "No successful sync for N minutes while work is pending". */
    stalledMinutes: z
      .number({ message: "Informe os minutos como número." })
      .int("Use um número inteiro de minutos.")
      .min(15, "Use pelo menos 15 minutos.")
      .max(1440, "Use no máximo 1440 minutos (um dia).")
      .default(60),
    dailySummary: z.boolean({ message: "Valor inválido." }).default(false),
  })
  .strict()
  .superRefine((s, ctx) => {
    s.emails.forEach((e, i) => {
      if (!z.email().safeParse(e).success)
        ctx.addIssue({
          code: "custom",
          path: ["emails", i],
          message: `E-mail "${e.slice(0, 60)}" inválido: use o formato nome@empresa.com.br.`,
        });
    });
    if (new Set(s.emails).size !== s.emails.length)
      ctx.addIssue({
        code: "custom",
        path: ["emails"],
        message: "O mesmo e-mail foi informado mais de uma vez.",
      });
    if (s.webhookUrl !== null && s.webhookUrl !== "") {
      let u: URL | undefined;
      try {
        u = new URL(s.webhookUrl);
      } catch {
        u = undefined;
      }
      if (!u || (u.protocol !== "https:" && u.protocol !== "http:") || u.username || u.password)
        ctx.addIssue({
          code: "custom",
          path: ["webhookUrl"],
          message: "Endereço inválido: use um endereço https:// completo (como o de um webhook do Slack).",
        });
    }
  })
  .transform((s) => ({ ...s, webhookUrl: s.webhookUrl === "" ? null : s.webhookUrl }));

export type AlertSettings = z.output<typeof alertSettingsSchema>;
export type AlertSettingsInput = z.input<typeof alertSettingsSchema>;

export const defaultAlertSettings: AlertSettings = alertSettingsSchema.parse({});

/** Stored settings are trusted less than code: unparsable means defaults (no recipient, nothing sent). */
export function readAlertSettings(stored: unknown): AlertSettings {
  const parsed = alertSettingsSchema.safeParse(stored ?? {});
  return parsed.success ? parsed.data : defaultAlertSettings;
}

/** Whether any channel is set: without one nothing is raised. */
export function hasAlertChannel(s: AlertSettings): boolean {
  return s.emails.length > 0 || s.webhookUrl !== null;
}
