import {
  CredentialsRepository,
  CursorsRepository,
  LedgerRepository,
  SyncRunsRepository,
  TenantsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { expectNoSecretLeak, recordResponses, tenantRows } from "./attack-kit.js";

/**
 * Tenant isolation walk over every /api/settings route the Fastify instance registered. Tenant A's session
 * points at tenant B every way a client can (B's ids in the path, tenant ids in the query, in headers and
 * in the body): each answer must be the answer A gets without the pointer, must not carry anything of B,
 * and B's rows (every table with a tenant_id, found in the catalog), jobs and Bling tokens stay untouched.
 */
type InjectMethod = NonNullable<InjectOptions["method"]>;

let h: Harness;
let responses: string[];
const tally = new AttackTally("isolation.attacks");

interface Merchant {
  orgId: string;
  tenantId: string;
  session: string;
  companyId: string;
  companyName: string;
  accountId: string;
}
let a: Merchant;
let b: Merchant;
let bLedgerId: number;
let aLedgerId: number;

async function merchant(name: string, companyName: string): Promise<Merchant> {
  const { orgId, tenantId } = await h.install(name);
  const session = await h.session(orgId);
  const acc = h.bling.createAccount(companyName);
  expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
  return { orgId, tenantId, session, companyId: acc.companyId, companyName, accountId: acc.accountId };
}

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 } });
  responses = recordResponses(h);
  a = await merchant("Isolamento A", "Alfa Comércio Ltda");
  b = await merchant("Isolamento B", "Bravo Reservado SA");
  const ledger = new LedgerRepository(h.db.db);
  bLedgerId = await ledger.record({
    tenantId: b.tenantId,
    entity: "products",
    entityKey: "SKU-RESERVADO-B",
    action: "create",
    outcome: "failed",
    reason: "Motivo reservado do B",
    retryable: true,
  });
  aLedgerId = await ledger.record({
    tenantId: a.tenantId,
    entity: "products",
    entityKey: "SKU-A-1",
    action: "create",
    outcome: "failed",
    reason: "Falha do A",
    retryable: true,
  });
  await new CursorsRepository(h.db.db).set(b.tenantId, "readiness", {
    generatedAt: new Date().toISOString(),
    problems: [{ code: "so-do-b", examples: ["PRODUTO-RESERVADO-B"] }],
  });
  await new TenantsRepository(h.db.db).updateSettings(b.tenantId, {
    stock: { depositIds: ["DEPOSITO-RESERVADO-B"], balance: "physical" },
  });
  const run = await new SyncRunsRepository(h.db.db).create({
    tenantId: b.tenantId,
    kind: "initial",
    entity: "products",
    total: 777,
  });
  await new SyncRunsRepository(h.db.db).addProgress(run.id, { done: 333 });
  await new WebhookInboxRepository(h.db.db).insertOnce({
    provider: "bling",
    eventId: "evento-reservado-b",
    tenantId: b.tenantId,
    eventType: "stock.updated",
    payload: { marker: "PAYLOAD-RESERVADO-B" },
    occurredAt: new Date(Date.now() - 2_000),
  });
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

function settingsRoutes() {
  return h.routes
    .filter((r) => r.url.startsWith("/api/settings"))
    .flatMap((r) => [r.method].flat().map((method) => ({ method: method as InjectMethod, url: r.url })));
}

async function send(
  m: Pick<Merchant, "session" | "orgId">,
  method: InjectMethod,
  url: string,
  opts: { payload?: unknown; headers?: Record<string, string> } = {},
): Promise<LightMyRequestResponse> {
  const res = await h.api.inject({
    method,
    url,
    headers: { authorization: `Bearer ${m.session}`, ...(opts.headers ?? {}) },
    ...(opts.payload !== undefined ? { payload: opts.payload as object } : {}),
  });
  // "Desconectar Bling" and the purge end every session of the tenant (issue 21 #8); the answer hands the
  // asking tab its replacement, which A goes on with, as the page does.
  if (res.statusCode === 200 && isJson(res)) {
    const next = (res.json() as { session?: { token?: unknown } } | null)?.session?.token;
    if (typeof next === "string") m.session = next;
  }
  return res;
}

function isJson(res: LightMyRequestResponse): boolean {
  // HEAD answers carry the GET's content type and no body.
  return res.body.length > 0 && String(res.headers["content-type"] ?? "").startsWith("application/json");
}

/** What two answers are compared by: the parsed document, or the bytes (the Histórico CSV). */
function answerOf(res: LightMyRequestResponse): unknown {
  return isJson(res) ? res.json() : res.body;
}

/** A's own baseline document for PUT: its current settings, so the walk saves what A already has. */
async function aSettings() {
  return (await send(a, "GET", "/api/settings")).json() as Record<string, unknown>;
}

function bMarkers() {
  return [
    b.tenantId,
    b.orgId,
    b.companyName,
    b.companyId,
    "SKU-RESERVADO-B",
    "Motivo reservado do B",
    "PRODUTO-RESERVADO-B",
    "DEPOSITO-RESERVADO-B",
    "PAYLOAD-RESERVADO-B",
  ];
}

