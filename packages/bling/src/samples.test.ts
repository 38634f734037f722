import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readProcessEnv } from "@zb/config";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  type BlingError,
  BlingInsufficientScopeError,
  BlingInvalidClientError,
  BlingInvalidGrantError,
  BlingRateLimitedError,
  BlingServerError,
  BlingTokenError,
  BlingValidationError,
  mapBlingApiError,
  mapBlingOAuthError,
} from "./errors.js";
import { tokenResponseSchema, toTokenSet } from "./oauth.js";
import { contactDetailResponseSchema, contactDetailSchema } from "./schemas/contacts.js";
import { situacaoListSchema } from "./schemas/misc.js";
import {
  batchAlertsResponseSchema,
  orderCreateBodySchema,
  orderCreateResponseSchema,
  orderDetailResponseSchema,
  orderDetailSchema,
} from "./schemas/orders.js";
import { paymentMethodDetailResponseSchema, paymentMethodListSchema } from "./schemas/payment-methods.js";
import {
  productDetailResponseSchema,
  productDetailSchema,
  productListSchema,
  stockBalanceListSchema,
} from "./schemas/products.js";
import { parseBlingWebhook, signBlingPayload, verifyBlingSignature } from "./webhooks.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const samplesDir = readProcessEnv().BLING_SAMPLES_DIR || join(repoRoot, "..", "shared", "samples", "bling");
const present = existsSync(samplesDir);

interface Sample {
  name: string;
  json: unknown;
  meta: { notes?: string; provenance?: string; source?: string };
}

function loadSamples(): Sample[] {
  return readdirSync(samplesDir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".meta.json"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -".json".length);
      const metaPath = join(samplesDir, `${name}.meta.json`);
      return {
        name,
        json: JSON.parse(readFileSync(join(samplesDir, f), "utf8")) as unknown,
        meta: existsSync(metaPath) ? JSON.parse(readFileSync(metaPath, "utf8")) : {},
      };
    });
}

/** Entity samples whose meta says they are "not wrapped in {data}" are parsed with the bare entity schema. */
function notWrapped(s: Sample): boolean {
  return /not wrapped in \{data\}/i.test(`${s.meta.provenance ?? ""} ${s.meta.notes ?? ""}`);
}

function parseEither<E extends z.ZodType, W extends z.ZodType>(s: Sample, entity: E, wrapped: W) {
  return notWrapped(s) ? entity.parse(s.json) : wrapped.parse(s.json);
}

/** Error samples: the HTTP status each was documented with (from its meta) and the class it must map to. */
const errorSamples: Record<
  string,
  { status: number; oauth?: boolean; expect: abstract new (...a: never[]) => BlingError }
> = {
  "error-400-malformed-auth-1": { status: 400, expect: BlingTokenError },
  "error-401-expired-token-1": { status: 401, expect: BlingTokenError },
  "error-401-invalid-token-1": { status: 401, expect: BlingTokenError },
  "error-403-insufficient-scope-1": { status: 403, expect: BlingInsufficientScopeError },
  "error-429-day-1": { status: 429, expect: BlingRateLimitedError },
  "error-429-day-2": { status: 429, expect: BlingRateLimitedError },
  "error-429-second-1": { status: 429, expect: BlingRateLimitedError },
  "error-500-server-1": { status: 500, expect: BlingServerError },
  "error-missing-required-1": { status: 400, expect: BlingValidationError },
  "error-validation-1": { status: 400, expect: BlingValidationError },
  "error-validation-3": { status: 400, expect: BlingValidationError },
  "error-validation-4": { status: 400, expect: BlingValidationError },
  "error-validation-5": { status: 400, expect: BlingValidationError },
  // Status not documented for these token-endpoint errors; the mapping must not depend on it.
  "error-oauth-empresa-inativa-1": { status: 400, oauth: true, expect: BlingInvalidGrantError },
  "error-oauth-invalid-client-1": { status: 401, oauth: true, expect: BlingInvalidClientError },
  "error-oauth-invalid-grant-1": { status: 400, oauth: true, expect: BlingInvalidGrantError },
};

