import { describe, expect, it } from "vitest";
import {
  BlingInsufficientScopeError,
  BlingInvalidClientError,
  BlingInvalidGrantError,
  BlingIpBlockedError,
  BlingNotFoundError,
  BlingRateLimitedError,
  BlingServerError,
  BlingTokenError,
  BlingValidationError,
  flattenBlingFields,
  mapBlingApiError,
  mapBlingOAuthError,
  msUntilNextSaoPauloDay,
} from "./errors.js";

const err = (type: string, extra: Record<string, unknown> = {}) => ({
  error: { type, message: "m", description: "d", ...extra },
});

describe("mapBlingApiError", () => {
  it("maps 429 by period, never by description text", () => {
    const sec = mapBlingApiError({
      status: 429,
      body: err("TOO_MANY_REQUESTS", { limit: 3, period: "second", description: "por dia" }),
    });
    expect(sec).toBeInstanceOf(BlingRateLimitedError);
    expect((sec as BlingRateLimitedError).period).toBe("second");
    expect((sec as BlingRateLimitedError).limit).toBe(3);
    expect(sec.action).toBe("wait");
    expect(sec.retryAfterMs).toBe(1000);

    const now = Date.parse("2025-03-10T12:00:00Z"); // 09:00 in São Paulo → 15 h to midnight
    const day = mapBlingApiError({
      status: 429,
      body: err("TOO_MANY_REQUESTS", { limit: 120000, period: "day", description: "por segundo" }),
      now,
    });
    expect((day as BlingRateLimitedError).period).toBe("day");
    expect(day.retryAfterMs).toBe(15 * 3600 * 1000);
  });

  it("maps a bare 429 (no period) as per-second and honours Retry-After when present", () => {
    const e = mapBlingApiError({
      status: 429,
      body: { error: { type: "TOO_MANY_REQUESTS" } },
      retryAfterHeader: "3",
    });
    expect(e).toBeInstanceOf(BlingRateLimitedError);
    expect((e as BlingRateLimitedError).period).toBe("second");
    expect(e.retryAfterMs).toBe(3000);
  });

  it("maps 401/403/404/400/5xx by status and type", () => {
    expect(mapBlingApiError({ status: 401, body: err("invalid_token") })).toBeInstanceOf(BlingTokenError);
    expect(mapBlingApiError({ status: 400, body: err("invalid_request") })).toBeInstanceOf(BlingTokenError);
    const scope = mapBlingApiError({ status: 403, body: err("insufficient_scope") });
    expect(scope).toBeInstanceOf(BlingInsufficientScopeError);
    expect(scope.action).toBe("reconnect");
    const blocked = mapBlingApiError({ status: 403, body: err("FORBIDDEN"), path: "/produtos" });
    expect(blocked).toBeInstanceOf(BlingIpBlockedError);
    expect(blocked.retryAfterMs).toBe(10 * 60_000);
    expect(mapBlingApiError({ status: 404, body: err("RESOURCE_NOT_FOUND") })).toBeInstanceOf(
      BlingNotFoundError,
    );
    const v = mapBlingApiError({ status: 400, body: err("VALIDATION_ERROR") });
    expect(v).toBeInstanceOf(BlingValidationError);
    expect(v.action).toBe("give_up");
    const s = mapBlingApiError({ status: 503, body: err("SERVER_ERROR") });
    expect(s).toBeInstanceOf(BlingServerError);
    expect(s.action).toBe("retry");
  });

  it("maps unknown body shapes by status alone", () => {
    expect(mapBlingApiError({ status: 401, body: "<html>nope</html>" })).toBeInstanceOf(BlingTokenError);
    expect(mapBlingApiError({ status: 404, body: undefined })).toBeInstanceOf(BlingNotFoundError);
    expect(mapBlingApiError({ status: 422, body: { weird: true } })).toBeInstanceOf(BlingValidationError);
    expect(mapBlingApiError({ status: 502, body: "Bad gateway" })).toBeInstanceOf(BlingServerError);
    expect(mapBlingApiError({ status: 429, body: null })).toBeInstanceOf(BlingRateLimitedError);
  });

  it("keeps method, path template and Bling's description in the message", () => {
    const e = mapBlingApiError({
      status: 404,
      body: err("RESOURCE_NOT_FOUND"),
      method: "GET",
      path: "/produtos/{idProduto}",
    });
    expect(e.message).toContain("GET /produtos/{idProduto}");
    expect(e.message).toContain("HTTP 404");
    expect(e.status).toBe(404);
    expect(e.type).toBe("RESOURCE_NOT_FOUND");
  });
});

describe("mapBlingOAuthError", () => {
  it("treats grant refusals as reconnect and bad credentials as give_up", () => {
    expect(mapBlingOAuthError({ status: 400, body: err("invalid_grant") })).toBeInstanceOf(
      BlingInvalidGrantError,
    );
    expect(mapBlingOAuthError({ status: 400, body: err("VALIDATION_ERROR") })).toBeInstanceOf(
      BlingInvalidGrantError,
    );
    expect(mapBlingOAuthError({ status: 401, body: err("UNAUTHORIZED_ERROR") })).toBeInstanceOf(
      BlingInvalidGrantError,
    );
    const client = mapBlingOAuthError({ status: 401, body: err("invalid_client") });
    expect(client).toBeInstanceOf(BlingInvalidClientError);
    expect(client.action).toBe("give_up");
  });

  it("accepts RFC 6749's flat error form", () => {
    const e = mapBlingOAuthError({
      status: 400,
      body: { error: "invalid_grant", error_description: "expired" },
    });
    expect(e).toBeInstanceOf(BlingInvalidGrantError);
    expect(e.description).toBe("expired");
  });

  it("maps a token-endpoint 403 to a 60-minute IP block and 429 to a rate limit", () => {
    const blocked = mapBlingOAuthError({ status: 403, body: undefined, path: "/Api/v3/oauth/token" });
    expect(blocked).toBeInstanceOf(BlingIpBlockedError);
    expect(blocked.retryAfterMs).toBe(60 * 60_000);
    expect(mapBlingOAuthError({ status: 429, body: err("TOO_MANY_REQUESTS") })).toBeInstanceOf(
      BlingRateLimitedError,
    );
  });
});

describe("flattenBlingFields", () => {
  it("flattens nested collections into pt-BR lines with indexes", () => {
    const lines = flattenBlingFields([
      {
        code: 49,
        msg: "Uma ou mais parcelas da venda possuem erros de validação",
        element: "parcelas",
        collection: [
          { index: 1, code: 12, msg: "Id da forma de pagamento inválido.", element: "formaPagamento" },
        ],
      },
      { code: 3, msg: "Campo obrigatório.", element: "contato" },
      { msg: "Erro geral." },
    ]);
    expect(lines).toEqual([
      "parcelas[1].formaPagamento: Id da forma de pagamento inválido.",
      "contato: Campo obrigatório.",
      "Erro geral.",
    ]);
  });

  it("falls back to the description when there are no fields", () => {
    const e = mapBlingApiError({
      status: 400,
      body: err("VALIDATION_ERROR", { description: "Dados inválidos." }),
    });
    expect((e as BlingValidationError).fieldLines()).toEqual(["Dados inválidos."]);
  });
});

describe("msUntilNextSaoPauloDay", () => {
  it("counts to midnight in Brasília time", () => {
    // 2025-06-01 23:59:00 in São Paulo (UTC-3) = 02:59:00Z next day
    expect(msUntilNextSaoPauloDay(Date.parse("2025-06-02T02:59:00Z"))).toBe(60_000);
  });
});
