import { Fragment, useEffect, useState } from "react";
import { useApi } from "../api/api-context.js";
import type { Health, ProgressEntity, RunOutcome } from "../api/client.js";
import { useResource } from "../hooks/use-resource.js";
import {
  entityLabels,
  formatDateTime,
  formatDuration,
  formatLag,
  formatNumber,
  label,
  plural,
  tokenStateLabels,
} from "../labels.js";
import { useNavigation } from "../navigation.js";
import { usePageState } from "../page-state.js";
import { HourlyChart, RequestsChart } from "./activity-charts.js";
import { Empty, ErrorNotice, LiveStatus, Loading } from "./feedback.js";
import { ResyncItemCard } from "./resync-item.js";

interface Props {
  refreshKey: number;
  /** Refresh interval while a sync runs. */
  pollMs?: number;
  /** Refresh interval when idle (health still moves: webhooks, requests today). */
  idlePollMs?: number;
}

export function SyncPanel({ refreshKey, pollMs = 3000, idlePollMs = 60_000 }: Props) {
  const api = useApi();
  const [running, setRunning] = useState(false);
  // The banner already says a sync is starting (connected, steps not created yet): poll as if running, so
  // its steps appear here within seconds instead of at the next idle refresh.
  const starting = usePageState().state?.state === "first_sync";
  const interval = running || starting ? pollMs : idlePollMs;
  const progress = useResource(() => api.getProgress(), String(refreshKey), interval);
  const health = useResource(() => api.getHealth(), String(refreshKey), interval);
  const activity = useResource(() => api.getActivity(), String(refreshKey), interval);
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const [busyEntity, setBusyEntity] = useState<string | null>(null);

  useEffect(() => {
    setRunning(progress.data?.running ?? false);
  }, [progress.data]);

  // The pass's one outcome once nothing runs (while it runs, the summary below says so with the ETA).
  const overall = progress.data?.outcome ?? null;
  const finished = overall && overall.kind !== "running" && overall.kind !== "queued" ? overall : null;

  /** A step's button: a fresh pass of it ("resync"), or the stopped pass continued ("retry"). */
  async function act(entity: string, action: "resync" | "retry") {
    setBusyEntity(entity);
    setStatus(null);
    try {
      if (action === "retry") await api.retryStep(entity);
      else await api.resync(entity);
      setStatus({
        message:
          action === "retry"
            ? `${label(entityLabels, entity)}: a sincronização continua de onde parou.`
            : `${label(entityLabels, entity)}: nova sincronização colocada na fila.`,
        tone: "info",
      });
      await progress.reload();
    } catch (err) {
      setStatus({ message: err instanceof Error ? err.message : "Erro inesperado.", tone: "error" });
    } finally {
      setBusyEntity(null);
    }
  }

  return (
    <>
      <section className="zb-card" aria-labelledby="zb-progress-title">
        <h2 id="zb-progress-title">Sincronização inicial</h2>
        {progress.loading ? <Loading /> : null}
        {progress.error ? (
          <ErrorNotice error={progress.error} onRetry={() => void progress.reload()} />
        ) : null}
        {progress.data && !progress.loading ? (
          progress.data.entities.length === 0 ? (
            <Empty>
              {starting
                ? "A primeira sincronização está começando: as etapas aparecem aqui em instantes."
                : "A sincronização inicial ainda não começou. Ela inicia assim que o Bling é conectado."}
            </Empty>
          ) : (
            <>
              {finished ? (
                <div className="zb-outcome-overall" data-testid="progress-outcome" data-kind={finished.kind}>
                  <span className={`zb-badge zb-badge--${outcomeTone[finished.kind] ?? "muted"}`}>
                    {finished.badge}
                  </span>
                  <OutcomeDetails outcome={finished} />
                </div>
              ) : null}
              <p className="zb-hint" aria-live="polite" data-testid="progress-summary">
                {progress.data.running
                  ? `Sincronizando… esta lista se atualiza a cada poucos segundos.${
                      progress.data.etaSeconds != null
                        ? ` Tempo restante total: ${formatDuration(progress.data.etaSeconds)}.`
                        : ""
                    }`
                  : progress.data.initialSyncDoneAt
                    ? `Sincronização inicial concluída em ${formatDateTime(progress.data.initialSyncDoneAt)}.`
                    : finished
                      ? ""
                      : "Nenhuma sincronização em andamento."}
                {progress.data.initialSyncDoneAt && progress.data.lastResyncDoneAt
                  ? ` Última ressincronização concluída em ${formatDateTime(progress.data.lastResyncDoneAt)}.`
                  : ""}
                {progress.data.running && progress.data.initialSyncDoneAt
                  ? ` A sincronização inicial foi concluída em ${formatDateTime(progress.data.initialSyncDoneAt)}.`
                  : ""}
              </p>
              {progress.data.running && progress.data.overall ? (
                <div className="zb-progress-overall" data-testid="progress-overall">
                  <span id="zb-progress-overall">
                    No total:{" "}
                    {formatNumber(Math.min(progress.data.overall.processed, progress.data.overall.total))} de{" "}
                    {plural(progress.data.overall.total, "registro", "registros")}
                  </span>
                  <progress
                    aria-labelledby="zb-progress-overall"
                    max={progress.data.overall.total}
                    value={Math.min(progress.data.overall.processed, progress.data.overall.total)}
                  />
                </div>
              ) : null}
              <ul className="zb-progress-list">
                {progress.data.entities.map((e) => (
                  <ProgressRow
                    key={e.entity}
                    row={e}
                    busy={busyEntity === e.entity}
                    onAction={(action) => void act(e.entity, action)}
                  />
                ))}
              </ul>
            </>
          )
        ) : null}
        <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
      </section>
      <ResyncItemCard />
      {activity.data === null && !activity.loading && !activity.error ? null : (
        <section className="zb-card" aria-labelledby="zb-activity-title">
          <h2 id="zb-activity-title">Últimas 24 horas</h2>
          {activity.loading ? <Loading /> : null}
          {activity.error ? (
            <ErrorNotice error={activity.error} onRetry={() => void activity.reload()} />
          ) : null}
          {activity.data && !activity.loading ? (
            <>
              <h3 className="zb-subtitle">Registros por hora</h3>
              {activity.data.hours.some((x) => x.synced + x.skipped + x.failed > 0) ? (
                <HourlyChart hours={activity.data.hours} />
              ) : (
                <Empty>Nenhum registro sincronizado nas últimas 24 horas.</Empty>
              )}
              <h3 className="zb-subtitle">Requisições ao Bling hoje</h3>
              {activity.data.requests ? (
                <RequestsChart requests={activity.data.requests} />
              ) : (
                <Empty>Sem dados de requisições no momento.</Empty>
              )}
            </>
          ) : null}
        </section>
      )}
      <section className="zb-card" aria-labelledby="zb-health-title">
        <h2 id="zb-health-title">Saúde da integração</h2>
        {health.loading ? <Loading /> : null}
        {health.error ? <ErrorNotice error={health.error} onRetry={() => void health.reload()} /> : null}
        {health.data && !health.loading ? <HealthBody health={health.data} /> : null}
      </section>
    </>
  );
}

