import { useEffect, useState } from "react";
import { ApiProvider } from "./api/api-context.js";
import { ApiClient, type ClientSession } from "./api/client.js";
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
) & {
  /** Where the integration API lives; defaults to the origin this bundle was loaded from. */
  apiBaseUrl?: string | undefined;
  initialTab?: TabId | undefined;
};

function sessionOf(p: ConfigsProps): ClientSession {
  return p.launchToken !== undefined
    ? { launchToken: p.launchToken }
    : { organizationId: p.organizationId, accessToken: p.accessToken };
}

/**
 * The App Center's configuration screen (module federation remote `configs`, module `./Configs`), also used
 * by the standalone page. Exchanges the host session for an app session before showing anything.
 */
export function Configs(props: ConfigsProps) {
  const { organizationId, accessToken, launchToken, apiBaseUrl, initialTab } = props;
  const [client] = useState(
    () => new ApiClient({ baseUrl: apiBaseUrl ?? defaultApiBaseUrl(), session: sessionOf(props) }),
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
      launchToken !== undefined
        ? { launchToken }
        : { organizationId: organizationId ?? "", accessToken: accessToken ?? "" },
    );
    setState({ ready: false, error: null });
    client.token().then(
      () => {
        if (cancelled) return;
        setState({ ready: true, error: null });
        setHostKey((k) => k + 1);
      },
      (err: unknown) => {
        if (!cancelled) setState({ ready: false, error: toApiError(err) });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [client, organizationId, accessToken, launchToken, attempt]);

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
