import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseBlingWebhook } from "@zb/bling";
import { readProcessEnv } from "@zb/config";
import { describe, expect, it } from "vitest";
import {
  blingInboxPayload,
  blingInboxSchema,
  readBlingInbox,
  readZydonOrderInbox,
  zydonOrderInboxPayload,
} from "./webhook-payloads.js";

const envelope = (event: string, data: unknown) => ({
  eventId: "01945027-150e-72b4-e7cf-4943a042cd9c",
  date: "2025-01-10T12:18:46Z",
  version: "v1",
  event,
  companyId: "d4475854366a36c86a37e792f9634a51",
  data,
});

/** What the API stores today: the parsed delivery, through JSON (jsonb) like the inbox column. */
const storedToday = (raw: unknown) => JSON.parse(JSON.stringify(blingInboxPayload(parseBlingWebhook(raw))));

describe("Bling inbox payloads", () => {
  const cases: Array<[string, unknown, unknown]> = [
    [
      "product.updated",
      { id: 11, idProdutoPai: 10, nome: "Copo", preco: "4.99" },
      { resource: "product", action: "updated", productId: "11", parentId: "10" },
    ],
    [
      "product.created",
      { id: "12", idProdutoPai: 0 },
      { resource: "product", action: "created", productId: "12", parentId: null },
    ],
    [
      "product.deleted",
      { id: 13 },
      { resource: "product", action: "deleted", productId: "13", parentId: null },
    ],
    [
      "stock.updated",
      {
        produto: { id: 21 },
        deposito: { id: 1, saldoFisico: 2, saldoVirtual: 2 },
        saldoFisicoTotal: 2,
        saldoVirtualTotal: 2,
      },
      { resource: "stock", productId: "21" },
    ],
    [
      "virtual_stock.updated",
      { produto: { id: 22 }, saldoFisicoTotal: 1, saldoVirtualTotal: "1.5" },
      { resource: "stock", productId: "22" },
    ],
    ["order.updated", { id: 31, numero: 7 }, { resource: "order", action: "updated", orderId: "31" }],
    ["invoice.created", { id: 41, situacao: 5 }, { resource: "invoice", action: "created", invoiceId: "41" }],
    ["consumer_invoice.updated", { id: 51 }, { resource: "other", event: "consumer_invoice.updated" }],
    [
      "product_supplier.updated",
      { anything: true },
      { resource: "other", event: "product_supplier.updated" },
    ],
  ];

  it.each(cases)(
    "%s: the raw delivery (rows stored before) and today's stored form read the same",
    (event, data, target) => {
      const raw = envelope(event, data);
      expect(blingInboxSchema.parse(raw)).toEqual(target);
      expect(blingInboxSchema.parse(storedToday(raw))).toEqual(target);
    },
  );

  it("matches event names case-insensitively, like the API's parser", () => {
    expect(blingInboxSchema.parse(envelope("Stock.Updated", envelopeStock()))).toEqual({
      resource: "stock",
      productId: "99",
    });
  });

  it("keeps the envelope and normalises the data when stored", () => {
    const stored = storedToday(envelope("Product.Updated", { id: "11", preco: "4.99", situacao: "a" }));
    expect(stored).toMatchObject({
      eventId: "01945027-150e-72b4-e7cf-4943a042cd9c",
      date: "2025-01-10T12:18:46Z",
      companyId: "d4475854366a36c86a37e792f9634a51",
      event: "product.updated",
      data: { id: 11, preco: 4.99, situacao: "A" },
    });
  });

  it("takes envelope fields a stored payload lacks from the row's columns", () => {
    const row = { eventId: "evt-1", eventType: "invoice.updated" };
    expect(
      readBlingInbox({ ...row, payload: { event: "invoice.updated", data: { id: 41, situacao: 5 } } }).data,
    ).toEqual({
      resource: "invoice",
      action: "updated",
      invoiceId: "41",
    });
    expect(readBlingInbox({ ...row, payload: { data: { id: 42 } } }).data).toMatchObject({ invoiceId: "42" });
    expect(readBlingInbox({ ...row, payload: null }).success).toBe(false);
  });

  it("rejects a known event without its ids, and a payload that is no delivery", () => {
    expect(blingInboxSchema.safeParse(envelope("stock.updated", { produto: {} })).success).toBe(false);
    expect(blingInboxSchema.safeParse({ hello: "world" }).success).toBe(false);
    expect(blingInboxSchema.safeParse(null).success).toBe(false);
  });
});

function envelopeStock() {
  return {
    produto: { id: 99 },
    deposito: { id: 1, saldoFisico: 0, saldoVirtual: 0 },
    saldoFisicoTotal: 0,
    saldoVirtualTotal: 0,
  };
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const samplesDir = readProcessEnv().BLING_SAMPLES_DIR || join(repoRoot, "..", "shared", "samples", "bling");

/** `webhook-order-created-docs-data-1` → `order.created`; `virtual-stock` → `virtual_stock`. */
function sampleEvent(name: string): string {
  const parts = name
    .replace(/^webhook-/, "")
    .replace(/(-docs-data)?-\d+$/, "")
    .split("-");
  const action = parts.pop();
  return `${parts.join("_")}.${action}`;
}

describe.skipIf(!existsSync(samplesDir))("Bling webhook samples (../shared/samples/bling)", () => {
  const samples = existsSync(samplesDir)
    ? readdirSync(samplesDir)
        .filter((f) => f.startsWith("webhook-") && f.endsWith(".json") && !f.endsWith(".meta.json"))
        .map((f) => {
          const name = f.slice(0, -".json".length);
          const json: unknown = JSON.parse(readFileSync(join(samplesDir, f), "utf8"));
          const wrapped = typeof json === "object" && json !== null && "event" in json;
          return { name, raw: wrapped ? json : envelope(sampleEvent(name), json) };
        })
    : [];

  it("has webhook samples", () => {
    expect(samples.length).toBeGreaterThan(5);
  });

  it.each(samples.map((s) => [s.name, s.raw] as const))(
    "%s reads the same raw and stored, with string ids",
    (_name, raw) => {
      const read = blingInboxSchema.parse(raw);
      expect(blingInboxSchema.parse(storedToday(raw))).toEqual(read);
      expect(read.resource).not.toBe("other");
      for (const [k, v] of Object.entries(read))
        if (k.endsWith("Id") && v !== null) expect(v).toMatch(/^\d+$/);
    },
  );
});

describe("Zydon order inbox payloads", () => {
  it("reads today's stored form and the older shapes", () => {
    const stored = zydonOrderInboxPayload({
      orderId: "ord-1",
      organizationId: "org-1",
      amountValue: 10,
      deliveryId: null,
    });
    expect(readZydonOrderInbox({ payload: JSON.parse(JSON.stringify(stored)), eventId: "order:ord-1" })).toBe(
      "ord-1",
    );
    expect(readZydonOrderInbox({ payload: { order_id: 42 }, eventId: "order:42" })).toBe("42");
    expect(readZydonOrderInbox({ payload: { id: "ord-3" }, eventId: "order:ord-3" })).toBe("ord-3");
    expect(readZydonOrderInbox({ payload: {}, eventId: "order:ord-4" })).toBe("ord-4");
  });
});
