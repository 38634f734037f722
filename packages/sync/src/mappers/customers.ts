import { type FiscalIdentity, onlyDigits } from "../domain/documents.js";
import type { ErpContact, ErpContactInput } from "../ports/bling-port.js";
import type { PortalPartner, PortalPartnerWrite } from "../ports/zydon-port.js";

/** Bling contact (with a qualifying fiscal identity) → Zydon partner. */
export function mapContactToPartner(
  c: ErpContact,
  identity: Exclude<FiscalIdentity, { kind: "none" }>,
): PortalPartnerWrite {
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

/** Zydon partner (the buyer of an order) → Bling contact to create; empty fields are left out. */
export function partnerToContact(p: PortalPartner): ErpContactInput {
  const doc = onlyDigits(p.fiscal_registration_number);
  const a = p.address;
  return {
    nome: p.name,
    tipo: doc.length === 14 ? "J" : "F",
    situacao: "A",
    ...(doc ? { numeroDocumento: doc } : {}),
    ...(p.state_registration
      ? doc.length === 14
        ? { ie: p.state_registration }
        : { rg: p.state_registration }
      : {}),
    ...(p.email ? { email: p.email } : {}),
    ...(p.phone ? { telefone: p.phone } : {}),
    ...(p.mobile ? { celular: p.mobile } : {}),
    ...(a
      ? {
          endereco: {
            geral: {
              ...(a.street ? { endereco: a.street } : {}),
              ...(a.number ? { numero: a.number } : {}),
              ...(a.complement ? { complemento: a.complement } : {}),
              ...(a.neighborhood ? { bairro: a.neighborhood } : {}),
              ...(a.postal_code ? { cep: a.postal_code } : {}),
              ...(a.city ? { municipio: a.city } : {}),
              ...(a.state ? { uf: a.state } : {}),
            },
          },
        }
      : {}),
  };
}