/** Badge colour per outcome kind; the words come with the outcome (@zb/contract run-outcome.ts). */
const outcomeTone: Record<string, string> = {
  ok: "ok",
  ok_with_skips: "warn",
  partial: "failed",
  failed: "failed",
  not_run: "muted",
  running: "info",
  queued: "info",
};

/** The outcome's sentence with its "ver quais" links, then why it stopped and what to do. */
function OutcomeDetails({ outcome }: { outcome: RunOutcome }) {
  const navigation = useNavigation();
  return (
    <div className="zb-outcome">
      <p className="zb-outcome-sentence" data-testid="outcome-sentence">
        {outcome.sentence}
        {navigation
          ? outcome.review.map((r, i) => (
              <Fragment key={r.outcome}>
                {i === 0 ? " — " : " · "}
                <button
                  type="button"
                  className="zb-button zb-button--link"
                  data-testid="outcome-review"
                  data-outcome={r.outcome}
                  aria-label={`${r.label}: ${
                    r.outcome === "failed"
                      ? plural(r.count, "falha", "falhas")
                      : plural(r.count, "item ignorado", "itens ignorados")
                  } no Histórico`}
                  onClick={() =>
                    navigation.showLedger({ entity: r.entity ?? "", outcome: r.outcome, since: r.since })
                  }
                >
                  {r.label}
                </button>
              </Fragment>
            ))
          : null}
      </p>
      {outcome.reason ? (
        <p className="zb-outcome-reason" data-testid="outcome-reason">
          {outcome.reason}
        </p>
      ) : null}
      {outcome.nextStep ? (
        <p className="zb-hint" data-testid="outcome-next-step">
          {outcome.nextStep}
        </p>
      ) : null}
    </div>
  );
}

