export { appManifestFiles } from "./app-manifest.js";
export { SimHttpError, type SimRequest, type SimResponse } from "./http-util.js";
export { zydonMswHandlers } from "./msw.js";
export { buildZydonSimulatorApp, type StartedZydonSimulator, startZydonSimulator } from "./server.js";
export {
  type PlaceOrderInput,
  type RequestLogEntry,
  type SeedInput,
  type WebhookDelivery,
  ZydonSimulator,
  type ZydonSimulatorFaults,
  type ZydonSimulatorOptions,
  type ZydonUserProfile,
} from "./simulator.js";
export type { Installation, OrgState, PluginRegistration } from "./state.js";
