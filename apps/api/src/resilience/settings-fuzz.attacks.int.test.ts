import { AttackTally } from "@zb/e2e-kit";
import { tenantSettingsSchema } from "@zb/sync";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../test-support/harness.js";
import { expectNoSecretLeak, recordResponses } from "./attack-kit.js";

/**
 * PUT /api/settings fuzzed from the shape of `tenantSettingsSchema` (@zb/sync) with fast-check: random valid
 * documents are saved and read back equal; random valid documents with one planted defect are refused with
 * 400, a pt-BR message on the defective field, and nothing saved. The tenant is connected to a Bling account
 * with a few depósitos and lojas and a Zydon organization with a few price tables: valid documents choose
 * among those (the API checks that chosen ids exist), defects include ids that are malformed or absent.
 */
let h: Harness;
let responses: string[];
let session: string;
let tenantId: string;
const tally = new AttackTally("settings-fuzz.attacks");

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Doc = { [k: string]: Json };

beforeAll(async () => {
  h = await createHarness({ rateLimits: { public: 10_000 } });
  responses = recordResponses(h);
  const installed = await h.install("Fuzz Config");
  tenantId = installed.tenantId;
  session = await h.session(installed.orgId);
  const acc = h.bling.createAccount("Fuzz Ltda");
  const c = h.bling.sim.control;
  const product = c.upsertProduct(acc.accountId, { nome: "Caneca", codigo: "CAN-1", preco: 10 }) as {
    id: number;
  };
  for (let i = 0; i < POOL; i++) {
    depositPool.push(String(c.upsertDeposit(acc.accountId, { descricao: `Depósito ${i}` }).id));
    const store = c.upsertStore(acc.accountId, { descricao: `Loja ${i}` });
    c.setStoreProductPrice(acc.accountId, store.id, product.id, { preco: 9 + i });
    storePool.push(String(store.id));
  }
  const seeded = h.zydon.sim.seed(installed.orgId, {
    priceTables: Array.from({ length: POOL }, (_, i) => ({ name: `Tabela ${i}` })),
  });
  tablePool.push(...Object.values(seeded.priceTables ?? {}));
  expect((await h.connectBling(session, acc.accountId)).status).toBe(302);
});

afterAll(async () => {
  tally.flush();
  await h?.close();
});

function putRaw(payload: string, headers: Record<string, string> = {}) {
  return h.api.inject({
    method: "PUT",
    url: "/api/settings",
    headers: { authorization: `Bearer ${session}`, "content-type": "application/json", ...headers },
    payload,
  });
}

function put(doc: unknown) {
  return putRaw(JSON.stringify(doc));
}

async function read() {
  const res = await h.api.inject({
    method: "GET",
    url: "/api/settings",
    headers: { authorization: `Bearer ${session}` },
  });
  expect(res.statusCode).toBe(200);
  return res.json() as Doc;
}

async function storedRow() {
  const [row] = await h.db.sql`select settings, updated_at from tenants where id = ${tenantId}`;
  return row;
}

// ---- valid documents, field by field as the schema has them (ids already trimmed: read back is exact)

const idArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/);
/** Ids that exist in the tenant's Bling / Zydon (filled in beforeAll, before any property runs). */
const POOL = 6;
const depositPool: string[] = [];
const storePool: string[] = [];
const tablePool: string[] = [];
const depositIdsArb = fc.constant(null).chain(() => fc.shuffledSubarray(depositPool));
const storeArb = fc.constant(null).chain(() => fc.constantFrom(...storePool));
const tableArb = fc.constant(null).chain(() => fc.constantFrom(...tablePool));
/** Well-formed Bling ids that no account has. */
const absentBlingId = fc.integer({ min: 90_000_000_000, max: 99_999_999_999 }).map(String);
const stockArb = fc.record(
  {
    depositIds: depositIdsArb,
    balance: fc.constantFrom("virtual", "physical"),
  },
  { requiredKeys: [] },
);
const priceArb = fc.oneof(
  fc.record({ source: fc.constant("base"), zydonPriceTableId: tableArb }, { requiredKeys: [] }),
  fc.record(
    { source: fc.constant("store"), blingStoreId: storeArb, zydonPriceTableId: tableArb },
    { requiredKeys: ["source", "blingStoreId"] },
  ),
);
const ordersArb = fc.oneof(
  fc.record({ trigger: fc.constant("all") }, { requiredKeys: [] }),
  fc.record({ trigger: fc.constant("from_status"), zydonStatusId: idArb }),
);
const nfeArb = fc.oneof(
  fc.record({ enabled: fc.constant(false), approvedZydonStatusId: idArb }, { requiredKeys: [] }),
  fc.record({ enabled: fc.constant(true), approvedZydonStatusId: idArb }),
);
const validArb: fc.Arbitrary<Doc> = fc.record(
  { stock: stockArb, price: priceArb, orders: ordersArb, nfe: nfeArb, paused: fc.boolean() },
  { requiredKeys: [] },
) as fc.Arbitrary<Doc>;

// ---- one planted defect per document, with the error key it must produce

const notBoolean: fc.Arbitrary<Json> = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.constant(null),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
);
const notString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.constant({}), fc.constant([1]));
const notObject = fc.oneof(
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer()),
);
const notEnum = (allowed: string[]) =>
  fc.oneof(
    fc.string().filter((s) => !allowed.includes(s)),
    fc.integer(),
    fc.constant(null),
    fc.boolean(),
  );
const badId = fc.oneof(
  fc.string({ minLength: 65, maxLength: 300 }).filter((s) => s.trim().length > 64),
  fc.stringMatching(/^\s{0,5}$/),
  notString,
);

/** Not a Bling id: letters, signs, separators, zero, decimals, more digits than Bling uses. */
const malformedBlingId = fc.oneof(
  fc.constantFrom("abc", "-1", "-5", "12;34", "12,34", "0", "007", "1.5", "1e5", "12 34"),
  fc.stringMatching(/^[0-9]{16,30}$/),
  idArb.filter((s) => !/^[0-9]+$/.test(s)),
);

type Defect = { doc: Json; key: string; what: string };

function section(doc: Doc, name: string): Doc {
  const v = doc[name];
  return v && typeof v === "object" && !Array.isArray(v) ? { ...(v as Doc) } : {};
}

