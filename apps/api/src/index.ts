// The API's declared surface for tools (sandbox, system tests): build the Fastify app in-process or spawn
// `@zb/api/server`. Nothing else of the app is importable from outside it.
export { apiServerOptions, app } from "./app.js";
export { type ApiEnv, composeAppDeps } from "./compose.js";
export type { AppDeps } from "./deps.js";
