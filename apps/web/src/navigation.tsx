import { createContext, useContext } from "react";

/** Histórico's filters as another tab sets them: "ver quais" beside a sync outcome. */
export interface LedgerFilter {
  /** A ledger entity ("product"), or "" for every type. */
  entity: string;
  outcome: "failed" | "skipped";
  /** Only what was recorded since then (the run's start, ISO); null = any time. */
  since: string | null;
}

interface Navigation {
  /** Switch to Histórico with these filters set. */
  showLedger(filter: LedgerFilter): void;
}

const NavigationContext = createContext<Navigation | null>(null);

/** Provided by the App (which owns the tabs); absent when a panel is rendered alone. */
export const NavigationProvider = NavigationContext.Provider;

export function useNavigation(): Navigation | null {
  return useContext(NavigationContext);
}
