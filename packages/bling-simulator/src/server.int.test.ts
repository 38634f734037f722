import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blingMswHandlers } from "./msw.js";
import { type StartedBlingSimulator, startBlingSimulator } from "./server.js";
import { BlingSimulator } from "./simulator.js";
import { basic, TEST_APP } from "./test-support.js";

describe("HTTP server", () => {
  let s: StartedBlingSimulator;
  beforeAll(async () => {
    s = await startBlingSimulator({
      apps: [TEST_APP],
      autoApprove: true,
      limits: { enforce: false },
      seed: 1,
    });
  });
  afterAll(async () => {
    await s.close();
  });

  const token = (form: Record<string, string>) =>
    fetch(`${s.apiBaseUrl}/oauth/token`, {
      method: "POST",
      headers: { authorization: basic(), "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });

  it("full OAuth flow over HTTP, then API calls with the Bearer token", async () => {
    const created = await fetch(`${s.url}/__control/createAccount`, {
      method: "POST",
      body: JSON.stringify([{ companyName: "Via HTTP" }]),
    });
    const { accountId, companyId } = (await created.json()) as { accountId: string; companyId: string };
    expect(companyId).toMatch(/^[0-9a-f]{32}$/);
    const auth = await fetch(
      `${s.apiBaseUrl}/oauth/authorize?response_type=code&client_id=${TEST_APP.clientId}&state=xyz&accountId=${accountId}`,
      { redirect: "manual" },
    );
    expect(auth.status).toBe(302);
    const code = new URL(auth.headers.get("location") as string).searchParams.get("code") as string;
    const tok = (await (await token({ grant_type: "authorization_code", code })).json()) as {
      access_token: string;
    };
    const me = await fetch(`${s.apiBaseUrl}/empresas/me/dados-basicos`, {
      headers: { authorization: `Bearer ${tok.access_token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { data: { id: string; nome: string } }).data).toMatchObject({
      id: companyId,
      nome: "Via HTTP",
    });
    const log = (await (
      await fetch(`${s.url}/__control/requestLog`, { method: "POST", body: JSON.stringify([accountId]) })
    ).json()) as Array<{
      endpoint: string;
    }>;
    expect(log.map((e) => e.endpoint)).toEqual(["GET /empresas/me/dados-basicos"]);
  });

  it("4 concurrent refreshes over real HTTP → exactly one 200, three invalid_grant", async () => {
    const { accountId } = s.sim.control.createAccount({});
    const { refresh_token } = s.sim.control.issueTokens(accountId, TEST_APP.clientId);
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => token({ grant_type: "refresh_token", refresh_token })),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{ error?: { type: string } }>;
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(bodies.filter((b) => b.error?.type === "invalid_grant")).toHaveLength(3);
  });

  it("with the system clock, webhooks are delivered on their own", async () => {
    const got: string[] = [];
    const receiver = createServer((req, res) => {
      let raw = "";
      req.on("data", (c) => {
        raw += c;
      });
      req.on("end", () => {
        got.push(raw);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", () => r()));
    try {
      const { accountId } = s.sim.control.createAccount({});
      s.sim.control.issueTokens(accountId, TEST_APP.clientId);
      s.sim.control.setAppWebhookUrl(
        TEST_APP.clientId,
        `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      );
      s.sim.control.upsertProduct(accountId, { nome: "Auto" });
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.parse(got[0] as string)).toMatchObject({
        event: "product.created",
        data: { nome: "Auto" },
      });
    } finally {
      s.sim.control.setAppWebhookUrl(TEST_APP.clientId, undefined);
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

describe("msw handlers", () => {
  it("serve the same state for https://api.bling.com.br without a listening server", async () => {
    const sim = new BlingSimulator({ apps: [TEST_APP], limits: { enforce: false } });
    const { accountId } = sim.control.createAccount({});
    const { access_token } = sim.control.issueTokens(accountId, TEST_APP.clientId);
    sim.control.upsertProduct(accountId, { nome: "Via msw", codigo: "MSW" });
    const server = setupServer(...blingMswHandlers(sim, "https://api.bling.com.br"));
    server.listen({ onUnhandledRequest: "error" });
    try {
      const res = await fetch("https://api.bling.com.br/Api/v3/produtos?filtroSaldoEstoque=0", {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: Array<{ codigo: string }> };
      expect(body.data.map((p) => p.codigo)).toEqual(["MSW"]);
      const tok = await fetch("https://api.bling.com.br/Api/v3/oauth/token", {
        method: "POST",
        headers: { authorization: basic(), "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=refresh_token&refresh_token=nope",
      });
      expect(tok.status).toBe(400);
    } finally {
      server.close();
      sim.dispose();
    }
  });
});
