import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  BlingWebhookPayloadError,
  parseBlingWebhook,
  signBlingPayload,
  verifyBlingSignature,
} from "./webhooks.js";

const secret = "app-client-secret";
const envelope = (event: string, data: unknown, date = "2025-01-10T12:18:46Z") => ({
  eventId: "01945027-150e-72b4-e7cf-4943a042cd9c",
  date,
  version: "v1",
  event,
  companyId: "d4475854366a36c86a37e792f9634a51",
  data,
});

describe("verifyBlingSignature", () => {
  const raw = Buffer.from(JSON.stringify(envelope("product.deleted", { id: 1, nome: "Ação ☕" })), "utf8");
  const good = `sha256=${createHmac("sha256", secret).update(raw).digest("hex")}`;

  it("accepts the HMAC of the raw bytes (Buffer or string)", () => {
    expect(verifyBlingSignature(raw, good, secret)).toBe(true);
    expect(verifyBlingSignature(raw.toString("utf8"), good, secret)).toBe(true);
    expect(verifyBlingSignature(raw, good.toUpperCase().replace("SHA256=", "sha256="), secret)).toBe(true);
    expect(signBlingPayload(raw, secret)).toBe(good);
  });

  it("rejects wrong secret, altered body, missing/malformed/short headers", () => {
    expect(verifyBlingSignature(raw, good, "other")).toBe(false);
    expect(verifyBlingSignature(Buffer.concat([raw, Buffer.from(" ")]), good, secret)).toBe(false);
    expect(verifyBlingSignature(raw, undefined, secret)).toBe(false);
    expect(verifyBlingSignature(raw, good.slice("sha256=".length), secret)).toBe(false);
    expect(verifyBlingSignature(raw, good.slice(0, -2), secret)).toBe(false);
    expect(verifyBlingSignature(raw, `sha1=${good.slice(7)}`, secret)).toBe(false);
    expect(verifyBlingSignature(raw, good, "")).toBe(false);
  });

  it("fails for a re-serialized body with escaped unicode", () => {
    const reserialized = JSON.stringify(JSON.parse(raw.toString("utf8"))).replace("ç", "\\u00e7");
    expect(verifyBlingSignature(reserialized, good, secret)).toBe(false);
  });
});

describe("parseBlingWebhook", () => {
  it("discriminates on kind and parses ids/amounts strictly", () => {
    const e = parseBlingWebhook(
      envelope("order.updated", {
        id: "123",
        numero: 5,
        total: "10.50",
        situacao: { id: 9, valor: 1 },
        loja: { id: 0 },
      }),
    );
    expect(e.kind).toBe("order.updated");
    if (e.kind !== "order.updated") throw new Error("narrowing");
    expect(e.data.id).toBe(123);
    expect(e.data.total).toBe(10.5);
    expect(e.data.loja).toEqual({ id: null });
    expect(e.date?.toISOString()).toBe("2025-01-10T12:18:46.000Z");
    expect(e.companyId).toBe("d4475854366a36c86a37e792f9634a51");
  });

  it("is lenient about the envelope date format and event case", () => {
    const e = parseBlingWebhook(
      envelope(
        "Stock.Deleted",
        {
          produto: { id: 1 },
          deposito: { id: 2, saldoFisico: 0, saldoVirtual: 0 },
          saldoFisicoTotal: 0,
          saldoVirtualTotal: 0,
        },
        "2025-01-10 12:18:46",
      ),
    );
    expect(e.kind).toBe("stock.deleted");
    expect(e.date?.toISOString()).toBe("2025-01-10T12:18:46.000Z");
    const odd = parseBlingWebhook(envelope("product.deleted", { id: 1 }, "ontem"));
    expect(odd.date).toBeNull();
    expect(odd.rawDate).toBe("ontem");
  });

  it("returns kind unknown for events it does not know", () => {
    const e = parseBlingWebhook(envelope("product_supplier.updated", { whatever: true }));
    expect(e.kind).toBe("unknown");
    if (e.kind === "unknown") expect(e.event).toBe("product_supplier.updated");
  });

  it("throws BlingWebhookPayloadError for a bad envelope or bad ids/amounts in a known event", () => {
    expect(() => parseBlingWebhook({ event: "order.created" })).toThrow(BlingWebhookPayloadError);
    expect(() => parseBlingWebhook("nope")).toThrow(BlingWebhookPayloadError);
    expect(() => parseBlingWebhook(envelope("order.created", { id: "12a" }))).toThrow(/data\.id/);
    expect(() =>
      parseBlingWebhook(
        envelope("virtual_stock.updated", {
          produto: { id: 1 },
          saldoFisicoTotal: "1,5",
          saldoVirtualTotal: 1,
        }),
      ),
    ).toThrow(/saldoFisicoTotal/);
  });
});