const defectArb: fc.Arbitrary<Defect> = fc.oneof(
  fc
    .tuple(
      validArb,
      fc.oneof(
        fc.stringMatching(/^[a-zA-Z_$][\w$]{0,20}$/),
        // Names every object inherits: an error map built on a plain object would skip them.
        fc.constantFrom("constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf"),
      ),
      fc.oneof(fc.integer(), fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.integer())),
    )
    // (__proto__ is refused earlier, by the JSON parser: covered in "malformed requests".)
    .filter(([, k]) => !["stock", "price", "orders", "nfe", "paused", "__proto__"].includes(k))
    .map(([d, k, v]): Defect => ({ doc: { ...d, [k]: v }, key: k, what: `unknown field ${k}` })),
  fc.tuple(validArb, notEnum(["virtual", "physical"])).map(
    ([d, v]): Defect => ({
      doc: { ...d, stock: { ...section(d, "stock"), balance: v } },
      key: "stock.balance",
      what: "balance outside the enum",
    }),
  ),
  fc.tuple(validArb, notEnum(["base", "store"])).map(
    ([d, v]): Defect => ({
      doc: { ...d, price: { ...section(d, "price"), source: v } },
      key: "price.source",
      what: "price source outside the enum",
    }),
  ),
  fc.tuple(validArb, notEnum(["all", "from_status"])).map(
    ([d, v]): Defect => ({
      doc: { ...d, orders: { trigger: v } },
      key: "orders.trigger",
      what: "order trigger outside the enum",
    }),
  ),
  fc
    .tuple(validArb, notBoolean)
    .map(([d, v]): Defect => ({ doc: { ...d, paused: v }, key: "paused", what: "paused" })),
  fc.tuple(validArb, notBoolean).map(
    ([d, v]): Defect => ({
      doc: { ...d, nfe: { ...section(d, "nfe"), enabled: v } },
      key: "nfe.enabled",
      what: "nfe.enabled",
    }),
  ),
  fc.tuple(validArb, fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant({}))).map(
    ([d, v]): Defect => ({
      doc: { ...d, stock: { ...section(d, "stock"), depositIds: v } },
      key: "stock.depositIds",
      what: "depositIds not a list",
    }),
  ),
  fc.tuple(validArb, depositIdsArb, badId).map(
    ([d, ids, bad]): Defect => ({
      doc: { ...d, stock: { ...section(d, "stock"), depositIds: [...ids, bad] } },
      key: `stock.depositIds.${ids.length}`,
      what: "a bad deposit id",
    }),
  ),
  fc.tuple(validArb, depositIdsArb, malformedBlingId).map(
    ([d, ids, bad]): Defect => ({
      doc: { ...d, stock: { ...section(d, "stock"), depositIds: [...ids, bad] } },
      key: `stock.depositIds.${ids.length}`,
      what: "a malformed deposit id",
    }),
  ),
  fc.tuple(validArb, depositIdsArb, absentBlingId).map(
    ([d, ids, absent]): Defect => ({
      doc: { ...d, stock: { ...section(d, "stock"), depositIds: [...ids, absent] } },
      key: `stock.depositIds.${ids.length}`,
      what: "a deposit absent from Bling",
    }),
  ),
  fc.tuple(validArb, fc.oneof(malformedBlingId, absentBlingId)).map(
    ([d, store]): Defect => ({
      doc: { ...d, price: { source: "store", blingStoreId: store } },
      key: "price.blingStoreId",
      what: "a malformed or absent store",
    }),
  ),
  fc.tuple(validArb, idArb).map(
    ([d, table]): Defect => ({
      doc: { ...d, price: { source: "base", zydonPriceTableId: `ausente-${table}` } },
      key: "price.zydonPriceTableId",
      what: "a price table absent from Zydon",
    }),
  ),
  fc.tuple(validArb, fc.array(idArb, { minLength: 21, maxLength: 40 })).map(
    ([d, ids]): Defect => ({
      doc: { ...d, stock: { ...section(d, "stock"), depositIds: ids } },
      key: "stock.depositIds",
      what: "too many deposits",
    }),
  ),
  validArb.map(
    (d): Defect => ({
      doc: { ...d, price: { source: "store" } },
      key: "price.blingStoreId",
      what: "store price without a store",
    }),
  ),
  validArb.map(
    (d): Defect => ({
      doc: { ...d, orders: { trigger: "from_status" } },
      key: "orders.zydonStatusId",
      what: "from_status without a status",
    }),
  ),
  validArb.map(
    (d): Defect => ({
      doc: { ...d, nfe: { enabled: true } },
      key: "nfe.approvedZydonStatusId",
      what: "NF-e without the approved status",
    }),
  ),
  fc.tuple(validArb, fc.constantFrom("stock", "price", "orders", "nfe"), notObject).map(
    ([d, s, v]): Defect => ({
      doc: { ...d, [s]: v },
      key: s,
      what: `${s} not an object`,
    }),
  ),
  fc.oneof(fc.array(fc.jsonValue()), fc.string(), fc.integer(), fc.boolean()).map(
    (v): Defect => ({
      doc: v as Json,
      key: "_",
      what: "document not an object",
    }),
  ),
);

/** pt-BR sentence from the schema or our generic one — never zod's English defaults. */
function expectPtBr(message: string | undefined, where: string) {
  expect(message, where).toBeTypeOf("string");
  expect(message, where).not.toMatch(
    /\b(Invalid|expected|received|Unrecognized|Too (big|small)|must|input)\b/i,
  );
  expect(message, where).toMatch(/^[A-ZÁÉÍÓÚ][\s\S]*\.$/);
}

