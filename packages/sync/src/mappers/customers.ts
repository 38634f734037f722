import { type FiscalIdentity, onlyDigits } from "../domain/documents.js";
import type { BlingContact } from "../ports/bling-port.js";
import type { ZydonPartnerWrite } from "../ports/zydon-port.js";

/** Bling contact (with a qualifying fiscal identity) → Zydon partner. */
export function mapContactToPartner(
  c: BlingContact,
  identity: Exclude<FiscalIdentity, { kind: "none" }>,
): ZydonPartnerWrite {
  const isCompany = identity.kind === "cnpj" || (identity.kind === "ie" && c.tipo === "J");
  const e = c.endereco;
  return {
    name: c.nome.trim(),
    type: isCompany ? "PJ" : "PF",
    fiscal_registration_number:
      identity.kind === "cpf" || identity.kind === "cnpj" ? identity.document : null,
    state_registration:
      identity.kind === "ie"
        ? identity.document
        : identity.kind === "rg"
          ? identity.document
          : c.ie?.trim() || null,
    email: c.email?.trim() || null,
    phone: c.telefone?.trim() || null,
    mobile: c.celular?.trim() || null,
    active: c.situacao === "A",
    addresses: e
      ? [
          {
            street: e.endereco,
            number: e.numero,
            complement: e.complemento,
            neighborhood: e.bairro,
            city: e.municipio,
            state: e.uf,
            postal_code: e.cep ? onlyDigits(e.cep) : null,
            main_address: true,
          },
        ]
      : [],
  };
}
