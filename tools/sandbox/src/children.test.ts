import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./test-fixtures/supervisor.ts", import.meta.url));

describe("pnpm dev's children (issue 15 item 8)", () => {
  it("Ctrl+C (SIGINT to the terminal's process group) reaches each child as exactly one SIGTERM", async () => {
    // The supervisor leads its own group, as `pnpm dev` is the foreground group of a terminal.
    const sup = spawn(process.execPath, ["--import", "tsx", fixture], {
      detached: true,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    const ready = new Promise<void>((resolve) => {
      sup.stdout.on("data", (b: Buffer) => {
        out += b.toString();
        if (out.includes("child ready")) resolve();
      });
    });
    const exited = new Promise<number | null>((resolve) => sup.on("exit", (code) => resolve(code)));
    await ready;
    process.kill(-(sup.pid as number), "SIGINT");
    expect(await exited).toBe(0);
    // Give a stray second signal time to show up (the child logs each one before exiting).
    await new Promise((r) => setTimeout(r, 500));
    const signals = out.split("\n").filter((l) => l.startsWith("child signal:"));
    expect(signals).toEqual(["child signal:SIGTERM"]);
    expect(out).toContain("supervisor done");
    expect(out).not.toContain("unexpected exit");
  }, 20_000);
});
