import {
  BlingInvalidGrantError,
  BlingNetworkError,
  BlingRetryCapError,
  BlingServerError,
  BlingValidationError,
} from "@zb/bling";
import { ZydonAuthError, ZydonServerError, ZydonValidationError } from "@zb/zydon";
import { describe, expect, it } from "vitest";
import { BlingReauthRequiredError } from "../tokens/token-manager.js";
import { describeStepFailure, readRunFailure } from "./run-failure.js";

const zydon = { method: "POST", path: "/v1/products" };

describe("describeStepFailure: why a step stopped and what the merchant does next", () => {
  const cases: Array<[string, unknown, number, RegExp, RegExp]> = [
    [
      "Bling refused the access",
      new BlingReauthRequiredError("t-1"),
      1,
      /O Bling não aceita mais o acesso/,
      /^Reconecte o Bling em Conexão/,
    ],
    [
      "Bling refused the grant",
      new BlingInvalidGrantError({ status: 400 }),
      1,
      /O Bling não aceita mais o acesso/,
      /^Reconecte o Bling/,
    ],
    [
      "Zydon refused the app's key",
      new ZydonAuthError({ status: 401, ...zydon }),
      1,
      /O Zydon recusou a chave de acesso do app/,
      /^Instale o app de novo pelo App Center/,
    ],
    [
      "Bling 5xx every attempt",
      new BlingServerError({ status: 503 }),
      8,
      /^O Bling respondeu com erro \(HTTP 503\) em 8 tentativas seguidas\.$/,
      /^Clique em “Tentar de novo”: a sincronização continua de onde parou\. Se o Bling continuar instável/,
    ],
    [
      "Zydon 5xx whose body says 'Erro desconhecido'",
      new ZydonServerError({ status: 500, ...zydon, envelope: { message: "Erro desconhecido" } }),
      8,
      /^O Zydon respondeu com erro \(HTTP 500\) em 8 tentativas seguidas\.$/,
      /Tentar de novo/,
    ],
    [
      "Bling timed out, once",
      new BlingNetworkError(true, false),
      1,
      /^O Bling não respondeu \(tempo esgotado\) na única tentativa\.$/,
      /Se o Bling continuar fora do ar/,
    ],
    [
      "Bling refused a request, in its own words",
      new BlingValidationError([{ element: "codigo", msg: "Código inválido." }], { status: 400 }),
      1,
      /^O Bling recusou uma consulta desta etapa \(HTTP 400: codigo: Código inválido\.\)\.$/,
      /fale com o suporte informando o horário/,
    ],
    [
      "Zydon refused a request, in its own words",
      new ZydonValidationError({ status: 422, ...zydon, envelope: { message: "SKU já existe" } }),
      1,
      /^O Zydon recusou uma consulta desta etapa \(HTTP 422: SKU já existe\)\.$/,
      /Tentar de novo/,
    ],
    [
      "the retry cap stopped a call",
      new BlingRetryCapError(5, "attempts"),
      3,
      /O Bling falhou seguidamente na mesma consulta/,
      /Tentar de novo/,
    ],
    [
      "a bug of ours",
      new TypeError("Cannot read properties of undefined (reading 'id')"),
      8,
      /^A etapa parou por uma falha interna da integração em 8 tentativas seguidas\.$/,
      /fale com o suporte/,
    ],
  ];
  it.each(cases)("%s", (_name, err, attempts, reason, nextStep) => {
    const f = describeStepFailure(err, attempts);
    expect(f.reason).toMatch(reason);
    expect(f.nextStep).toMatch(nextStep);
    // Never the vendor's bare "Erro desconhecido", never our own English message.
    expect(`${f.reason} ${f.nextStep}`).not.toMatch(/desconhecido|Cannot read|undefined|server error/i);
  });

  it("reads back what was stored, and nothing from text it cannot read", () => {
    const f = describeStepFailure(new BlingServerError({ status: 502 }), 2);
    expect(readRunFailure(JSON.stringify(f))).toEqual(f);
    expect(readRunFailure(null)).toBeNull();
    expect(readRunFailure("Bling server error (HTTP 502)")).toBeNull();
    expect(readRunFailure(JSON.stringify({ reason: "" }))).toBeNull();
  });
});