function ProgressRow({
  row,
  busy,
  onAction,
}: {
  row: ProgressEntity;
  busy: boolean;
  onAction: (action: "resync" | "retry") => void;
}) {
  // Paused, not connected or uninstalled: a resync could not run (the page state says why, on top).
  const canSync = usePageState().state?.canSync !== false;
  const name = label(entityLabels, row.entity);
  const outcome = row.outcome;
  const total = row.total ?? null;
  // The API counts synced, failed and skipped apart; the bar shows everything already handled.
  const processed = row.done + row.failed + row.skipped;
  const active = row.status === "running" || row.status === "queued";
  const queued = row.status === "queued";
  let numbers: string;
  if (row.withProducts) {
    numbers = "Os preços vão junto com cada produto (preço base do Bling).";
  } else if (queued) {
    numbers =
      total !== null && total > 0
        ? `Aguardando as etapas anteriores · cerca de ${plural(total, "registro", "registros")}`
        : "Aguardando as etapas anteriores";
  } else if (total === null) {
    numbers = `${formatNumber(processed)} ${processed === 1 ? "processado" : "processados"}`;
  } else if (total === 0 && processed === 0) {
    numbers = "Nada a sincronizar nesta etapa.";
  } else {
    numbers = `${formatNumber(Math.min(processed, total))} de ${total !== null && row.totalEstimated ? "cerca de " : ""}${formatNumber(total)}`;
  }
  return (
    <li
      className="zb-progress-row"
      data-testid="progress-row"
      data-entity={row.entity}
      data-status={row.status}
      data-outcome={outcome.kind}
    >
      <div className="zb-progress-head">
        <strong id={`zb-progress-${row.entity}`}>{name}</strong>
        <span className={`zb-badge zb-badge--${outcomeTone[outcome.kind] ?? "muted"}`}>{outcome.badge}</span>
      </div>
      {/* A queued step has not started: no bar (an empty <progress> would animate as indeterminate). */}
      {!queued && !row.withProducts && total !== 0 ? (
        <progress
          aria-labelledby={`zb-progress-${row.entity}`}
          max={total ?? undefined}
          value={total === null ? undefined : Math.min(processed, total)}
        />
      ) : null}
      <p className="zb-progress-numbers">
        {numbers}
        {/* While it runs, the counts so far; once it ended, the outcome below says them in one sentence. */}
        {active && row.failed > 0 ? ` · ${plural(row.failed, "com falha", "com falha")}` : ""}
        {active && row.skipped > 0 ? ` · ${plural(row.skipped, "ignorado", "ignorados")}` : ""}
        {row.status === "running" && row.etaSeconds != null
          ? ` · tempo restante: ${formatDuration(row.etaSeconds)}`
          : ""}
      </p>
      {!active && !row.withProducts ? <OutcomeDetails outcome={outcome} /> : null}
      {outcome.action ? (
        <button
          type="button"
          className="zb-button zb-button--link"
          onClick={() => onAction(outcome.action === "retry" ? "retry" : "resync")}
          disabled={busy || !canSync}
          aria-label={outcome.action === "retry" ? `Tentar de novo: ${name}` : undefined}
        >
          {outcome.action === "retry" ? "Tentar de novo" : `Sincronizar ${name.toLowerCase()} de novo`}
        </button>
      ) : null}
    </li>
  );
}

