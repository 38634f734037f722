import { type KeyboardEvent, useMemo, useRef, useState } from "react";
import { AlertsCard } from "./components/alerts-card.js";
import { ConnectionCard } from "./components/connection-card.js";
import { DeleteData } from "./components/delete-data.js";
import { LedgerPanel } from "./components/ledger-panel.js";
import { ReadinessPanel } from "./components/readiness-panel.js";
import { SettingsPanel } from "./components/settings-form.js";
import { SyncPanel } from "./components/sync-panel.js";
import { type LedgerFilter, NavigationProvider } from "./navigation.js";
import { PageStateProvider, StateBanner } from "./page-state.js";

export const tabs = [
  { id: "connection", label: "Conexão" },
  { id: "readiness", label: "Prontidão" },
  { id: "sync", label: "Sincronização" },
  { id: "ledger", label: "Histórico" },
  { id: "settings", label: "Configurações" },
] as const;
export type TabId = (typeof tabs)[number]["id"];

export interface AppProps {
  initialTab?: TabId;
  /** Bumped by the host (new session) to reload everything. */
  hostRefreshKey?: number;
}

/** The settings page: one tab per concern, only the visible tab loads and polls. */
export function App({ initialTab = "connection", hostRefreshKey = 0 }: AppProps) {
  const [tab, setTabState] = useState<TabId>(initialTab);
  // Histórico's filters when another tab opened it ("ver quais"); a tab the merchant picks opens it unfiltered.
  const [ledgerFilter, setLedgerFilter] = useState<LedgerFilter | null>(null);
  const tabRefs = useRef<Partial<Record<TabId, HTMLButtonElement | null>>>({});
  const setTab = (id: TabId) => {
    setLedgerFilter(null);
    setTabState(id);
  };
  const navigation = useMemo(
    () => ({
      showLedger(filter: LedgerFilter) {
        setLedgerFilter(filter);
        setTabState("ledger");
        tabRefs.current.ledger?.focus();
      },
    }),
    [],
  );
  // Only the visible tab is mounted, so a tab that changes something reloads itself; the host's new session
  // reloads everything.
  const refreshKey = hostRefreshKey;

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const index = tabs.findIndex((t) => t.id === tab);
    let next = index;
    if (e.key === "ArrowRight") next = (index + 1) % tabs.length;
    else if (e.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = tabs.length - 1;
    else return;
    e.preventDefault();
    const id = (tabs[next] ?? tabs[0]).id;
    setTab(id);
    tabRefs.current[id]?.focus();
  }

  return (
    <PageStateProvider refreshKey={refreshKey}>
      <NavigationProvider value={navigation}>
        <div className="zb-page">
          <header className="zb-header">
            <h1>Integração Bling</h1>
            <p className="zb-hint">Produtos, estoque, preços, clientes e pedidos entre o Zydon e o Bling.</p>
          </header>
          <div
            className="zb-tabs"
            role="tablist"
            aria-label="Seções da integração"
            onKeyDown={onKeyDown}
            tabIndex={-1}
          >
            {tabs.map((t) => (
              <button
                key={t.id}
                ref={(el) => {
                  tabRefs.current[t.id] = el;
                }}
                type="button"
                role="tab"
                id={`zb-tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls={`zb-panel-${t.id}`}
                tabIndex={tab === t.id ? 0 : -1}
                className="zb-tab"
                onClick={() => {
                  setTab(t.id);
                  tabRefs.current[t.id]?.scrollIntoView?.({ block: "nearest", inline: "nearest" });
                }}
                data-testid={`tab-${t.id}`}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div
            className="zb-panel"
            role="tabpanel"
            id={`zb-panel-${tab}`}
            aria-labelledby={`zb-tab-${tab}`}
            // biome-ignore lint/a11y/noNoninteractiveTabindex: tab panels are focusable per the WAI-ARIA tabs pattern
            tabIndex={0}
          >
            <StateBanner />
            {tab === "connection" ? <ConnectionCard refreshKey={refreshKey} /> : null}
            {tab === "readiness" ? <ReadinessPanel refreshKey={refreshKey} /> : null}
            {tab === "sync" ? <SyncPanel refreshKey={refreshKey} /> : null}
            {tab === "ledger" ? <LedgerPanel refreshKey={refreshKey} initialFilter={ledgerFilter} /> : null}
            {tab === "settings" ? <SettingsPanel refreshKey={refreshKey} /> : null}
            {tab === "settings" ? <AlertsCard refreshKey={refreshKey} /> : null}
            {tab === "settings" ? <DeleteData /> : null}
          </div>
        </div>
      </NavigationProvider>
    </PageStateProvider>
  );
}
