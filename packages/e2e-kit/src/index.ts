// Test kits for system tests and tools (never for product code): the e2e world, the state checker, the
// fault kit, the resilience tallies and the demo image server. The kit imports no app: callers pass the
// worker's composer and the entry modules they spawn.
export {
  blingRequests,
  checkInvariants,
  failedJobs,
  held,
  type Invariants,
  initialSyncDone,
  pendingJobs,
  promoteDelayed,
  reconnectBling,
  reportRecovery,
  seeded,
  type Tenant,
  waitForBlingRequests,
  waitForInitialSync,
} from "./fault-kit.js";
export {
  type Child,
  CLIENT_ID,
  CLIENT_SECRET,
  type E2E,
  type E2EWorker,
  entryPath,
  freePort,
  PLUGIN_ID,
  PLUGIN_KEY,
  type StartE2EOptions,
  spawnService,
  startApiProcess,
  startE2E,
  type WorkerComposer,
  type WorkerEnv,
  waitFor,
} from "./harness.js";
export { type ImageCdn, solidPng, startImageCdn } from "./image-cdn.js";
export { nudgedPrice } from "./price-moves.js";
export { type PrivateRedis, type PrivateRedisOptions, startPrivateRedis } from "./private-redis.js";
export { comparePostSale, compareStates } from "./state-checker.js";
export { AttackTally, FaultTally, type TallyEntry } from "./tally.js";