const providerLabels: Record<string, string> = { bling: "Bling", zydon: "Zydon" };

function HealthBody({ health }: { health: Health }) {
  const pageState = usePageState().state;
  const share =
    health.requests && health.requests.budget > 0 ? health.requests.today / health.requests.budget : 0;
  return (
    <>
      <dl className="zb-facts" data-testid="health">
        <div>
          <dt>Estado</dt>
          <dd
            data-testid="health-state"
            data-paused={String(health.paused || health.blingPausedUntil !== null)}
          >
            {health.paused ? (
              <span className="zb-badge zb-badge--warn">Pausada</span>
            ) : health.blingPausedUntil ? (
              <span className="zb-badge zb-badge--warn">Aguardando o Bling</span>
            ) : health.attention.length > 0 ? (
              <span className="zb-badge zb-badge--warn" data-testid="health-attention">
                Atenção
              </span>
            ) : pageState && pageState.state !== "active" ? (
              // The page's one state (the banner's): never "Ativa" before connecting or after disconnecting.
              <span className="zb-badge zb-badge--muted">{pageState.title}</span>
            ) : (
              <span className="zb-badge zb-badge--ok">Ativa</span>
            )}
            {health.blingPausedUntil
              ? ` Limite diário de requisições do Bling atingido; retoma em ${formatDateTime(health.blingPausedUntil)}.`
              : ""}
            {health.attention.length > 0 ? (
              <ul className="zb-attention" data-testid="health-attention-reasons">
                {health.attention.map((a) => (
                  <li key={a.setting}>{a.reason ?? "Uma configuração não pôde ser aplicada."}</li>
                ))}
              </ul>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Acesso ao Bling</dt>
          <dd>{health.token.label ?? label(tokenStateLabels, health.token.state)}</dd>
        </div>
        <div>
          <dt>Avisos de mudança recebidos (últimas 24 h)</dt>
          <dd>
            {health.webhooks.length === 0 ? "nenhum recebido" : null}
            {health.webhooks.map((w) => (
              <span
                className="zb-webhook"
                key={w.provider}
                data-testid="health-webhook"
                data-provider={w.provider}
              >
                {label(providerLabels, w.provider)}: {plural(w.last24h, "aviso", "avisos")}
                {w.lastLagSeconds != null ? ` · o último chegou em ${formatLag(w.lastLagSeconds)}` : ""}
                {w.p95LagSeconds != null ? ` · 95% em até ${formatLag(w.p95LagSeconds)}` : ""}
                {w.lastReceivedAt ? ` · último em ${formatDateTime(w.lastReceivedAt)}` : ""}
              </span>
            ))}
          </dd>
        </div>
        <div>
          <dt>Uso do limite diário do Bling</dt>
          <dd>
            {health.requests ? (
              <>
                {plural(health.requests.today, "consulta", "consultas")} de{" "}
                {formatNumber(health.requests.budget)} permitidas hoje
                <meter
                  className="zb-meter"
                  min={0}
                  max={1}
                  low={0.7}
                  high={0.9}
                  optimum={0}
                  value={Math.min(share, 1)}
                  aria-label="Uso do limite diário do Bling"
                />
              </>
            ) : (
              "sem dados"
            )}
          </dd>
        </div>
      </dl>
      {health.entities.length > 0 ? (
        <table className="zb-table zb-table--compact">
          <caption>Último sucesso por tipo</caption>
          <thead>
            <tr>
              <th scope="col">Tipo</th>
              <th scope="col">Último sucesso</th>
            </tr>
          </thead>
          <tbody>
            {health.entities.map((e) => (
              <tr key={e.entity} data-testid="health-entity" data-entity={e.entity}>
                <td data-label="Tipo">{label(entityLabels, e.entity)}</td>
                <td data-label="Último sucesso">
                  {e.lastSuccessAt ? formatDateTime(e.lastSuccessAt) : "ainda não"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <Empty>Nenhuma sincronização concluída ainda.</Empty>
      )}
    </>
  );
}
