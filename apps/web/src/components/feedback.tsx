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

export function ErrorNotice({ error, onRetry }: { error: ApiError; onRetry?: (() => void) | undefined }) {
  return (
    <div className="zb-notice zb-notice--error" role="alert">
      <p>{error.message}</p>
      {onRetry ? (
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
