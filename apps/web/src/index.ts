export {
  ApiClient,
  type ApiClientOptions,
  ApiError,
  type ClientSession,
  type Connection,
  createApiClient,
  type Health,
  type HostSession,
  type LaunchSession,
  type LedgerItem,
  type LedgerPage,
  type LedgerQuery,
  ledgerSearchParams,
  type Progress,
  type Readiness,
  type Settings,
  type SettingsOptions,
} from "./api/client.js";
export { App, type AppProps, type TabId, tabs } from "./app.js";
export { Configs, type ConfigsProps } from "./configs.js";
export { readStandaloneSession } from "./runtime.js";
