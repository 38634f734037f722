import type { ReactNode } from "react";
import type { ApiError } from "../api/client.js";

export function Loading({ children = "Carregando…" }: { children?: ReactNode }) {
  return (
    <p className="zb-loading" role="status">
      <span className="zb-spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

/**
 * A refused or expired session, or an app uninstalled from the organization: trying again cannot help, only
 * opening (or installing) the app again from the App Center.
 */
export function isDeadSession(error: ApiError): boolean {
  return error.status === 401 || error.reopenUrl !== null || error.code === "tenant_uninstalled";
}

export function ErrorNotice({ error, onRetry }: { error: ApiError; onRetry?: (() => void) | undefined }) {
  const dead = isDeadSession(error);
  return (
    <div className="zb-notice zb-notice--error" role="alert" data-testid="error-notice">
      <p>{error.message}</p>
      {dead ? (
        <p data-testid="reopen-hint">
          Abra o app de novo pelo App Center da Zydon (Integrações → App Center → Bling)
          {error.reopenUrl ? (
            <>
              :{" "}
              <a href={error.reopenUrl} target="_top" rel="noopener" data-testid="reopen-link">
                abrir o painel da Zydon
              </a>
            </>
          ) : null}
          .
        </p>
      ) : null}
      {onRetry && !dead ? (
        <button type="button" className="zb-button zb-button--secondary" onClick={onRetry}>
          Tentar de novo
        </button>
      ) : null}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="zb-empty">{children}</p>;
}

/** Polite live region for results of actions ("Configurações salvas."). */
export function LiveStatus({ message, tone = "info" }: { message: string | null; tone?: "info" | "error" }) {
  return (
    <p
      className={message ? `zb-live zb-live--${tone}` : "zb-live"}
      role={tone === "error" ? "alert" : "status"}
      aria-live={tone === "error" ? "assertive" : "polite"}
    >
      {message ?? ""}
    </p>
  );
}
