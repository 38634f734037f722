import { type FormEvent, useState } from "react";
import { useApi } from "../api/api-context.js";
import { type LedgerItem, type LedgerQuery, ledgerOutcomes } from "../api/client.js";
import { useResource } from "../hooks/use-resource.js";
import {
  actionLabels,
  entityLabels,
  formatDateTime,
  formatNumber,
  label,
  ledgerEntities,
  outcomeLabels,
  plural,
} from "../labels.js";
import type { LedgerFilter } from "../navigation.js";
import { Empty, ErrorNotice, LiveStatus, Loading } from "./feedback.js";

/** What the Resultado filter offers: what a row shows (a closed failure or skip reads "Resolvido"). */
const resultFilters = [...ledgerOutcomes, "resolved"] as const;
type ResultFilter = (typeof resultFilters)[number];

function resultQuery(r: ResultFilter | ""): Pick<LedgerQuery, "outcome" | "onlyOpen" | "resolved"> {
  if (r === "") return {};
  if (r === "resolved") return { resolved: true };
  // "Falhou" / "Ignorado" rows are the open ones; a closed one shows as "Resolvido".
  return r === "synced" ? { outcome: r } : { outcome: r, onlyOpen: true };
}

/** A price the jump guard held (packages/sync pipelines/price-hold.ts), still waiting for the merchant. */
function isOpenHold(item: LedgerItem): boolean {
  return item.entity === "price" && item.action === "jump" && item.outcome === "skipped" && !item.resolvedAt;
}

interface Props {
  refreshKey: number;
  pageSize?: number;
  /** Filters set by another tab ("ver quais" in Sincronização), read when the panel opens. */
  initialFilter?: LedgerFilter | null | undefined;
}

