import { generateCnpj, generateCpf } from "@zb/testing";
import { describe, expect, it } from "vitest";
import { fiscalIdentity } from "../domain/documents.js";
import { blingContact } from "../test-support/fake-bling.js";
import { mapContactToPartner } from "./customers.js";

function mapped(c: Parameters<typeof blingContact>[0]) {
  const contact = blingContact(c);
  const identity = fiscalIdentity(contact);
  if (identity.kind === "none") throw new Error(`expected a fiscal identity: ${identity.reason}`);
  return mapContactToPartner(contact, identity);
}

describe("mapContactToPartner", () => {
  it("a CPF customer is PF with the CPF digits as fiscal number; the IE rides along", () => {
    const cpf = generateCpf();
    const p = mapped({
      nome: " Maria Souza ",
      numeroDocumento: `${cpf.slice(0, 3)}.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-${cpf.slice(9)}`,
      ie: " 123456 ",
      email: " maria@example.com ",
      telefone: "",
      celular: "11 99999-0000",
      endereco: {
        endereco: "Rua A",
        numero: "10",
        complemento: null,
        bairro: "Centro",
        cep: "01310-100",
        municipio: "São Paulo",
        uf: "SP",
      },
    });
    expect(p).toEqual({
      name: "Maria Souza",
      type: "PF",
      fiscal_registration_number: cpf,
      state_registration: "123456",
      email: "maria@example.com",
      phone: null,
      mobile: "11 99999-0000",
      active: true,
      addresses: [
        {
          street: "Rua A",
          number: "10",
          complement: null,
          neighborhood: "Centro",
          city: "São Paulo",
          state: "SP",
          postal_code: "01310100",
          main_address: true,
        },
      ],
    });
  });

  it("a CNPJ customer is PJ; no address means no addresses", () => {
    const cnpj = generateCnpj();
    const p = mapped({ nome: "Ferragens Ltda", tipo: "J", numeroDocumento: cnpj });
    expect(p).toMatchObject({ type: "PJ", fiscal_registration_number: cnpj, state_registration: null });
    expect(p.addresses).toEqual([]);
  });

  it("IE only: no fiscal number, the IE as state registration; PJ when the contact is a company", () => {
    expect(mapped({ nome: "Empresa", tipo: "J", ie: "110.042.490.114" })).toMatchObject({
      type: "PJ",
      fiscal_registration_number: null,
      state_registration: "110.042.490.114",
    });
    expect(mapped({ nome: "Produtor rural", tipo: "F", ie: "110042490114" })).toMatchObject({
      type: "PF",
      state_registration: "110042490114",
    });
  });

  it("RG only: PF with the RG as state registration", () => {
    expect(mapped({ nome: "João", rg: "12.345.678-9" })).toMatchObject({
      type: "PF",
      fiscal_registration_number: null,
      state_registration: "12.345.678-9",
    });
  });

  it("an inactive contact maps as inactive", () => {
    expect(mapped({ nome: "Antigo", numeroDocumento: generateCpf(), situacao: "I" }).active).toBe(false);
  });
});

describe("fiscalIdentity (who may become a Zydon partner)", () => {
  it("without CPF/CNPJ nor IE/RG there is no identity, with a pt-BR reason", () => {
    const none = fiscalIdentity(blingContact({ nome: "Sem documento" }));
    expect(none).toEqual({ kind: "none", reason: expect.stringContaining("sem CPF/CNPJ") });
  });

  it("an invalid CPF without IE/RG is refused and the reason names the document", () => {
    expect(fiscalIdentity({ numeroDocumento: "111.111.111-11" })).toEqual({
      kind: "none",
      reason: expect.stringContaining("11111111111"),
    });
  });

  it("ISENTO is not an IE number; an invalid CPF falls back to a valid IE", () => {
    expect(fiscalIdentity({ ie: "ISENTO" }).kind).toBe("none");
    expect(fiscalIdentity({ numeroDocumento: "123", ie: "isento", rg: "1234567" })).toEqual({
      kind: "rg",
      document: "1234567",
    });
    expect(fiscalIdentity({ numeroDocumento: "12345678900", ie: "123456" })).toEqual({
      kind: "ie",
      document: "123456",
    });
  });
});
