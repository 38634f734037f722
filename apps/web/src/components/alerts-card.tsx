import { type FormEvent, useEffect, useState } from "react";
import { useApi } from "../api/api-context.js";
import type { AlertItem, AlertKindId, AlertSettingsView } from "../api/client.js";
import { toApiError, useResource } from "../hooks/use-resource.js";
import { formatDateTime } from "../labels.js";
import { Empty, ErrorNotice, LiveStatus, Loading } from "./feedback.js";

/** The kinds a merchant can turn off, in the order the card lists them (pt-BR). */
export const alertKindLabels: ReadonlyArray<[AlertKindId, string, string]> = [
  ["bling_reconnect", "O Bling precisa ser reconectado", "a sincronização para até você reconectar"],
  ["daily_limit", "Limite diário do Bling atingido", "a sincronização pausa até o dia seguinte"],
  ["order_failed", "Pedido não enviado ao Bling", "o pedido precisa de uma correção sua"],
  ["nfe_failed", "NF-e rejeitada ou não emitida", "a SEFAZ recusou a nota ou o Zydon não a anexou"],
  ["stalled", "Nenhuma sincronização com trabalho pendente", "depois dos minutos abaixo sem nenhum sucesso"],
  ["first_sync", "Primeira sincronização concluída", "com o que entrou e o que ficou de fora"],
];

const statusLabels: Record<AlertItem["status"], string> = {
  pending: "Enviando",
  sent: "Enviado",
  failed: "Não enviado",
  suppressed: "Não enviado (limite de 1 por hora)",
};
const statusTone: Record<AlertItem["status"], string> = {
  pending: "info",
  sent: "ok",
  failed: "failed",
  suppressed: "skipped",
};

interface Draft {
  emails: string;
  /** What the merchant typed; "" with `removeWebhook` false keeps the saved one. */
  webhookUrl: string;
  removeWebhook: boolean;
  kinds: AlertSettingsView["kinds"];
  stalledMinutes: string;
  dailySummary: boolean;
}

function draftOf(s: AlertSettingsView): Draft {
  return {
    emails: s.emails.join(", "),
    webhookUrl: "",
    removeWebhook: false,
    kinds: { ...s.kinds },
    stalledMinutes: String(s.stalledMinutes),
    dailySummary: s.dailySummary,
  };
}

/** "a@x.com, b@x.com" or one per line → the list the API checks one by one. */
function splitEmails(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((e) => e.trim())
    .filter(Boolean);
}

/**
 * Alertas (issue 18 #1): who hears about problems before noticing them (e-mail recipients, an optional
 * Slack-style webhook), which problems, and the alerts sent with how each channel went. The webhook's URL is
 * never shown back (it is the hook's secret): only its host, with "Remover".
 */
