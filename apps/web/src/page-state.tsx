import { createContext, type ReactNode, useContext, useState } from "react";
import { useApi } from "./api/api-context.js";
import type { AttentionItem, PageStateResponse } from "./api/client.js";
import { LiveStatus } from "./components/feedback.js";
import { toApiError, useResource } from "./hooks/use-resource.js";

interface PageStateValue {
  /** Null until the first answer (and when the API cannot say): actions stay as they are. */
  state: PageStateResponse | null;
  reload: () => Promise<void>;
}

const PageStateContext = createContext<PageStateValue>({ state: null, reload: async () => {} });

/** States that move on their own (first sync, catch-up): polled faster. */
const moving = new Set(["first_sync", "catching_up"]);

/**
 * The integration's one state (`GET /api/settings/state`, decided by @zb/contract's computePageState), shared
 * by the banner on top of every tab and by every button that cannot act in some states.
 */
export function PageStateProvider({ refreshKey, children }: { refreshKey: number; children: ReactNode }) {
  const api = useApi();
  const [fast, setFast] = useState(false);
  const r = useResource(
    async () => {
      const s = await api.getState();
      setFast(moving.has(s.state));
      return s;
    },
    String(refreshKey),
    fast ? 3_000 : 15_000,
  );
  return (
    <PageStateContext.Provider value={{ state: r.data, reload: r.reload }}>
      {children}
    </PageStateContext.Provider>
  );
}

export function usePageState(): PageStateValue {
  return useContext(PageStateContext);
}

const tone: Record<string, "ok" | "warn" | "muted" | "error"> = {
  active: "ok",
  first_sync: "ok",
  catching_up: "ok",
  paused: "warn",
  attention: "warn",
  reconnect: "error",
  not_connected: "muted",
  uninstalled: "muted",
};

/** The setting an attention item is about, in the words of Configurações. */
const settingLabels: Record<string, string> = {
  "stock.depositIds": "Depósitos",
  "price.blingStoreId": "Loja do Bling",
  "price.zydonPriceTableId": "Tabela de preço",
  "stock.zeroGuard": "Estoque retido",
  "price.changeGuard": "Preços retidos",
};

/** At the top of every tab: what the integration is doing, what needs the merchant, "Aplicar mesmo assim". */
export function StateBanner() {
  const { state, reload } = usePageState();
  // Here, not in the row: the row goes away once its hold is released, the sentence saying so stays.
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  if (!state) return null;
  const t = tone[state.state] ?? "muted";
  return (
    <section
      className={`zb-state-banner zb-state-banner--${t}`}
      data-testid="state-banner"
      data-state={state.state}
      aria-labelledby="zb-state-title"
    >
      <p className="zb-state-banner-head">
        <strong id="zb-state-title">{state.title}</strong> <span>{state.detail}</span>
      </p>
      {state.attention.length > 0 ? (
        <ul className="zb-attention-list">
          {state.attention.map((a) => (
            <AttentionRow key={a.setting} item={a} onChanged={reload} onStatus={setStatus} />
          ))}
        </ul>
      ) : null}
      <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
    </section>
  );
}

function AttentionRow({
  item,
  onChanged,
  onStatus: setStatus,
}: {
  item: AttentionItem;
  onChanged: () => Promise<void>;
  onStatus: (s: { message: string; tone: "info" | "error" }) => void;
}) {
  const api = useApi();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const guard = item.guard ?? null;

  async function release() {
    if (!guard) return;
    setBusy(true);
    try {
      const r = await api.releaseGuard(guard);
      setStatus({ message: r.message, tone: "info" });
      setConfirming(false);
      await onChanged();
    } catch (err) {
      setStatus({ message: toApiError(err).message, tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  return (
    <li data-testid="attention-item" data-setting={item.setting}>
      <p>
        <strong>{settingLabels[item.setting] ?? "Configuração"}:</strong> {item.reason ?? ""}
      </p>
      {guard && !confirming ? (
        <button
          type="button"
          className="zb-button zb-button--secondary"
          onClick={() => setConfirming(true)}
          data-testid={`release-${guard}`}
        >
          Aplicar mesmo assim
        </button>
      ) : null}
      {guard && confirming ? (
        <div className="zb-confirm">
          <p id={`zb-release-${guard}-q`}>
            {guard === "stock"
              ? "Enviar ao Zydon o estoque calculado, inclusive os zeros? Confira antes os depósitos em Configurações."
              : "Enviar ao Zydon os preços calculados, inclusive as mudanças grandes? Confira antes a loja em Configurações."}
          </p>
          <div className="zb-actions">
            <button
              type="button"
              className="zb-button zb-button--danger"
              onClick={() => void release()}
              disabled={busy}
              data-testid={`release-${guard}-confirm`}
            >
              Confirmar e aplicar
            </button>
            <button
              type="button"
              className="zb-button zb-button--secondary"
              onClick={() => setConfirming(false)}
              aria-describedby={`zb-release-${guard}-q`}
              disabled={busy}
            >
              Cancelar
            </button>
          </div>
        </div>
      ) : null}
    </li>
  );
}
