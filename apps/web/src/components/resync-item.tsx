import { type FormEvent, useEffect, useRef, useState } from "react";
import { useApi } from "../api/api-context.js";
import type { LedgerItem } from "../api/client.js";
import { toApiError } from "../hooks/use-resource.js";
import { label, outcomeLabels } from "../labels.js";
import { LiveStatus } from "./feedback.js";

type Kind = "sku" | "order";

/** How long the card waits for the item's answer before pointing at Histórico (the job may be queued). */
const WAIT_MS = 45_000;

/**
 * "Sincronizar um item" (issue 18 #4): one SKU (the product with its price and stock) or one Zydon order
 * (exported, or its status read again). The answer is the item's "resync" row in the ledger
 * (packages/sync pipelines/resync-item.ts), shown here as soon as it is written.
 */
export function ResyncItemCard({ pollMs = 1_500 }: { pollMs?: number }) {
  const api = useApi();
  const [kind, setKind] = useState<Kind>("sku");
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState<{ kind: Kind; value: string; since: string; until: number } | null>(
    null,
  );
  const [result, setResult] = useState<LedgerItem | null>(null);
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    if (!waiting) return;
    let stopped = false;
    const check = async () => {
      try {
        const page = await api.getLedger({
          entity: waiting.kind === "sku" ? "product" : "order",
          search: waiting.value,
          pageSize: 20,
        });
        const row = page.items.find(
          (i) =>
            i.action === "resync" &&
            i.entityKey === waiting.value &&
            new Date(i.updatedAt).getTime() >= new Date(waiting.since).getTime(),
        );
        if (stopped) return;
        if (row) {
          setResult(row);
          setWaiting(null);
          setStatus({ message: row.reason ?? label(outcomeLabels, row.outcome), tone: "info" });
          return;
        }
      } catch {
        // A failed read is retried at the next tick; the deadline still applies.
      }
      if (stopped) return;
      if (Date.now() > waiting.until) {
        setWaiting(null);
        setStatus({
          message: "Ainda na fila: o resultado aparece no Histórico assim que a sincronização terminar.",
          tone: "info",
        });
        return;
      }
      timer.current = setTimeout(() => void check(), pollMs);
    };
    timer.current = setTimeout(() => void check(), pollMs);
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, [waiting, api, pollMs]);

  async function onSubmit(e: FormEvent) {
    e.preventDefault();
    const v = value.trim();
    setResult(null);
    if (!v) {
      setError(kind === "sku" ? "Informe o SKU do produto." : "Informe o número do pedido no Zydon.");
      return;
    }
    setError(null);
    try {
      const r = await api.resyncItem(kind, v);
      setStatus({
        message: `Sincronizando ${kind === "sku" ? `o SKU ${v}` : `o pedido ${v}`}…`,
        tone: "info",
      });
      setWaiting({ kind, value: v, since: r.requestedAt, until: Date.now() + WAIT_MS });
    } catch (err) {
      setStatus({ message: toApiError(err).message, tone: "error" });
    }
  }

  return (
    <section className="zb-card" aria-labelledby="zb-resync-item-title">
      <h2 id="zb-resync-item-title">Sincronizar um item</h2>
      <p className="zb-muted">
        Um produto pelo SKU (com preço e estoque) ou um pedido do Zydon pelo número: o pedido ainda não
        enviado vai para o Bling; um pedido já enviado tem o status relido do Bling.
      </p>
      <form
        className="zb-filters"
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        aria-label="Sincronizar um item"
      >
        <div className="zb-field">
          <label htmlFor="zb-resync-kind">Item</label>
          <select id="zb-resync-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
            <option value="sku">Produto (SKU)</option>
            <option value="order">Pedido do Zydon</option>
          </select>
        </div>
        <div className="zb-field zb-field--grow">
          <label htmlFor="zb-resync-value">{kind === "sku" ? "SKU" : "Número do pedido"}</label>
          <input
            id="zb-resync-value"
            type="text"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "zb-resync-value-error" : undefined}
          />
          {error ? (
            <p id="zb-resync-value-error" className="zb-field-error">
              {error}
            </p>
          ) : null}
        </div>
        <button
          type="submit"
          className="zb-button"
          disabled={waiting !== null}
          data-testid="resync-item-submit"
        >
          Sincronizar agora
        </button>
      </form>
      {result ? (
        <p className="zb-resync-result" data-testid="resync-item-result" data-outcome={result.outcome}>
          <span className={`zb-badge zb-badge--${result.outcome}`}>
            {label(outcomeLabels, result.outcome)}
          </span>{" "}
          {result.reason}
        </p>
      ) : null}
      <LiveStatus message={result ? null : (status?.message ?? null)} tone={status?.tone ?? "info"} />
    </section>
  );
}