export function LedgerPanel({ refreshKey, pageSize = 20, initialFilter }: Props) {
  const api = useApi();
  const [entity, setEntity] = useState(initialFilter?.entity ?? "");
  const [outcome, setOutcome] = useState<ResultFilter | "">(initialFilter?.outcome ?? "");
  // One sync run's records: no field of its own, shown (and removable) above the list.
  const [since, setSince] = useState<string | null>(initialFilter?.since ?? null);
  const [draftSearch, setDraftSearch] = useState("");
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const query: LedgerQuery = { entity, ...resultQuery(outcome), search, since, page, pageSize };
  const ledger = useResource(() => api.getLedger(query), `${refreshKey}:${JSON.stringify(query)}`);
  const filtered = Boolean(entity || outcome || search || since);

  function onSearch(e: FormEvent) {
    e.preventDefault();
    const next = draftSearch.trim();
    // "Buscar" again with the same text reads again: the merchant is waiting for a row to appear.
    if (next === search && page === 1) void ledger.reload();
    setSearch(next);
    setPage(1);
  }

  async function act(id: string, run: () => Promise<string>) {
    setBusy(id);
    setStatus(null);
    try {
      setStatus({ message: await run(), tone: "info" });
      await ledger.reload();
    } catch (err) {
      setStatus({ message: err instanceof Error ? err.message : "Erro inesperado.", tone: "error" });
    } finally {
      setBusy(null);
    }
  }

  const retryOne = (item: LedgerItem) =>
    act(item.id, async () => {
      await api.retryLedgerItem(item.id);
      return `Nova tentativa de ${item.entityKey} colocada na fila.`;
    });

  const decideHold = (item: LedgerItem, decision: "apply" | "discard") =>
    act(item.id, async () => {
      await api.decidePriceHold(item.id, decision);
      const to = item.change?.to ?? "o novo preço";
      return decision === "apply"
        ? `Aplicando ${to} em ${item.item ?? item.entityKey}: o histórico mostra quando o Zydon receber.`
        : `Novo preço de ${item.item ?? item.entityKey} descartado: o Zydon fica com o anterior enquanto o Bling mantiver ${to}.`;
    });

  const retryAll = () =>
    act("all", async () => {
      const result = await api.retryFailed();
      const n = result?.enqueued ?? result?.retried;
      if (n === undefined) return "Novas tentativas das falhas colocadas na fila.";
      if (n === 0) return "Nenhuma falha em aberto para tentar novamente.";
      return `${plural(n, "falha colocada", "falhas colocadas")} na fila para nova tentativa.`;
    });

  const exportCsv = () =>
    act("csv", async () => {
      const blob = await api.exportLedgerCsv({ entity, ...resultQuery(outcome), search, since });
      const href = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = href;
      a.download = `historico-${new Date().toISOString().slice(0, 10)}.csv`;
      document.body.append(a);
      a.click();
      a.remove();
      URL.revokeObjectURL(href);
      return "Planilha do histórico baixada (com os filtros escolhidos).";
    });

  const data = ledger.data;
  const pages = data ? Math.max(1, Math.ceil(data.total / data.pageSize)) : 1;

  return (
    <section className="zb-card" aria-labelledby="zb-ledger-title">
      <div className="zb-card-head">
        <h2 id="zb-ledger-title">Histórico</h2>
        <button
          type="button"
          className="zb-button zb-button--secondary"
          onClick={() => void exportCsv()}
          disabled={busy !== null}
          data-testid="ledger-export"
        >
          Baixar planilha (CSV)
        </button>
        <button
          type="button"
          className="zb-button zb-button--secondary"
          onClick={() => void retryAll()}
          disabled={busy !== null}
          data-testid="ledger-retry-failed"
        >
          Tentar novamente todas as falhas
        </button>
      </div>
      <form className="zb-filters" onSubmit={onSearch} aria-label="Filtros do histórico">
        <div className="zb-field">
          <label htmlFor="zb-ledger-entity">Tipo</label>
          <select
            id="zb-ledger-entity"
            value={entity}
            onChange={(e) => {
              setEntity(e.target.value);
              setPage(1);
            }}
          >
            <option value="">Todos</option>
            {ledgerEntities.map((en) => (
              <option key={en} value={en}>
                {label(entityLabels, en)}
              </option>
            ))}
          </select>
        </div>
        <div className="zb-field">
          <label htmlFor="zb-ledger-outcome">Resultado</label>
          <select
            id="zb-ledger-outcome"
            value={outcome}
            onChange={(e) => {
              setOutcome(e.target.value as ResultFilter | "");
              setPage(1);
            }}
          >
            <option value="">Todos</option>
            {resultFilters.map((o) => (
              <option key={o} value={o}>
                {label(outcomeLabels, o)}
              </option>
            ))}
          </select>
        </div>
        <div className="zb-field zb-field--grow">
          <label htmlFor="zb-ledger-search">Buscar</label>
          <input
            id="zb-ledger-search"
            type="search"
            value={draftSearch}
            onChange={(e) => setDraftSearch(e.target.value)}
            placeholder="SKU, número do pedido ou CPF/CNPJ"
          />
        </div>
        <button type="submit" className="zb-button">
          Buscar
        </button>
      </form>

      {since ? (
        <p className="zb-filter-note" data-testid="ledger-since">
          Só o que foi registrado desde {formatDateTime(since)}, quando a sincronização começou.{" "}
          <button
            type="button"
            className="zb-button zb-button--link"
            onClick={() => {
              setSince(null);
              setPage(1);
            }}
          >
            Ver de qualquer data
          </button>
        </p>
      ) : null}
      {ledger.loading ? <Loading /> : null}
      {ledger.error ? <ErrorNotice error={ledger.error} onRetry={() => void ledger.reload()} /> : null}
      {data && !ledger.loading && !ledger.error ? (
        data.items.length === 0 ? (
          <Empty>
            {filtered ? "Nenhum registro encontrado com esses filtros." : "Nada foi sincronizado ainda."}
          </Empty>
        ) : (
          <>
            <table className="zb-table" data-testid="ledger-table">
              <caption className="zb-visually-hidden">Registros de sincronização</caption>
              <thead>
                <tr>
                  <th scope="col">Quando</th>
                  <th scope="col">Tipo</th>
                  <th scope="col">Item</th>
                  <th scope="col">Resultado</th>
                  <th scope="col">Motivo</th>
                  <th scope="col">
                    <span className="zb-visually-hidden">Ações</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((item) => {
                  const resolved = item.outcome !== "synced" && Boolean(item.resolvedAt);
                  const shown = resolved ? "resolved" : item.outcome;
                  return (
                    <tr key={item.id} data-testid="ledger-row" data-id={item.id} data-outcome={shown}>
                      <td data-label="Quando">{formatDateTime(item.updatedAt)}</td>
                      <td data-label="Tipo">
                        {label(entityLabels, item.entity)}
                        <span className="zb-muted"> · {label(actionLabels, item.action)}</span>
                      </td>
                      <td data-label="Item" className="zb-key">
                        {item.item ?? item.entityKey}
                        {item.name ? <span className="zb-item-name"> {item.name}</span> : null}
                      </td>
                      <td data-label="Resultado">
                        <span className={`zb-badge zb-badge--${resolved ? "synced" : item.outcome}`}>
                          {isOpenHold(item) ? "Retido" : label(outcomeLabels, shown)}
                        </span>
                        {resolved ? (
                          <span className="zb-muted">
                            {" "}
                            · antes {label(outcomeLabels, item.outcome).toLowerCase()}, sincronizado em{" "}
                            {formatDateTime(item.resolvedAt)}
                          </span>
                        ) : null}
                        {item.attempts > 1 ? (
                          <span className="zb-muted">
                            {" "}
                            · {formatNumber(item.attempts)}{" "}
                            {item.outcome === "skipped" ? "vezes" : "tentativas"}
                          </span>
                        ) : null}
                      </td>
                      <td data-label="Motivo">
                        {item.change ? (
                          <span className="zb-change" data-testid="ledger-change">
                            {item.change.from === null
                              ? `Agora ${item.change.to}`
                              : `De ${item.change.from} para ${item.change.to}`}
                            {item.reason ? " · " : ""}
                          </span>
                        ) : null}
                        {item.reason ?? (item.change ? "" : "—")}
                      </td>
                      <td data-label="Ações">
                        {isOpenHold(item) ? (
                          <span className="zb-actions" data-testid="price-hold-actions">
                            <button
                              type="button"
                              className="zb-button zb-button--small"
                              onClick={() => void decideHold(item, "apply")}
                              disabled={busy !== null}
                              aria-label={`Aplicar o novo preço: ${item.item ?? item.entityKey}`}
                            >
                              Aplicar
                            </button>
                            <button
                              type="button"
                              className="zb-button zb-button--small zb-button--secondary"
                              onClick={() => void decideHold(item, "discard")}
                              disabled={busy !== null}
                              aria-label={`Descartar o novo preço: ${item.item ?? item.entityKey}`}
                            >
                              Descartar
                            </button>
                          </span>
                        ) : null}
                        {item.retryable && item.outcome === "failed" && !item.resolvedAt ? (
                          <button
                            type="button"
                            className="zb-button zb-button--small"
                            onClick={() => void retryOne(item)}
                            disabled={busy !== null}
                            aria-label={`Tentar novamente: ${item.entityKey}`}
                          >
                            Tentar novamente
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <nav className="zb-pagination" aria-label="Páginas do histórico">
              <button
                type="button"
                className="zb-button zb-button--secondary"
                onClick={() => setPage((p) => Math.max(1, p - 1))}
                disabled={page <= 1}
              >
                Anterior
              </button>
              <span aria-live="polite">
                Página {data.page} de {pages} · {plural(data.total, "registro", "registros")}
              </span>
              <button
                type="button"
                className="zb-button zb-button--secondary"
                onClick={() => setPage((p) => p + 1)}
                disabled={page >= pages}
              >
                Próxima
              </button>
            </nav>
          </>
        )
      ) : null}
      <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
    </section>
  );
}
