import { LedgerRepository } from "@zb/db";
import { AttackTally } from "@zb/e2e-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { expectNoSecretLeak, recordResponses } from "./attack-kit.js";

/**
 * Ledger search with SQL and HTML in it. The oracle is computed here from the rows we wrote: a search must
 * return exactly this tenant's rows whose key or reason contains the text (case-insensitive, LIKE wildcards
 * taken literally), the stored text must come back byte for byte (JSON, not HTML-escaped), and the table
 * must still be there afterwards.
 */
let h: Harness;
let responses: string[];
const tally = new AttackTally("ledger-search.attacks");

interface Row {
  id: number;
  entityKey: string;
  reason: string | null;
}
const mine: Row[] = [];
const theirs: Row[] = [];
let session: string;

const hostileTexts = [
  "'; drop table sync_ledger; --",
  "' OR '1'='1",
  "%' OR tenant_id IS NOT NULL --",
  "<script>alert('x')</script>",
  '"><img src=x onerror=alert(1)>',
  "100% garantido_1",
  "C:\\pasta\\arquivo",
  "Ação inválida: São João",
  // A template placeholder and shell-ish text, literally.
  ["$1 $$ $", "{x} `cmd`"].join(""),
];

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 } });
  responses = recordResponses(h);
  const a = await h.install("Busca A");
  const b = await h.install("Busca B");
  session = await h.session(a.orgId);
  const ledger = new LedgerRepository(h.db.db);
  const write = async (tenantId: string, into: Row[], entityKey: string, reason: string | null) => {
    const id = await ledger.record({
      tenantId,
      entity: "products",
      entityKey,
      action: "update",
      outcome: "failed",
      reason,
    });
    into.push({ id, entityKey, reason });
  };
  for (const [i, t] of hostileTexts.entries()) {
    await write(a.tenantId, mine, `SKU-A-${i}`, `Falha: ${t}`);
    await write(b.tenantId, theirs, `SKU-B-${i} ${t}`, `Segredo do B: ${t}`);
  }
  await write(a.tenantId, mine, "<b>SKU-HTML</b>", null);
  await write(a.tenantId, mine, "SKU-PLAIN", "Produto sem preço");
  await write(b.tenantId, theirs, "SKU-PLAIN-B", "Produto sem preço (B)");
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

function search(params: Record<string, string | string[]>) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of [v].flat()) q.append(k, x);
  return h.api.inject({
    method: "GET",
    url: `/api/settings/ledger?${q.toString()}`,
    headers: { authorization: `Bearer ${session}` },
  });
}

function expected(text: string): number[] {
  const needle = text.trim().toLowerCase();
  return mine
    .filter(
      (r) =>
        !needle ||
        r.entityKey.toLowerCase().includes(needle) ||
        (r.reason ?? "").toLowerCase().includes(needle),
    )
    .map((r) => r.id)
    .sort((x, y) => x - y);
}

describe("GET /api/settings/ledger?search=", () => {
  const probes = [
    ...hostileTexts,
    "%",
    "_",
    "\\",
    "'",
    '"',
    "--",
    ";",
    "<",
    "SEGREDO DO B",
    "SKU-B",
    "sku-a",
    "   ",
    "🙂",
    "\u202eevil",
    "x".repeat(100),
  ];

  it("hostile search strings → 200, exactly this tenant's matching rows, never another tenant's", async () => {
    const theirIds = new Set(theirs.map((r) => r.id));
    for (const text of probes) {
      const res = await search({ search: text, pageSize: "200" });
      tally.expectStatus(`ledger search ${JSON.stringify(text).slice(0, 40)}`, res, 200);
      const body = res.json() as { items: Array<{ id: number }>; total: number };
      const ids = body.items.map((i) => i.id).sort((x, y) => x - y);
      expect(ids, `search ${JSON.stringify(text)}`).toEqual(expected(text));
      expect(body.total).toBe(ids.length);
      expect(ids.filter((id) => theirIds.has(id))).toEqual([]);
      expect(res.body).not.toContain("Segredo do B");
      expect(res.body).not.toContain("SKU-B-");
    }
    const [{ n }] = (await h.db.sql`select count(*)::int as n from sync_ledger`) as unknown as [
      { n: number },
    ];
    expect(n).toBe(mine.length + theirs.length);
  });

  it("stored HTML and SQL come back verbatim as JSON text (nothing escaped into entities, nothing executed)", async () => {
    const res = await search({ search: "<script>" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("application/json");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    const items = (res.json() as { items: Array<{ reason: string | null; entityKey: string }> }).items;
    expect(items.map((i) => i.reason)).toEqual(["Falha: <script>alert('x')</script>"]);
    expect(res.body).not.toContain("&lt;");
    const html = (await search({ search: "<b>" })).json() as { items: Array<{ entityKey: string }> };
    expect(html.items.map((i) => i.entityKey)).toEqual(["<b>SKU-HTML</b>"]);
    const sql = (await search({ search: "drop table" })).json() as { items: Array<{ reason: string }> };
    expect(sql.items.map((i) => i.reason)).toEqual(["Falha: '; drop table sync_ledger; --"]);
  });

  it("bad filters → 400 in pt-BR, never a 500", async () => {
    const cases: Array<[string, Record<string, string | string[]>]> = [
      ["ledger search over 100 chars", { search: "x".repeat(101) }],
      ["ledger search twice", { search: ["a", "b"] }],
      ["ledger outcome injection", { outcome: "failed' OR '1'='1" }],
      ["ledger page negative", { page: "-1" }],
      ["ledger page not a number", { page: "1; drop table sync_ledger" }],
      ["ledger page infinite", { page: "1e400" }],
      ["ledger pageSize zero", { pageSize: "0" }],
      ["ledger pageSize huge", { pageSize: "100000" }],
      ["ledger onlyOpen odd", { onlyOpen: "sim" }],
      ["ledger entity too long", { entity: "e".repeat(51) }],
    ];
    for (const [label, q] of cases) {
      const res = await search(q);
      tally.expectStatus(label, res, 400);
      expect(res.json()).toEqual({ error: "bad_request", message: "Filtros do histórico inválidos." });
    }
    // NUL cannot reach Postgres (it made the query fail with a 500): refused at the door.
    for (const [label, q] of [
      ["ledger search with NUL", { search: "a\u0000b" }],
      ["ledger entity with NUL", { entity: "products\u0000" }],
    ] as const) {
      const res = await search(q);
      tally.expectStatus(label, res, 400);
      expect(res.json()).toEqual({ error: "bad_request", message: "Requisição inválida." });
    }
    // An entity filter with SQL in it is just a name that matches nothing.
    const entity = await search({ entity: "products' OR '1'='1" });
    tally.expectStatus("ledger entity injection", entity, 200);
    expect((entity.json() as { total: number }).total).toBe(0);
  });
});

describe("secrets", () => {
  it("no secret in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(25);
    expectNoSecretLeak(h, responses);
  });
});
