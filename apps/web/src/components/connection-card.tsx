import { type RefObject, useEffect, useRef, useState } from "react";
import { useApi } from "../api/api-context.js";
import type { Connection } from "../api/client.js";
import { useResource } from "../hooks/use-resource.js";
import { label, tenantStateLabels, tokenStateLabels } from "../labels.js";
import { usePageState } from "../page-state.js";
import { ErrorNotice, LiveStatus, Loading } from "./feedback.js";

/** One named window for Bling's login, so a second click reuses it instead of opening another. */
export const blingPopupName = "zb-bling-connect";

interface Props {
  /** Connection changed (connected, disconnected), for a host that shows more than this card. */
  onChanged?: (() => void) | undefined;
  refreshKey: number;
}

export function ConnectionCard({ onChanged, refreshKey }: Props) {
  const api = useApi();
  const connection = useResource(() => api.getConnection(), String(refreshKey));
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [status, setStatus] = useState<{ message: string; tone: "info" | "error" } | null>(null);
  const [fallbackUrl, setFallbackUrl] = useState<string | null>(null);
  const popupTimer = useRef<ReturnType<typeof setInterval> | null>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const pageState = usePageState();
  const reloadPageState = pageState.reload;
  // The Bling state last shown: a change to "connected" after a click is the moment to say the sync started.
  const shownState = useRef<string | null>(null);
  const connectClicked = useRef(false);
  const blingState = connection.data?.bling.state ?? null;
  useEffect(() => {
    if (!blingState) return;
    const before = shownState.current;
    shownState.current = blingState;
    if (blingState === "connected" && before !== null && before !== "connected" && connectClicked.current) {
      connectClicked.current = false;
      setStatus({ message: "A primeira sincronização começou — acompanhe em Sincronização.", tone: "info" });
      void reloadPageState();
    }
  }, [blingState, reloadPageState]);

  useEffect(
    () => () => {
      if (popupTimer.current) clearInterval(popupTimer.current);
    },
    [],
  );
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);
  // With the link fallback there is no window handle to watch: coming back to this tab reloads the state.
  useEffect(() => {
    if (!fallbackUrl) return;
    const onFocus = () => {
      void connection.reload();
      onChanged?.();
    };
    window.addEventListener("focus", onFocus);
    return () => window.removeEventListener("focus", onFocus);
  }, [fallbackUrl, connection.reload, onChanged]);

  function stopWatching() {
    if (popupTimer.current) clearInterval(popupTimer.current);
    popupTimer.current = null;
  }

  async function connect() {
    setStatus(null);
    setFallbackUrl(null);
    // Open synchronously inside the click, or the browser blocks it; the URL needs an async session token.
    const popup = window.open("", blingPopupName, "popup,width=640,height=760");
    connectClicked.current = true;
    setBusy(true);
    try {
      const url = await api.blingConnectUrl();
      if (!popup) {
        setFallbackUrl(url);
        setStatus({ message: "O navegador bloqueou a janela do Bling. Use o link abaixo.", tone: "error" });
        return;
      }
      popup.location.href = url;
      setStatus({
        message: "Conclua o login na janela do Bling. Esta página se atualiza sozinha.",
        tone: "info",
      });
      stopWatching();
      popupTimer.current = setInterval(() => {
        if (!popup.closed) return;
        stopWatching();
        setStatus(null);
        void connection.reload();
        void reloadPageState();
        onChanged?.();
      }, 1000);
    } catch (err) {
      popup?.close();
      setStatus({ message: err instanceof Error ? err.message : "Erro inesperado.", tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  async function disconnect() {
    setBusy(true);
    setStatus(null);
    try {
      const result = await api.disconnectBling();
      setConfirming(false);
      setStatus({
        message: result?.message ?? "Bling desconectado. A sincronização está parada.",
        tone: "info",
      });
      await connection.reload();
      await reloadPageState();
      onChanged?.();
    } catch (err) {
      setStatus({ message: err instanceof Error ? err.message : "Erro inesperado.", tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="zb-card" aria-labelledby="zb-connection-title">
      <h2 id="zb-connection-title">Conexão com o Bling</h2>
      {connection.loading ? <Loading /> : null}
      {connection.error ? (
        <ErrorNotice error={connection.error} onRetry={() => void connection.reload()} />
      ) : null}
      {connection.data && !connection.loading ? (
        <ConnectionBody
          data={connection.data}
          busy={busy}
          confirming={confirming}
          onConnect={() => void connect()}
          onAskDisconnect={() => setConfirming(true)}
          onCancelDisconnect={() => setConfirming(false)}
          onDisconnect={() => void disconnect()}
          cancelRef={cancelRef}
          stateTitle={pageState.state?.title ?? null}
        />
      ) : null}
      {fallbackUrl ? (
        <p>
          <a className="zb-button" href={fallbackUrl} target={blingPopupName}>
            Abrir o login do Bling
          </a>
        </p>
      ) : null}
      <LiveStatus message={status?.message ?? null} tone={status?.tone ?? "info"} />
    </section>
  );
}

function ConnectionBody(props: {
  data: Connection;
  busy: boolean;
  confirming: boolean;
  onConnect: () => void;
  onAskDisconnect: () => void;
  onCancelDisconnect: () => void;
  onDisconnect: () => void;
  cancelRef: RefObject<HTMLButtonElement | null>;
  /** The page's one state (banner), when known: the same word here. */
  stateTitle: string | null;
}) {
  const { data, busy } = props;
  const state = data.bling.state;
  return (
    <div data-testid="connection-state" data-state={state}>
      {state === "not_connected" ? (
        <>
          <p className="zb-state">
            <span className="zb-badge zb-badge--muted">Não conectado</span>
          </p>
          <p>Conecte sua conta do Bling para começar a sincronizar produtos, estoque, preços e pedidos.</p>
          <button type="button" className="zb-button" onClick={props.onConnect} disabled={busy}>
            Conectar ao Bling
          </button>
        </>
      ) : null}
      {state === "connected" ? (
        <p className="zb-state">
          <span className="zb-badge zb-badge--ok">Conectado</span>{" "}
          {data.bling.companyName ? (
            <>
              como <strong>{data.bling.companyName}</strong>
            </>
          ) : null}
        </p>
      ) : null}
      {state === "needs_reauth" ? (
        <>
          <p className="zb-state">
            <span className="zb-badge zb-badge--warn">Reconexão necessária</span>{" "}
            {data.bling.companyName ? <strong>{data.bling.companyName}</strong> : null}
          </p>
          <p>
            O Bling não aceitou mais o acesso desta integração. A sincronização está parada até você
            reconectar.
          </p>
          <button type="button" className="zb-button" onClick={props.onConnect} disabled={busy}>
            Reconectar ao Bling
          </button>
        </>
      ) : null}
      {state !== "not_connected" ? (
        <>
          <dl className="zb-facts">
            <div>
              <dt>Integração</dt>
              <dd>
                {props.stateTitle ??
                  (data.tenant.paused ? "Pausada" : label(tenantStateLabels, data.tenant.state))}
              </dd>
            </div>
            <div>
              <dt>Acesso ao Bling</dt>
              <dd>{data.token.label ?? label(tokenStateLabels, data.token.state)}</dd>
            </div>
          </dl>
          {props.confirming ? (
            <div className="zb-confirm">
              <p id="zb-disconnect-q">
                Desconectar o Bling? O acesso é revogado no Bling e a sincronização para. Vínculos e
                configurações são mantidos para quando você reconectar.
              </p>
              <div className="zb-actions">
                <button
                  type="button"
                  className="zb-button zb-button--danger"
                  onClick={props.onDisconnect}
                  disabled={busy}
                >
                  Confirmar desconexão
                </button>
                <button
                  type="button"
                  className="zb-button zb-button--secondary"
                  onClick={props.onCancelDisconnect}
                  ref={props.cancelRef}
                  // Focus lands here first: the question is read with it.
                  aria-describedby="zb-disconnect-q"
                  disabled={busy}
                >
                  Cancelar
                </button>
              </div>
            </div>
          ) : (
            <button
              type="button"
              className="zb-button zb-button--secondary"
              onClick={props.onAskDisconnect}
              disabled={busy}
            >
              Desconectar
            </button>
          )}
        </>
      ) : null}
    </div>
  );
}