export function AlertsCard({ refreshKey = 0, pollMs = 5_000 }: { refreshKey?: number; pollMs?: number }) {
  const api = useApi();
  const [polling, setPolling] = useState(false);
  const alerts = useResource(() => api.getAlerts(), String(refreshKey), polling ? pollMs : null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (alerts.data && draft === null) setDraft(draftOf(alerts.data.settings));
  }, [alerts.data, draft]);
  // Keep refreshing while an alert is on its way, so "Enviando" turns into the outcome by itself.
  useEffect(() => {
    setPolling(alerts.data?.items.some((i) => i.status === "pending") ?? false);
  }, [alerts.data]);

  const saved = alerts.data?.settings;

  async function onSave(e: FormEvent) {
    e.preventDefault();
    if (!draft) return;
    setBusy(true);
    setStatus(null);
    const minutes = Number(draft.stalledMinutes.trim());
    try {
      const body = {
        emails: splitEmails(draft.emails),
        ...(draft.removeWebhook
          ? { webhookUrl: null }
          : draft.webhookUrl.trim()
            ? { webhookUrl: draft.webhookUrl.trim() }
            : {}),
        kinds: draft.kinds,
        stalledMinutes: draft.stalledMinutes.trim() === "" || Number.isNaN(minutes) ? -1 : minutes,
        dailySummary: draft.dailySummary,
      };
      const next = await api.saveAlertSettings(body);
      setErrors({});
      setDraft(draftOf(next));
      setStatus({ message: "Alertas salvos.", tone: "info" });
      await alerts.reload();
    } catch (err) {
      const apiErr = toApiError(err);
      setErrors(apiErr.fieldErrors ?? {});
      setStatus({
        message:
          Object.keys(apiErr.fieldErrors ?? {}).length > 0
            ? "Corrija os campos marcados: nada foi salvo."
            : apiErr.message,
        tone: "error",
      });
    } finally {
      setBusy(false);
    }
  }

  async function onTest() {
    setBusy(true);
    setStatus(null);
    try {
      await api.sendTestAlert();
      setStatus({ message: "Alerta de teste a caminho: acompanhe abaixo como foi o envio.", tone: "info" });
      await alerts.reload();
    } catch (err) {
      setStatus({ message: toApiError(err).message, tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  // Errors for the list of e-mails: "emails" or "emails.N", shown under the field.
  const emailErrors = Object.entries(errors)
    .filter(([k]) => k === "emails" || k.startsWith("emails."))
    .map(([, v]) => v);
  const fieldError = (key: string, id: string) =>
    errors[key] ? (
      <p id={id} className="zb-field-error">
        {errors[key]}
      </p>
    ) : null;

  return (
    <section className="zb-card" aria-labelledby="zb-alerts-title" data-testid="alerts-card">
      <h2 id="zb-alerts-title">Alertas</h2>
      <p className="zb-muted">
        Avisamos por e-mail (e, se quiser, num webhook como o do Slack) quando algo precisa de você: no máximo
        um alerta de cada tipo por hora.
      </p>
      {alerts.loading ? <Loading /> : null}
      {alerts.error ? <ErrorNotice error={alerts.error} onRetry={() => void alerts.reload()} /> : null}
      {draft && saved ? (
        <form
          className="zb-form"
          onSubmit={(e) => void onSave(e)}
          noValidate
          aria-label="Configurações de alertas"
        >
          <div className="zb-field">
            <label htmlFor="zb-alert-emails">E-mails que recebem os alertas</label>
            <textarea
              id="zb-alert-emails"
              rows={2}
              value={draft.emails}
              onChange={(e) => setDraft({ ...draft, emails: e.target.value })}
              placeholder="dono@empresa.com.br, financeiro@empresa.com.br"
              aria-invalid={emailErrors.length > 0 ? true : undefined}
              aria-describedby={emailErrors.length > 0 ? "zb-alert-emails-error" : "zb-alert-emails-hint"}
            />
            <p id="zb-alert-emails-hint" className="zb-hint">
              Até 5, separados por vírgula.
            </p>
            {emailErrors.length > 0 ? (
              <p id="zb-alert-emails-error" className="zb-field-error">
                {emailErrors.join(" ")}
              </p>
            ) : null}
          </div>
          <div className="zb-field">
            <label htmlFor="zb-alert-webhook">Webhook (opcional)</label>
            {saved.webhook && !draft.removeWebhook ? (
              <p className="zb-hint" data-testid="alert-webhook-saved">
                Webhook configurado em {saved.webhook.host}.{" "}
                <button
                  type="button"
                  className="zb-button zb-button--link"
                  onClick={() => setDraft({ ...draft, removeWebhook: true, webhookUrl: "" })}
                >
                  Remover
                </button>
              </p>
            ) : null}
            <input
              id="zb-alert-webhook"
              type="url"
              value={draft.webhookUrl}
              onChange={(e) => setDraft({ ...draft, webhookUrl: e.target.value, removeWebhook: false })}
              placeholder={
                saved.webhook ? "Cole um novo endereço para trocar" : "https://hooks.slack.com/services/…"
              }
              aria-invalid={errors.webhookUrl ? true : undefined}
              aria-describedby={errors.webhookUrl ? "zb-alert-webhook-error" : undefined}
            />
            {fieldError("webhookUrl", "zb-alert-webhook-error")}
          </div>
          <fieldset>
            <legend>Avisar quando</legend>
            {alertKindLabels.map(([kind, title, hint]) => (
              <div className="zb-check" key={kind}>
                <input
                  id={`zb-alert-kind-${kind}`}
                  type="checkbox"
                  checked={draft.kinds[kind]}
                  onChange={(e) =>
                    setDraft({ ...draft, kinds: { ...draft.kinds, [kind]: e.target.checked } })
                  }
                />
                <label htmlFor={`zb-alert-kind-${kind}`}>
                  {title} <span className="zb-muted">— {hint}</span>
                </label>
              </div>
            ))}
          </fieldset>
          <div className="zb-field">
            <label htmlFor="zb-alert-stalled">
              Minutos sem sincronizar, com trabalho pendente, para avisar
            </label>
            <input
              id="zb-alert-stalled"
              type="text"
              inputMode="numeric"
              value={draft.stalledMinutes}
              onChange={(e) => setDraft({ ...draft, stalledMinutes: e.target.value })}
              aria-invalid={errors.stalledMinutes ? true : undefined}
              aria-describedby={errors.stalledMinutes ? "zb-alert-stalled-error" : undefined}
            />
            {fieldError("stalledMinutes", "zb-alert-stalled-error")}
          </div>
          <div className="zb-check">
            <input
              id="zb-alert-daily"
              type="checkbox"
              checked={draft.dailySummary}
              onChange={(e) => setDraft({ ...draft, dailySummary: e.target.checked })}
            />
            <label htmlFor="zb-alert-daily">Enviar também um resumo diário (às 8h)</label>
          </div>
          {errors._ ? <p className="zb-field-error">{errors._}</p> : null}
          <div className="zb-actions">
            <button type="submit" className="zb-button" disabled={busy} data-testid="alerts-save">
              Salvar alertas
            </button>
            <button
              type="button"
              className="zb-button zb-button--secondary"
              disabled={busy || (saved.emails.length === 0 && saved.webhook === null)}
              onClick={() => void onTest()}
              data-testid="alerts-test"
            >
              Enviar alerta de teste
            </button>
          </div>
        </form>
      ) : null}
      <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
      {alerts.data ? (
        <>
          <h3 className="zb-subtitle">Últimos alertas</h3>
          {alerts.data.items.length === 0 ? (
            <Empty>Nenhum alerta enviado ainda.</Empty>
          ) : (
            <ul className="zb-alert-list">
              {alerts.data.items.map((a) => (
                <AlertRow key={a.id} alert={a} />
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}

function AlertRow({ alert }: { alert: AlertItem }) {
  return (
    <li className="zb-alert-item" data-testid="alert-item" data-status={alert.status} data-kind={alert.kind}>
      <div>
        <span className={`zb-badge zb-badge--${statusTone[alert.status]}`}>{statusLabels[alert.status]}</span>{" "}
        <strong>{alert.subject}</strong>
      </div>
      <p className="zb-hint">
        {formatDateTime(alert.sentAt ?? alert.createdAt)}
        {alert.suppressedCount > 0
          ? ` · ${alert.suppressedCount} ${alert.suppressedCount === 1 ? "semelhante não enviado" : "semelhantes não enviados"} nesta hora`
          : ""}
      </p>
      {alert.channels.map((c) => (
        <p className="zb-hint" key={c.channel} data-testid="alert-channel" data-channel={c.channel}>
          {c.channel === "email" ? "E-mail" : "Webhook"}
          {c.target ? ` (${c.target})` : ""}:{" "}
          {c.status === "sent"
            ? "entregue"
            : c.status === "skipped"
              ? (c.error ?? "não enviado")
              : `falhou${c.error ? ` — ${c.error}` : ""}${alert.status === "pending" ? " Nova tentativa em instantes." : ""}`}
        </p>
      ))}
    </li>
  );
}