describe("PUT /api/settings, property-based", () => {
  it("random valid documents → 200, read back equal to what was sent (plus defaults)", async () => {
    await fc.assert(
      fc.asyncProperty(validArb, async (doc) => {
        const res = await put(doc);
        expect(res.statusCode, JSON.stringify(doc)).toBe(200);
        const saved = res.json() as Doc;
        expect(saved).toMatchObject(doc);
        expect(await read()).toEqual(saved);
        // Defaults fill only what was not sent.
        expect(saved).toEqual(tenantSettingsSchema.parse(doc));
      }),
      { numRuns: 60 },
    );
  });

  it("random documents with one defect → 400, pt-BR message on that field, nothing saved", async () => {
    const first = await put({ stock: { depositIds: [depositPool[0]], balance: "physical" }, paused: false });
    expect(first.statusCode).toBe(200);
    const baseline = await read();
    const row = await storedRow();
    await fc.assert(
      fc.asyncProperty(defectArb, async ({ doc, key, what }) => {
        const res = await put(doc);
        tally.expectStatus(`settings fuzz: ${what}`, res, 400);
        const errors = (res.json() as { errors: Record<string, string> }).errors;
        expect(Object.keys(errors), `${what}: ${JSON.stringify(doc).slice(0, 200)}`).toContain(key);
        for (const [k, m] of Object.entries(errors)) expectPtBr(m, `${what} → ${k}`);
        expect(await read()).toEqual(baseline);
      }),
      { numRuns: 150 },
    );
    expect(await storedRow()).toEqual(row);
  });
});

describe("PUT /api/settings, malformed requests", () => {
  it("null, empty, non-JSON, wrong type and oversized bodies are refused and change nothing", async () => {
    const baseline = await read();
    const row = await storedRow();
    const cases: Array<[string, () => ReturnType<typeof putRaw>, number]> = [
      ["settings null body", () => putRaw("null"), 400],
      ["settings empty JSON body", () => putRaw(""), 400],
      ["settings broken JSON", () => putRaw('{"paused": tru'), 400],
      [
        "settings JSON with a prototype key",
        () => putRaw('{"__proto__": {"paused": true}, "paused": false}'),
        400,
      ],
      [
        "settings text/plain",
        () => putRaw(JSON.stringify({ paused: true }), { "content-type": "text/plain" }),
        415,
      ],
      [
        "settings form-encoded",
        () => putRaw("paused=true", { "content-type": "application/x-www-form-urlencoded" }),
        415,
      ],
      ["settings NUL in a deposit id", () => put({ stock: { depositIds: ["A\u0000B"] } }), 400],
      ["settings NUL in a key", () => putRaw('{"paused": false, "x\\u0000": 1}'), 400],
      ["settings 100 KiB body", () => put({ stock: { depositIds: ["x".repeat(100 * 1024)] } }), 413],
    ];
    for (const [label, send, status] of cases) {
      const res = await send();
      tally.expectStatus(label, res, status);
      const body = res.json() as { message?: string; errors?: Record<string, string> };
      expectPtBr(body.message ?? Object.values(body.errors ?? {})[0], label);
    }
    // Field names every object inherits get their message like any other unknown field.
    for (const k of ["constructor", "toString", "hasOwnProperty"]) {
      const res = await put({ paused: false, [k]: 1 });
      tally.expectStatus(`settings unknown field ${k}`, res, 400);
      expect(res.json()).toEqual({ errors: { [k]: "Campo desconhecido." } });
    }
    expect(await read()).toEqual(baseline);
    expect(await storedRow()).toEqual(row);
  });
});

describe("secrets", () => {
  it("no secret in any log line or response of this file", () => {
    expect(tally.tried).toBeGreaterThan(150);
    expectNoSecretLeak(h, responses);
  });
});
