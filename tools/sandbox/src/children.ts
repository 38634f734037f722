import { type ChildProcess, spawn } from "node:child_process";

export interface ChildSupervisor {
  /** Start `node --import tsx <entry>` as a named child with this environment. */
  start(name: string, entry: string): ChildProcess;
  /**
   * Send each running child `signal` once (a second call sends nothing) and resolve when all have exited.
   */
  stopAll(signal?: NodeJS.Signals): Promise<void>;
  readonly stopping: boolean;
}

/**
 * The child processes of `pnpm dev` (API, worker). Each runs in its own process group (`detached`), so the
 * terminal's Ctrl+C — a SIGINT to the whole foreground group — reaches only `pnpm dev`, which then sends every
 * child exactly one SIGTERM. Without that the worker got the terminal's SIGINT and then our SIGTERM, took the
 * second as "exit now" and skipped its graceful finish.
 *
 * Since the children are not in the terminal's group, they are stopped when this process exits for any
 * reason short of SIGKILL (the `exit` hook below), so none is left behind.
 */
export function createChildSupervisor(opts: {
  env: Record<string, string>;
  /** A child exited while we were not stopping (it crashed): the caller stops the rest. */
  onUnexpectedExit(name: string, codeOrSignal: number | string | null): void;
}): ChildSupervisor {
  const children: ChildProcess[] = [];
  const signalled = new Set<ChildProcess>();
  let stopping = false;
  const running = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
  // Never a second signal: a child already told to stop is left to finish.
  process.on("exit", () => {
    for (const c of running()) if (!signalled.has(c)) c.kill("SIGTERM");
  });
  return {
    get stopping() {
      return stopping;
    },
    start(name, entry) {
      const child = spawn(process.execPath, ["--import", "tsx", entry], {
        env: opts.env,
        stdio: "inherit",
        detached: true,
      });
      child.on("exit", (code, signal) => {
        if (!stopping) opts.onUnexpectedExit(name, signal ?? code);
      });
      children.push(child);
      return child;
    },
    async stopAll(signal = "SIGTERM") {
      stopping = true;
      const live = running();
      const exited = live.map((c) => new Promise<void>((resolve) => c.once("exit", () => resolve())));
      for (const c of live) {
        if (signalled.has(c)) continue;
        signalled.add(c);
        c.kill(signal);
      }
      await Promise.all(exited);
    },
  };
}
