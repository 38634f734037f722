import type { AlertItem, AlertSettingsView, AlertsResponse } from "@zb/contract";
import { type AlertRow, AlertsRepository, type Tenant } from "@zb/db";
import {
  type AlertSettings,
  alertSettingsSchema,
  enqueueAlertDelivery,
  hasAlertChannel,
  raiseAlert,
  readAlertSettings,
  readDeliveries,
  webhookHost,
} from "@zb/sync";
import type { AppDeps } from "../deps.js";
import { fieldErrors } from "./field-errors.js";
import { nowOf } from "./repos.js";

type Deps = Pick<AppDeps, "db" | "producer" | "logger" | "now">;

/** How many alerts the page lists. */
const LISTED = 20;

function view(s: AlertSettings): AlertSettingsView {
  const host = s.webhookUrl ? webhookHost(s.webhookUrl) : null;
  return {
    emails: s.emails,
    webhook: host === null ? null : { host },
    kinds: s.kinds,
    stalledMinutes: s.stalledMinutes,
    dailySummary: s.dailySummary,
  };
}

function item(a: AlertRow): AlertItem {
  const d = readDeliveries(a.deliveries);
  const channels: AlertItem["channels"] = [];
  for (const channel of ["email", "webhook"] as const) {
    const c = d[channel];
    if (c) channels.push({ channel, status: c.status, tries: c.tries, error: c.error, target: c.target });
  }
  return {
    id: a.id,
    kind: a.kind,
    subject: a.subject,
    status: a.status,
    createdAt: a.createdAt.toISOString(),
    sentAt: a.sentAt?.toISOString() ?? null,
    suppressedCount: a.suppressedCount,
    channels,
  };
}

export async function alertsView(deps: Deps, tenant: Tenant): Promise<AlertsResponse> {
  const repo = new AlertsRepository(deps.db.db);
  const settings = readAlertSettings(await repo.getConfig(tenant.id));
  return { settings: view(settings), items: (await repo.recent(tenant.id, LISTED)).map(item) };
}

/**
 * Saves the alert settings. `webhookUrl` absent keeps the saved one (the page never sees it back), null or
 * "" removes it. Errors are per field, pt-BR, as the sync settings' save answers them.
 */
export async function saveAlertSettings(
  deps: Deps,
  tenant: Tenant,
  body: unknown,
): Promise<{ ok: true; settings: AlertSettingsView } | { ok: false; errors: Record<string, string> }> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return { ok: false, errors: { _: "Envie as configurações de alertas." } };
  const repo = new AlertsRepository(deps.db.db);
  const before = readAlertSettings(await repo.getConfig(tenant.id));
  const input = { ...(body as Record<string, unknown>) };
  if (!("webhookUrl" in input) || input.webhookUrl === undefined) input.webhookUrl = before.webhookUrl;
  const parsed = alertSettingsSchema.safeParse(input, { error: () => "Valor inválido." });
  if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
  await repo.saveConfig(tenant.id, parsed.data);
  deps.logger.info(
    { tenantId: tenant.id, emails: parsed.data.emails.length, webhook: parsed.data.webhookUrl !== null },
    "alert settings saved",
  );
  return { ok: true, settings: view(parsed.data) };
}

/**
 * "Enviar alerta de teste": one test alert through the channels saved now. At most one a minute (its key is
 * the minute), outside the hourly limit of the real kinds.
 */
export async function sendTestAlert(
  deps: Deps,
  tenant: Tenant,
): Promise<{ kind: "enqueued"; alertId: number } | { kind: "no_channel" } | { kind: "too_soon" }> {
  const repo = new AlertsRepository(deps.db.db);
  if (!hasAlertChannel(readAlertSettings(await repo.getConfig(tenant.id)))) return { kind: "no_channel" };
  const now = nowOf(deps);
  let alertId = 0;
  const r = await raiseAlert(
    {
      db: deps.db.db,
      log: deps.logger,
      deliver: async (tenantId, id) => {
        alertId = id;
        await enqueueAlertDelivery(deps, tenantId, id);
      },
    },
    repo,
    tenant.id,
    { kind: "test", dedupeKey: now.toISOString().slice(0, 16), facts: { requestedAt: now.toISOString() } },
    now,
  );
  return r === "raised" ? { kind: "enqueued", alertId } : { kind: "too_soon" };
}
