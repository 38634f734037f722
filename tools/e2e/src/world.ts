import { fileURLToPath } from "node:url";
import {
  type Child,
  entryPath,
  type E2E as KitE2E,
  type StartE2EOptions,
  spawnService,
  startApiProcess as startKitApiProcess,
  startE2E as startKitE2E,
} from "@zb/e2e-kit";
import { type ComposedWorker, type ComposeWorkerOptions, composeWorker } from "@zb/worker";

/**
 * The e2e kit bound to our apps: the worker composed in-process through `@zb/worker`, the API spawned from
 * `@zb/api/server`, and the fault suite's worker entry (resilience/fault-worker.ts).
 */
export type E2E = KitE2E<ComposedWorker, ComposeWorkerOptions>;

export function startE2E(
  opts: Omit<StartE2EOptions<ComposedWorker, ComposeWorkerOptions>, "composeWorker"> = {},
): Promise<E2E> {
  return startKitE2E({ ...opts, composeWorker });
}

const apiEntry = entryPath("@zb/api/server", import.meta.url);
const faultWorkerEntry = fileURLToPath(new URL("./resilience/fault-worker.ts", import.meta.url));

/** Our API as a real process beside an E2E world (see the kit's `startApiProcess`). */
export function startApiProcess(
  e: Pick<E2E, "rawEnv" | "bling">,
  opts: { readyTimeoutMs?: number } = {},
): Promise<{ child: Child; url: string }> {
  return startKitApiProcess(e, { ...opts, entry: apiEntry });
}

/** The worker as a real process (fault-worker.ts: main.ts with a 4 s job lock). */
export function spawnWorker(e: E2E, env: Record<string, string> = {}): Child {
  return spawnService(faultWorkerEntry, { ...e.rawEnv, ...env });
}
