import { BlingNetworkError, BlingRetryCapError, BlingServerError, BlingValidationError } from "@zb/bling";
import { ZydonServerError, ZydonValidationError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { errorMessage } from "./context.js";

const at = { method: "POST", path: "/v1/products" };

describe("errorMessage: the vendor's answer in a ledger reason", () => {
  it("quotes what Bling or Zydon said, with the HTTP status, in pt-BR", () => {
    expect(
      errorMessage(new ZydonValidationError({ status: 422, ...at, envelope: { message: "Preço inválido" } })),
    ).toBe("o Zydon respondeu “Preço inválido” (HTTP 422)");
    expect(
      errorMessage(
        new BlingValidationError([{ element: "codigo", msg: "Código já cadastrado." }], { status: 400 }),
      ),
    ).toBe("o Bling respondeu “codigo: Código já cadastrado.” (HTTP 400)");
  });

  it("never a bare 'Erro desconhecido', never our English message with method and path", () => {
    const unknown = new ZydonValidationError({
      status: 400,
      ...at,
      envelope: { message: "Erro desconhecido" },
    });
    expect(errorMessage(unknown)).toBe("o Zydon respondeu com erro (HTTP 400) sem informar o motivo");
    const silent = new ZydonServerError({ status: 500, ...at });
    expect(errorMessage(silent)).toBe("o Zydon respondeu com erro (HTTP 500) sem informar o motivo");
    expect(errorMessage(new BlingServerError({ status: 502 }))).toBe(
      "o Bling respondeu com erro (HTTP 502) sem informar o motivo",
    );
    expect(errorMessage(new BlingNetworkError(true, false))).toBe("o Bling não respondeu");
    for (const e of [unknown, silent]) expect(errorMessage(e)).not.toMatch(/POST|\/v1|→|desconhecido/);
  });

  it("keeps an error's own pt-BR message, and any other error's message", () => {
    expect(errorMessage(new BlingRetryCapError(5, "attempts"))).toMatch(/^o Bling falhou 5 vezes seguidas/);
    expect(errorMessage(new Error("Mapeamento sem SKU."))).toBe("Mapeamento sem SKU.");
    expect(errorMessage("texto")).toBe("texto");
  });
});