function expectNothingOfB(res: LightMyRequestResponse, label: string) {
  for (const marker of bMarkers()) {
    expect(res.body.includes(marker), `${label} leaked B's ${marker}`).toBe(false);
  }
}

describe("tenant isolation walk", () => {
  it("every settings route, pointed at tenant B every way a client can, answers only for A", async () => {
    const routes = settingsRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(14);
    expect(new Set(routes.map((r) => r.method))).toEqual(new Set(["GET", "HEAD", "PUT", "POST"]));
    const bBefore = await tenantRows(h, b.tenantId);
    const bConn = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(b.tenantId);
    const bView = (await send(b, "GET", "/api/settings/connection")).json();

    const pointerQuery = new URLSearchParams({
      tenantId: b.tenantId,
      tenant_id: b.tenantId,
      organizationId: b.orgId,
      blingCompanyId: b.companyId,
    }).toString();
    const pointerHeaders = {
      "x-tenant-id": b.tenantId,
      "x-organization-id": b.orgId,
      "x-zydon-organization": b.orgId,
    };
    let walked = 0;

    for (const route of routes) {
      const hasId = route.url.includes(":id");
      const url = route.url.replace(":id", String(aLedgerId)).replace(":entity", "products");
      const label = `${route.method} ${route.url}`;
      // The settings document (saved, or previewed before saving) is strict, like the PUT.
      const document = route.method === "PUT" || route.url === "/api/settings/preview";
      const payload = document ? await aSettings() : route.method === "POST" ? {} : undefined;

      // The answer A gets without any pointer: what every pointed variant below must equal.
      const clean = await send(a, route.method, url, { payload });
      expect(clean.statusCode, `${label} as A`).toBeLessThan(500);
      expectNothingOfB(clean, label);
      const sameAnswer = (res: LightMyRequestResponse, what: string) => {
        tally.expectStatus(`${label} ${what}`, res, clean.statusCode);
        expectNothingOfB(res, `${label} ${what}`);
        if (route.method === "GET") expect(answerOf(res), `${label} ${what}`).toEqual(answerOf(clean));
      };

      const sep = url.includes("?") ? "&" : "?";
      sameAnswer(
        await send(a, route.method, `${url}${sep}${pointerQuery}`, { payload }),
        "with B in the query",
      );
      sameAnswer(await send(a, route.method, url, { payload, headers: pointerHeaders }), "with B in headers");
      if (route.method === "POST" && !document) {
        sameAnswer(
          await send(a, route.method, url, {
            payload: { tenantId: b.tenantId, organizationId: b.orgId, ledgerId: bLedgerId },
          }),
          "with B in the body",
        );
      }
      if (document) {
        // The settings document is strict: a tenant id in it is an unknown field, refused whole.
        const res = await send(a, route.method, url, {
          payload: { ...(payload as object), tenantId: b.tenantId },
        });
        tally.expectStatus(`${label} with B in the body`, res, 400);
        expect(res.json().errors.tenantId).toBe("Campo desconhecido.");
      }
      if (hasId) {
        const res = await send(a, route.method, route.url.replace(":id", String(bLedgerId)), { payload });
        tally.expectStatus(`${label} with B's ledger id`, res, 404);
        expect(res.json()).toEqual({ error: "not_found", message: "Registro não encontrado." });
      }
      walked++;
    }
    expect(walked).toBe(routes.length);

    // B: every row, every job, its tokens, its own view — unchanged.
    expect(await tenantRows(h, b.tenantId)).toEqual(bBefore);
    expect(await h.bling.isRevoked(bConn?.tokens?.accessToken as string)).toBe(false);
    expect((await send(b, "GET", "/api/settings/connection")).json()).toEqual(bView);
    // A: the walk really acted (A's own disconnect and pause happened).
    const aConn = await new CredentialsRepository(h.db.db, h.deps.secretBox).getBlingConnection(a.tenantId);
    expect(aConn?.status).toBe("disconnected");
  });

  it("B's session walking the same routes sees only B (the walk is symmetric)", async () => {
    for (const route of settingsRoutes().filter((r) => r.method === "GET")) {
      const res = await send(
        b,
        "GET",
        route.url.replace(":id", String(bLedgerId)).replace(":entity", "products"),
      );
      expect(res.statusCode, route.url).toBeLessThan(500);
      expect(res.body.includes(a.tenantId), `${route.url} leaked A's tenant`).toBe(false);
      expect(res.body.includes("SKU-A-1"), `${route.url} leaked A's ledger`).toBe(false);
      expect(res.body.includes(a.companyName), `${route.url} leaked A's company`).toBe(false);
    }
    const ledger = (await send(b, "GET", "/api/settings/ledger")).json() as { items: Array<{ id: number }> };
    expect(ledger.items.map((i) => i.id)).toEqual([bLedgerId]);
  });
});

describe("secrets", () => {
  it("no secret in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(40);
    expectNoSecretLeak(h, responses);
  });
});
