import { useApi } from "../api/api-context.js";
import { useResource } from "../hooks/use-resource.js";
import { formatDateTime, formatNumber, label, severityLabels } from "../labels.js";
import { Empty, ErrorNotice, Loading } from "./feedback.js";

const severityOrder = { blocker: 0, warning: 1, info: 2 } as const;

export function ReadinessPanel({ refreshKey }: { refreshKey: number }) {
  const api = useApi();
  const report = useResource(() => api.getReadiness(), String(refreshKey));
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
          onClick={() => void report.reload()}
          disabled={report.loading}
        >
          Atualizar
        </button>
      </div>
      <p className="zb-hint">
        O que conferir no Bling e no Zydon antes e durante a sincronização. Nada aqui é corrigido
        automaticamente.
      </p>
      {report.loading ? <Loading>Verificando o Bling e o Zydon…</Loading> : null}
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
