import { describe, expect, it } from "vitest";
import { runProbe } from "./probe.js";
import { renderTable } from "./report.js";
import { startSimulatorTargets } from "./simulators.js";

describe("pnpm probe against the simulators", () => {
  it("--write: every row of both systems is confirmed", async () => {
    const t = await startSimulatorTargets();
    try {
      const report = await runProbe({ zydon: t.zydon, bling: t.bling, write: true });
      const notConfirmed = report.rows.filter((r) => r.result !== "confirmed");
      expect(notConfirmed).toEqual([]);
      expect(report.rows.filter((r) => r.system === "zydon")).toHaveLength(19);
      expect(report.rows.filter((r) => r.system === "bling")).toHaveLength(11);
      expect(renderTable(report)).toContain("30 confirmed, 0 contradicted, 0 unreachable, 0 not checked");
    } finally {
      await t.close();
    }
  });

  it("read-only by default: the write rows say so and Zydon receives no write", async () => {
    const t = await startSimulatorTargets();
    try {
      const before = t.zydonSim.requestLog.length;
      const report = await runProbe({ zydon: t.zydon });
      expect(report.write).toBe(false);
      expect(report.rows.filter((r) => r.result === "not_checked").map((r) => r.detail)).toEqual(
        Array(7).fill("needs --write"),
      );
      expect(report.rows.filter((r) => r.result === "confirmed")).toHaveLength(12);
      const sent = t.zydonSim.requestLog.slice(before);
      // The only POSTs: the access-key login and the made-up token exchange, neither of which changes data.
      expect(sent.filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.path}`)).toEqual([
        "POST /api/account/access-key/login",
        "POST /appcenter/oauth/token",
      ]);
    } finally {
      await t.close();
    }
  });

  it("a Zydon whose token path differs: exactly that row is contradicted, and names the setting", async () => {
    const t = await startSimulatorTargets({ zydonServes: { tokenExchangePath: "/app/v2/oauth/token" } });
    try {
      const report = await runProbe({ zydon: t.zydon, bling: t.bling, write: true });
      const bad = report.rows.filter((r) => r.result !== "confirmed");
      expect(bad).toEqual([
        expect.objectContaining({
          system: "zydon",
          request: "POST /appcenter/oauth/token (made-up code)",
          result: "contradicted",
          detail: "HTTP 404: no such route at this path",
          fix: "contract entry tokenExchangePath (ZYDON_TOKEN_EXCHANGE_PATH)",
        }),
      ]);
      expect(renderTable(report)).toContain("→ contract entry tokenExchangePath (ZYDON_TOKEN_EXCHANGE_PATH)");
    } finally {
      await t.close();
    }
    // The one setting corrected: every row confirmed again.
    const fixed = await startSimulatorTargets({
      zydonServes: { tokenExchangePath: "/app/v2/oauth/token" },
      productContract: { tokenExchangePath: "/app/v2/oauth/token" },
    });
    try {
      const report = await runProbe({ zydon: fixed.zydon, write: true });
      expect(report.counts).toEqual({ confirmed: 19, contradicted: 0, unreachable: 0, not_checked: 0 });
    } finally {
      await fixed.close();
    }
  });

  it("a Zydon that does not answer: the rows say unreachable, not contradicted", async () => {
    const t = await startSimulatorTargets();
    await t.close();
    const report = await runProbe({ zydon: t.zydon });
    const results = new Set(report.rows.map((r) => r.result));
    expect(results.has("confirmed")).toBe(false);
    expect(results.has("contradicted")).toBe(false);
    expect(report.counts.unreachable).toBeGreaterThan(0);
  });
});