/** `webhook-order-created-docs-data-1` → `order.created`; `virtual-stock` → `virtual_stock`. */
function webhookEvent(name: string): string {
  const core = name.replace(/^webhook-/, "").replace(/(-docs-data)?-\d+$/, "");
  const parts = core.split("-");
  const action = parts.pop() as string;
  return `${parts.join("_")}.${action}`;
}

function webhookEnvelope(s: Sample): Record<string, unknown> {
  const j = s.json as Record<string, unknown>;
  if (typeof j.event === "string") return j;
  return {
    eventId: "01945027-150e-72b4-e7cf-4943a042cd9c",
    date: "2025-01-10T12:18:46Z",
    version: "v1",
    event: webhookEvent(s.name),
    companyId: "d4475854366a36c86a37e792f9634a51",
    data: j,
  };
}

type Check = (s: Sample) => void;
// Loose JSON view for the corruption tests (index freely, then assign).
// biome-ignore lint/suspicious/noExplicitAny: test-only mutation of parsed sample JSON
type Json = any;

/** Sample-name prefix → the parser that must accept it, plus checks of what matters (ids, amounts). */
const parsers: Array<[prefix: string, check: Check]> = [
  [
    "contact-detail-",
    (s) => {
      const c = parseEither(s, contactDetailSchema, contactDetailResponseSchema);
      expect(Number.isSafeInteger(c.id)).toBe(true);
      expect(c.nome).toBeTruthy();
    },
  ],
  [
    "error-partial-batch-",
    (s) => {
      const r = batchAlertsResponseSchema.parse(s.json);
      expect(r.alertas[0]?.id).toBe(12345678);
      expect(r.alertas[0]?.error?.type).toBe("VALIDATION_ERROR");
      const e = mapBlingApiError({ status: 400, body: { error: r.alertas[0]?.error } });
      expect((e as BlingValidationError).fieldLines()).toEqual([
        "parcelas[1].formaPagamento: Id da forma de pagamento inválido.",
      ]);
    },
  ],
  [
    "error-",
    (s) => {
      const spec = errorSamples[s.name];
      if (!spec) throw new Error(`error sample ${s.name} has no status/class mapping in samples.test.ts`);
      const e = (spec.oauth ? mapBlingOAuthError : mapBlingApiError)({ status: spec.status, body: s.json });
      expect(e).toBeInstanceOf(spec.expect);
      expect(e.type).toBe((s.json as { error: { type: string } }).error.type);
      if (e instanceof BlingRateLimitedError) {
        expect(e.period).toBe(s.name.includes("-day-") ? "day" : "second");
        expect(e.limit).toBe(s.name.includes("-day-") ? 120000 : 3);
      }
      if (e instanceof BlingValidationError) {
        expect(e.fieldLines().length).toBeGreaterThan(0);
        for (const line of e.fieldLines()) expect(line).not.toMatch(/undefined/);
      }
    },
  ],
  [
    "oauth-token-response-",
    (s) => {
      const now = new Date("2025-01-01T00:00:00Z");
      const t = toTokenSet(tokenResponseSchema.parse(s.json), now);
      expect(t.accessExpiresAt.getTime() - now.getTime()).toBe(21600 * 1000);
      expect(t.scope.split(" ").every((x) => /^\d+$/.test(x))).toBe(true);
    },
  ],
  [
    "order-create-request-",
    (s) => {
      const o = orderCreateBodySchema.parse(s.json);
      expect(o.itens.length).toBeGreaterThan(0);
      for (const item of o.itens) expect(Number.isFinite(item.quantidade * item.valor)).toBe(true);
    },
  ],
  [
    "order-create-response-",
    (s) => {
      const r = orderCreateResponseSchema.parse(s.json);
      expect(r.id).toBe(12345678);
      expect(r.alertas.length).toBeGreaterThan(0);
    },
  ],
  [
    "order-detail-",
    (s) => {
      const o = parseEither(s, orderDetailSchema, orderDetailResponseSchema);
      expect(Number.isSafeInteger(o.id)).toBe(true);
      for (const p of o.parcelas) expect(typeof p.valor).toBe("number");
    },
  ],
  [
    "payment-method-detail-",
    (s) => {
      const p = paymentMethodDetailResponseSchema.parse(s.json);
      expect(typeof p.tipoPagamento).toBe("number");
    },
  ],
  [
    "payment-methods-list-",
    (s) => {
      expect(paymentMethodListSchema.parse(s.json).length).toBeGreaterThan(0);
    },
  ],
  [
    "product-detail-variations-",
    (s) => {
      const p = parseEither(s, productDetailSchema, productDetailResponseSchema);
      expect(p.variacoes.length).toBeGreaterThan(0);
      for (const v of p.variacoes) {
        expect(Number.isSafeInteger(v.id)).toBe(true);
        expect(v.axes.length).toBeGreaterThan(0);
      }
    },
  ],
  [
    "product-list-",
    (s) => {
      const list = productListSchema.parse(s.json);
      expect(list.length).toBeGreaterThan(0);
      for (const p of list) expect(typeof p.preco).toBe("number");
    },
  ],
  [
    "situacoes-modulo-",
    (s) => {
      expect(situacaoListSchema.parse(s.json).every((x) => x.nome)).toBe(true);
    },
  ],
  [
    "stock-balances-",
    (s) => {
      for (const b of stockBalanceListSchema.parse(s.json)) {
        expect(typeof b.saldoFisicoTotal).toBe("number");
        expect(typeof b.saldoVirtualTotal).toBe("number");
      }
    },
  ],
  [
    "webhook-",
    (s) => {
      const env = webhookEnvelope(s);
      const raw = Buffer.from(JSON.stringify(env), "utf8");
      const secret = "sample-client-secret";
      const header = signBlingPayload(raw, secret);
      expect(verifyBlingSignature(raw, header, secret)).toBe(true);
      // Forged: same body, other secret; tampered: one byte changed; re-serialized: pretty-printed.
      expect(verifyBlingSignature(raw, signBlingPayload(raw, "attacker"), secret)).toBe(false);
      const tampered = Buffer.from(raw);
      tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 1;
      expect(verifyBlingSignature(tampered, header, secret)).toBe(false);
      expect(verifyBlingSignature(JSON.stringify(env, null, 2), header, secret)).toBe(false);

      const event = parseBlingWebhook(JSON.parse(raw.toString("utf8")));
      expect(event.kind).toBe(env.event);
      expect(event.eventId).toBe(env.eventId);
    },
  ],
];

