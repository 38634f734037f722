// The worker's declared surface for tools (bench, sandbox, system tests): compose it in-process or spawn
// `@zb/worker/main`. Nothing else of the app is importable from outside it.
export { type ComposedWorker, type ComposeWorkerOptions, composeWorker, type WorkerEnv } from "./compose.js";
export {
  createWorkerRuntime,
  installShutdown,
  type WorkerRuntime,
  type WorkerRuntimeOptions,
} from "./runtime.js";
