import { useEffect, useRef, useState } from "react";
import { ApiProvider } from "./api/api-context.js";
import { ApiClient, type ClientSession, type ResumedSession } from "./api/client.js";
import { App, type TabId } from "./app.js";
import { ErrorNotice, Loading } from "./components/feedback.js";
import { toApiError } from "./hooks/use-resource.js";
import { defaultApiBaseUrl } from "./runtime.js";
import "./styles.css";

export type ConfigsProps = (
  | {
      /** The Zydon admin session the App Center host hands the plugin. */
      organizationId: string;
      accessToken: string;
      launchToken?: undefined;
    }
  | {
      /** The standalone page opened by the API's install callback (`#launch=`). */
      launchToken: string;
      organizationId?: undefined;
      accessToken?: undefined;
    }
  | {
      /** The standalone page after F5: the page session it kept (session-store.ts). */
      resume: ResumedSession;
      launchToken?: undefined;
      organizationId?: undefined;
      accessToken?: undefined;
    }
) & {
  /** Called with the page session once it is traded (the standalone page keeps it for F5). */
  onSession?: ((s: ResumedSession) => void) | undefined;
  /** The page session was refused or expired (the standalone page forgets it). */
  onSessionLost?: (() => void) | undefined;
  /** Where the integration API lives; defaults to the origin this bundle was loaded from. */
  apiBaseUrl?: string | undefined;
  initialTab?: TabId | undefined;
};

function sessionOf(p: ConfigsProps): ClientSession {
  if ("resume" in p && p.resume) return p.resume;
  return p.launchToken !== undefined
    ? { launchToken: p.launchToken }
    : { organizationId: p.organizationId ?? "", accessToken: p.accessToken ?? "" };
}

/**
 * The App Center's configuration screen (module federation remote `configs`, module `./Configs`), also used
 * by the standalone page. Exchanges the host session for an app session before showing anything.
 */
export function Configs(props: ConfigsProps) {
  const { organizationId, accessToken, launchToken, apiBaseUrl, initialTab, onSession, onSessionLost } =
    props;
  const resume = "resume" in props ? props.resume : undefined;
  const keep = useRef(onSession);
  keep.current = onSession;
  const [client] = useState(
    () =>
      new ApiClient({
        baseUrl: apiBaseUrl ?? defaultApiBaseUrl(),
        session: sessionOf(props),
        // Desconectar / the purge answered with this tab's replacement session: F5 must resume that one.
        onSessionReissued: (s) =>
          keep.current?.({ pageToken: s.token, expiresAt: s.expiresAt, tenantId: s.tenantId }),
      }),
  );
  const [hostKey, setHostKey] = useState(0);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<{ ready: boolean; error: ReturnType<typeof toApiError> | null }>({
    ready: false,
    error: null,
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` re-runs the exchange on "Tentar de novo"
  useEffect(() => {
    let cancelled = false;
    client.updateHostSession(
      resume ??
        (launchToken !== undefined
          ? { launchToken }
          : { organizationId: organizationId ?? "", accessToken: accessToken ?? "" }),
    );
    setState({ ready: false, error: null });
    client.token().then(
      () => {
        if (cancelled) return;
        const issued = client.pageSession();
        if (issued)
          onSession?.({ pageToken: issued.token, expiresAt: issued.expiresAt, tenantId: issued.tenantId });
        setState({ ready: true, error: null });
        setHostKey((k) => k + 1);
      },
      (err: unknown) => {
        if (cancelled) return;
        const e = toApiError(err);
        if (e.status === 401) onSessionLost?.();
        setState({ ready: false, error: e });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, organizationId, accessToken, launchToken, resume, attempt]);

  return (
    <div className="zb-app" lang="pt-BR">
      {state.error ? (
        <div className="zb-page">
          <ErrorNotice error={state.error} onRetry={() => setAttempt((a) => a + 1)} />
        </div>
      ) : null}
      {!state.ready && !state.error ? (
        <div className="zb-page">
          <Loading>Abrindo a integração…</Loading>
        </div>
      ) : null}
      {state.ready ? (
        <ApiProvider client={client}>
          <App hostRefreshKey={hostKey} {...(initialTab ? { initialTab } : {})} />
        </ApiProvider>
      ) : null}
    </div>
  );
}