function parserFor(name: string): Check | undefined {
  return parsers.find(([prefix]) => name.startsWith(prefix))?.[1];
}

(present ? describe : describe.skip)(
  `Bling shared samples (${present ? samplesDir : `missing: set BLING_SAMPLES_DIR (looked in ${samplesDir})`})`,
  () => {
    const samples = present ? loadSamples() : [];

    it("finds samples, and every one has a parser mapping", () => {
      expect(samples.length).toBeGreaterThan(0);
      expect(samples.filter((s) => !parserFor(s.name)).map((s) => s.name)).toEqual([]);
    });

    for (const s of samples) {
      it(`accepts ${s.name}`, () => {
        const check = parserFor(s.name);
        if (!check) throw new Error(`no parser mapped for sample ${s.name}`);
        check(s);
      });
    }

    it("rejects samples whose ids or amounts are corrupted", () => {
      const byName = new Map(samples.map((s) => [s.name, s]));
      const corrupt = (name: string, mutate: (j: Json) => void) => {
        const s = byName.get(name);
        if (!s) throw new Error(`sample ${name} missing`);
        const copy = structuredClone(s.json);
        mutate(copy);
        return copy;
      };
      expect(
        productListSchema.safeParse(corrupt("product-list-2", (j) => (j.data[0].id = "12ab"))).success,
      ).toBe(false);
      expect(
        stockBalanceListSchema.safeParse(
          corrupt("stock-balances-1", (j) => (j.data[0].saldoFisicoTotal = "1.500,75")),
        ).success,
      ).toBe(false);
      expect(
        orderDetailResponseSchema.safeParse(corrupt("order-detail-2", (j) => (j.data.itens[0].valor = "")))
          .success,
      ).toBe(false);
      expect(
        orderCreateBodySchema.safeParse(corrupt("order-create-request-3", (j) => (j.contato.id = -1)))
          .success,
      ).toBe(false);
      expect(() =>
        parseBlingWebhook({
          ...webhookEnvelope(byName.get("webhook-product-updated-1") as Sample),
          data: { id: 1.5 },
        }),
      ).toThrow();
    });
  },
);
