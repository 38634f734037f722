import { useEffect, useRef, useState } from "react";
import { useApi } from "../api/api-context.js";
import { useResource } from "../hooks/use-resource.js";
import { formatDateTime, formatNumber, label, severityLabels } from "../labels.js";
import { Empty, ErrorNotice, LiveStatus, Loading } from "./feedback.js";

const severityOrder = { blocker: 0, warning: 1, info: 2 } as const;

interface Props {
  refreshKey: number;
  /** Re-read the stored report this often (a settings save recomputes it in the background). */
  pollMs?: number;
  /** While "Atualizar" waits for the new report. */
  checkPollMs?: number;
  /** Give up waiting for the new report after this long. */
  checkTimeoutMs?: number;
}

export function ReadinessPanel({
  refreshKey,
  pollMs = 10_000,
  checkPollMs = 1500,
  checkTimeoutMs = 60_000,
}: Props) {
  const api = useApi();
  const report = useResource(() => api.getReadiness(), String(refreshKey), pollMs);
  const [checking, setChecking] = useState(false);
  const [notice, setNotice] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const alive = useRef(true);
  useEffect(
    () => () => {
      alive.current = false;
    },
    [],
  );

  // "Atualizar": the sync engine re-reads Bling and Zydon; wait for a report newer than the one shown.
  async function recheck() {
    const before = report.data?.generatedAt ?? null;
    setChecking(true);
    setNotice(null);
    try {
      await api.refreshReadiness();
      const deadline = Date.now() + checkTimeoutMs;
      for (;;) {
        await new Promise((r) => setTimeout(r, checkPollMs));
        if (!alive.current) return;
        const fresh = await api.getReadiness();
        if (fresh?.generatedAt && fresh.generatedAt !== before) {
          await report.reload();
          setNotice({ message: "Prontidão verificada agora.", tone: "info" });
          return;
        }
        if (Date.now() > deadline) {
          setNotice({
            message: "A verificação está demorando; o resultado aparece aqui assim que terminar.",
            tone: "info",
          });
          return;
        }
      }
    } catch (err) {
      setNotice({ message: err instanceof Error ? err.message : "Erro inesperado.", tone: "error" });
    } finally {
      if (alive.current) setChecking(false);
    }
  }

  const problems = [...(report.data?.problems ?? [])].sort(
    (a, b) => severityOrder[a.severity] - severityOrder[b.severity],
  );

  return (
    <section className="zb-card" aria-labelledby="zb-readiness-title">
      <div className="zb-card-head">
        <h2 id="zb-readiness-title">Prontidão</h2>
        <button
          type="button"
          className="zb-button zb-button--secondary"
          onClick={() => void recheck()}
          disabled={report.loading || checking}
          data-testid="readiness-refresh"
        >
          {checking ? "Verificando…" : "Atualizar"}
        </button>
      </div>
      <p className="zb-hint">
        O que conferir no Bling e no Zydon antes e durante a sincronização. Nada aqui é corrigido
        automaticamente.
      </p>
      {report.loading || checking ? <Loading>Verificando o Bling e o Zydon…</Loading> : null}
      <LiveStatus message={notice?.message ?? null} tone={notice?.tone ?? "info"} />
      {report.error ? <ErrorNotice error={report.error} onRetry={() => void report.reload()} /> : null}
      {report.data === null && !report.loading && !report.error ? (
        <Empty>
          O relatório de prontidão ainda não foi gerado. Ele aparece logo após a conexão com o Bling.
        </Empty>
      ) : null}
      {report.data && !report.loading ? (
        <>
          {report.data.generatedAt ? (
            <p className="zb-hint">Verificado em {formatDateTime(report.data.generatedAt)}.</p>
          ) : null}
          {report.data.sampled ? (
            <p className="zb-hint">
              Catálogo grande: a verificação leu só as primeiras páginas para poupar o limite diário do Bling.
            </p>
          ) : null}
          {problems.length === 0 ? (
            <Empty>Nenhum problema encontrado. Tudo pronto para sincronizar.</Empty>
          ) : (
            <ul className="zb-problems" data-testid="readiness-problems">
              {problems.map((p) => (
                <li
                  key={p.code}
                  className={`zb-problem zb-problem--${p.severity}`}
                  data-testid="readiness-problem"
                  data-code={p.code}
                >
                  <p className="zb-problem-title">
                    <span className={`zb-badge zb-badge--${p.severity}`}>
                      {label(severityLabels, p.severity)}
                    </span>{" "}
                    <strong>{p.title}</strong> <span className="zb-count">({formatNumber(p.count)})</span>
                  </p>
                  {p.examples.length > 0 ? (
                    <p className="zb-examples">
                      <span className="zb-muted">Exemplos: </span>
                      {p.examples.join(", ")}
                      {p.count > p.examples.length ? ", …" : ""}
                    </p>
                  ) : null}
                  <p className="zb-action">
                    <span className="zb-muted">O que fazer: </span>
                    {p.action}
                  </p>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}
