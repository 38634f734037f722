import type { Domain, ProductInput } from "./domain.js";
import {
  type BlingErrorField,
  BlingHttpError,
  bodyText,
  dateRange,
  inRange,
  jsonResponse,
  noContent,
  notFound,
  onlyDigits,
  pageWindow,
  paginate,
  parseBlingDateTime,
  type Query,
  type SimRequest,
  type SimResponse,
  validationError,
} from "./http-util.js";
import type { LimitSettings } from "./limits.js";
import {
  contactSummary,
  invoiceDetail,
  orderDetail,
  orderSummary,
  productDetail,
  productSummary,
} from "./projections.js";
import {
  type Account,
  type BlingCategory,
  type BlingContact,
  type BlingPaymentMethod,
  type ProductRecord,
  VENDAS_MODULE,
} from "./store.js";

export interface ApiContext {
  acc: Account;
  q: Query;
  params: Record<string, number>;
  req: SimRequest;
  now: number;
  domain: Domain;
  limits: LimitSettings;
  nfeCreateShape: "top-level" | "data";
  /** Where the public XML/DANFE links of authorized notes point (the simulator's own origin when served). */
  docBaseUrl: string;
}

export interface Route {
  method: string;
  /** Spec-style template, e.g. `/produtos/{idProduto}` (also the request-log endpoint name). */
  template: string;
  regex: RegExp;
  paramNames: string[];
  handler: (ctx: ApiContext) => SimResponse;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function route(method: string, template: string, handler: Route["handler"]): Route {
  const paramNames: string[] = [];
  const pattern = template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    paramNames.push(name);
    return "(\\d+)";
  });
  return { method, template, regex: new RegExp(`^${pattern}/?$`), paramNames, handler };
}

export function readJson(req: SimRequest): unknown {
  const raw = bodyText(req);
  if (raw.trim() === "") {
    throw new BlingHttpError(
      400,
      "MISSING_REQUIRED_FIELD_ERROR",
      "Não foi possível executar a operação",
      "Nenhum dado foi informado na requisição.",
    );
  }
  try {
    return JSON.parse(raw);
  } catch {
    throw new BlingHttpError(
      400,
      "INVALID_REQUEST_BODY",
      "Não foi possível executar a operação",
      "O corpo da requisição não é um JSON válido.",
    );
  }
}

const data = (status: number, payload: unknown): SimResponse => jsonResponse(status, { data: payload });
const byIdDesc = <T extends { id: number }>(a: T, b: T): number => b.id - a.id;

// --- products ---

const CRITERIO_PRODUTOS: Record<number, string[]> = {
  1: ["A", "I"],
  2: ["A"],
  3: ["I"],
  4: ["E"],
  5: ["A", "I", "E"],
};

function stockFilter(q: Query): (value: number) => boolean {
  const f = q.int("filtroSaldoEstoque") ?? 1;
  if (f === 0) return (v) => v === 0;
  if (f === 1) return (v) => v > 0;
  if (f === 2) return (v) => v < 0;
  throw validationError("filtroSaldoEstoque deve ser 0, 1 ou 2.", undefined, "Parâmetro inválido");
}

/** A list query without its page: the key of its cursor. */
function listKey(q: Query): string {
  return [...q.params.entries()]
    .filter(([k]) => k !== "pagina")
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join("&");
}

function listProducts(ctx: ApiContext): SimResponse {
  const { acc, q } = ctx;
  const criterio = q.int("criterio") ?? 1;
  const situacoes = CRITERIO_PRODUTOS[criterio];
  if (!situacoes) throw validationError("criterio deve estar entre 1 e 5.", undefined, "Parâmetro inválido");
  const tipo = q.str("tipo") ?? "T";
  if (!["T", "P", "S", "E", "PS", "C", "V"].includes(tipo))
    throw validationError("tipo inválido.", undefined, "Parâmetro inválido");
  const inclusao = dateRange(q, "dataInclusao", ctx.now);
  const alteracao = dateRange(q, "dataAlteracao", ctx.now);
  const ids = new Set(q.intList("idsProdutos"));
  const codigos = new Set(q.list("codigos"));
  const gtins = new Set(q.list("gtins"));
  const idCategoria = q.int("idCategoria");
  const idLoja = q.int("idLoja");
  const idComponente = q.int("idComponente");
  const nome = q.str("nome")?.trim().toLowerCase();
  const saldoOk = stockFilter(q);
  const saldoDeposito = q.int("filtroSaldoEstoqueDeposito");
  const inStore =
    idLoja === undefined
      ? undefined
      : new Set([...acc.storeLinks.values()].filter((l) => l.loja.id === idLoja).map((l) => l.produto.id));
  const matches = (rec: ProductRecord): boolean => {
    const p = rec.data;
    if (!situacoes.includes(p.situacao)) return false;
    if (tipo === "P" && p.tipo !== "P") return false;
    if (tipo === "S" && p.tipo !== "S") return false;
    if (tipo === "E" && p.formato !== "E") return false;
    if (tipo === "PS" && (p.formato !== "S" || p.idProdutoPai !== undefined)) return false;
    if (tipo === "C" && p.formato !== "V") return false;
    if (tipo === "V" && p.idProdutoPai === undefined) return false;
    if (idComponente !== undefined && !p.estrutura?.componentes.some((c) => c.produto.id === idComponente))
      return false;
    if (ids.size > 0 && !ids.has(p.id)) return false;
    if (codigos.size > 0 && !codigos.has(p.codigo)) return false;
    if (gtins.size > 0 && !gtins.has(p.gtin ?? "")) return false;
    if (idCategoria !== undefined && p.categoria?.id !== idCategoria) return false;
    if (inStore && !inStore.has(p.id)) return false;
    if (nome && !p.nome.toLowerCase().includes(nome)) return false;
    if (!inRange(rec.createdAt, inclusao) || !inRange(rec.updatedAt, alteracao)) return false;
    return saldoOk(acc.totals(p.id, saldoDeposito).virtual);
  };
  // Newest id first, as Bling lists; the scan stops at the page's last row (lists carry no total) and the
  // next page of the same query resumes where it stopped while nothing changed (a full rescan per page
  // made a sync's listing quadratic in the catalog).
  const { offset, size } = pageWindow(q);
  const key = listKey(q);
  const order = acc.products.idsDesc();
  const cur = acc.listCursors.get(key);
  const fresh =
    cur &&
    cur.productsVersion === acc.products.version &&
    cur.stockVersion === acc.stockVersion &&
    cur.matched <= offset;
  let matched = fresh ? cur.matched : 0;
  let i = fresh ? cur.scanPos : 0;
  const rows: ProductRecord[] = [];
  for (; i < order.length && rows.length < size; i++) {
    const rec = acc.products.get(order[i] as number);
    if (!rec || !matches(rec)) continue;
    if (matched++ >= offset) rows.push(rec);
  }
  if (acc.listCursors.size >= 32 && !acc.listCursors.has(key)) acc.listCursors.clear();
  acc.listCursors.set(key, {
    productsVersion: acc.products.version,
    stockVersion: acc.stockVersion,
    matched,
    scanPos: i,
  });
  return data(
    200,
    rows.map((r) => productSummary(acc, r)),
  );
}

function productFieldErrors(acc: Account, body: Obj, selfId: number | undefined): BlingErrorField[] {
  const fields: BlingErrorField[] = [];
  const err = (element: string, msg: string, code = 1) =>
    fields.push({ code, msg, element, namespace: "PRODUTOS" });
  if (typeof body.nome !== "string" || body.nome.trim() === "")
    err("nome", "O nome do produto deve ser informado.");
  else if (body.nome.length > 120) err("nome", "O nome do produto deve ter no máximo 120 caracteres.");
  if (body.tipo !== undefined && !["P", "S", "N"].includes(body.tipo as string))
    err("tipo", "Tipo do produto inválido.");
  if (body.formato !== undefined && !["S", "V", "E"].includes(body.formato as string))
    err("formato", "Formato do produto inválido.");
  if (body.situacao !== undefined && !["A", "I"].includes(body.situacao as string))
    err("situacao", "Situação do produto inválida.");
  if (body.preco !== undefined && (typeof body.preco !== "number" || body.preco < 0))
    err("preco", "Preço inválido.");
  if (typeof body.codigo === "string" && body.codigo !== "") {
    const clash = acc.productsWithCode(body.codigo).find(
      (r) =>
        r.data.codigo === body.codigo &&
        r.data.id !== selfId &&
        r.data.situacao !== "E" &&
        // A parent's own children may be resent with their codes on PUT/PATCH.
        (selfId === undefined || r.data.idProdutoPai !== selfId),
    );
    if (clash) err("codigo", `O código ${body.codigo} já está sendo utilizado por outro produto.`, 2);
  }
  if (body.variacoes !== undefined) {
    if (!Array.isArray(body.variacoes)) err("variacoes", "variacoes deve ser uma lista.");
    else if (body.formato !== "V") err("formato", "Somente produtos com formato V podem ter variações.");
    else {
      body.variacoes.forEach((v, i) => {
        if (
          !isObj(v) ||
          !isObj(v.variacao) ||
          typeof v.variacao.nome !== "string" ||
          v.variacao.nome === ""
        ) {
          fields.push({
            code: 94,
            msg: `A variação ${i + 1} deve informar variacao.nome (ex.: Cor:Azul;Tamanho:M).`,
            element: "variacoes",
            namespace: "PRODUTOS",
          });
        }
      });
    }
  }
  return fields;
}

function productWrite(ctx: ApiContext, mode: "create" | "replace" | "merge"): SimResponse {
  const body = readJson(ctx.req);
  if (!isObj(body))
    throw new BlingHttpError(
      400,
      "INVALID_REQUEST_BODY",
      "Não foi possível executar a operação",
      "O corpo da requisição deve ser um objeto.",
    );
  const id = mode === "create" ? undefined : ctx.params.idProduto;
  const existing = id !== undefined ? ctx.acc.products.get(id) : undefined;
  if (id !== undefined && !existing) throw notFound("O produto não foi encontrado.");
  const merged: Obj = mode === "merge" && existing ? { ...existing.data, ...body } : body;
  const fields = productFieldErrors(ctx.acc, merged, id);
  // PUT on a formato V parent must resend its variations (Bling error code 93).
  if (mode === "replace" && merged.formato === "V" && !Array.isArray(body.variacoes)) {
    fields.push({
      code: 93,
      msg: "É necessário informar as variações do produto.",
      element: "variacoes",
      namespace: "PRODUTOS",
    });
  }
  if (fields.length > 0)
    throw validationError(
      "O produto não pode ser salvo, pois ocorreram problemas em sua validação.",
      fields,
      "Não foi possível salvar o produto",
    );
  const input = { ...(body as ProductInput), ...(id !== undefined ? { id } : {}) };
  delete (input as Obj).estoque;
  delete (input as Obj).idProdutoPai;
  const r = ctx.domain.upsertProduct(ctx.acc, input, mode === "replace" ? "replace" : "merge");
  const toEntries = (xs: number[]) => xs.map((v) => ({ id: v, variations: {}, warnings: [] as string[] }));
  return jsonResponse(mode === "create" ? 201 : 200, {
    data: {
      id: r.id,
      variations: {
        saved: toEntries(r.variations.saved),
        updated: toEntries(r.variations.updated),
        deleted: toEntries(r.variations.deleted),
      },
      warnings: [],
    },
  });
}

function getProduct(ctx: ApiContext): ProductRecord {
  const rec = ctx.acc.products.get(ctx.params.idProduto as number);
  if (!rec) throw notFound("O produto não foi encontrado.");
  return rec;
}

// --- stock ---

function stockRows(ctx: ApiContext, depositId: number | undefined): SimResponse {
  const { acc, q } = ctx;
  const ids = q.intList("idsProdutos");
  const codigos = q.list("codigos");
  if (ids.length + codigos.length === 0) {
    throw validationError(
      "Informe ao menos um produto em idsProdutos[] ou codigos[].",
      [
        {
          code: 1,
          msg: "O parâmetro idsProdutos é obrigatório.",
          element: "idsProdutos",
          namespace: "ESTOQUES",
        },
      ],
      "Parâmetro obrigatório não informado",
    );
  }
  const cap = ctx.limits.maxIdsPerStockRequest;
  if (ids.length + codigos.length > cap) {
    throw validationError(
      `Informe no máximo ${cap} produtos por requisição.`,
      [
        {
          code: 2,
          msg: `Limite de ${cap} produtos por requisição excedido.`,
          element: "idsProdutos",
          namespace: "ESTOQUES",
        },
      ],
      "Parâmetro inválido",
    );
  }
  const saldoOk = stockFilter(q);
  const wanted = new Set(ids);
  const byCode = new Set(codigos);
  // By index, in the account's insertion order (a scan of the catalog per call was quadratic over a sync).
  const found = new Map<number, ProductRecord>();
  for (const id of wanted) {
    const rec = acc.products.get(id);
    if (rec) found.set(id, rec);
  }
  for (const code of byCode) for (const rec of acc.productsWithCode(code)) found.set(rec.data.id, rec);
  const rows = [...found.values()]
    .sort((a, b) => acc.position(a.data.id) - acc.position(b.data.id))
    .filter((r) => r.data.situacao !== "E")
    .filter((r) => saldoOk(acc.totals(r.data.id, depositId).virtual));
  return data(
    200,
    rows.map((r) => {
      const t = acc.totals(r.data.id, depositId);
      const row: Obj = {
        produto: { id: r.data.id, codigo: r.data.codigo },
        saldoFisicoTotal: t.fisico,
        saldoVirtualTotal: t.virtual,
      };
      if (depositId === undefined) {
        row.depositos = [...acc.balances(r.data.id)].map(([id, c]) => ({
          id,
          saldoFisico: c.fisico,
          saldoVirtual: c.virtual,
        }));
      }
      return row;
    }),
  );
}

// --- contacts ---

function cpfOk(d: string): boolean {
  if (!/^\d{11}$/.test(d) || /^(\d)\1+$/.test(d)) return false;
  const calc = (len: number) => {
    let s = 0;
    for (let i = 0; i < len; i++) s += Number(d[i]) * (len + 1 - i);
    const r = (s * 10) % 11;
    return r === 10 ? 0 : r;
  };
  return calc(9) === Number(d[9]) && calc(10) === Number(d[10]);
}

function cnpjOk(d: string): boolean {
  if (!/^\d{14}$/.test(d) || /^(\d)\1+$/.test(d)) return false;
  const calc = (len: number) => {
    const w = len === 12 ? [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2] : [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const s = w.reduce((acc, x, i) => acc + x * Number(d[i]), 0);
    const r = s % 11;
    return r < 2 ? 0 : 11 - r;
  };
  return calc(12) === Number(d[12]) && calc(13) === Number(d[13]);
}

function contactBody(ctx: ApiContext): Partial<BlingContact> {
  const body = readJson(ctx.req);
  if (!isObj(body))
    throw new BlingHttpError(
      400,
      "INVALID_REQUEST_BODY",
      "Não foi possível executar a operação",
      "O corpo da requisição deve ser um objeto.",
    );
  const fields: BlingErrorField[] = [];
  const err = (element: string, msg: string, code = 1) =>
    fields.push({ code, msg, element, namespace: "CONTATOS" });
  if (typeof body.nome !== "string" || body.nome.trim() === "")
    err("nome", "O nome do contato deve ser informado.");
  if (!["F", "J", "E"].includes(body.tipo as string)) err("tipo", "O tipo de pessoa deve ser F, J ou E.");
  const doc = onlyDigits(typeof body.numeroDocumento === "string" ? body.numeroDocumento : "");
  if (doc !== "" && body.tipo === "F" && !cpfOk(doc)) err("numeroDocumento", "CPF inválido.", 2);
  if (doc !== "" && body.tipo === "J" && !cnpjOk(doc)) err("numeroDocumento", "CNPJ inválido.", 2);
  if (body.situacao !== undefined && !["A", "E", "I", "S"].includes(body.situacao as string))
    err("situacao", "Situação inválida.");
  if (fields.length > 0)
    throw validationError(
      "O contato não pode ser salvo, pois ocorreram problemas em sua validação.",
      fields,
      "Não foi possível salvar o contato",
    );
  const { id: _id, ...rest } = body;
  return rest as Partial<BlingContact>;
}

function contactDetail(c: BlingContact): Obj {
  const addr = (a: Obj | undefined) => ({
    endereco: "",
    cep: "",
    bairro: "",
    municipio: "",
    uf: "",
    numero: "",
    complemento: "",
    ...(a ?? {}),
  });
  return {
    ...c,
    codigo: c.codigo ?? "",
    numeroDocumento: c.numeroDocumento ?? "",
    telefone: c.telefone ?? "",
    celular: c.celular ?? "",
    fantasia: c.fantasia ?? "",
    indicadorIe: c.indicadorIe ?? 9,
    ie: c.ie ?? "",
    rg: c.rg ?? "",
    inscricaoMunicipal: c.inscricaoMunicipal ?? "",
    email: c.email ?? "",
    emailNotaFiscal: c.emailNotaFiscal ?? "",
    endereco: {
      geral: addr(c.endereco?.geral as Obj | undefined),
      cobranca: addr(c.endereco?.cobranca as Obj | undefined),
    },
  };
}

const CRITERIO_CONTATOS: Record<number, (s: string) => boolean> = {
  1: (s) => s !== "E",
  2: (s) => s === "E",
  3: (s) => s !== "E",
  4: (s) => s === "S",
};

function listContacts(ctx: ApiContext): SimResponse {
  const { acc, q } = ctx;
  const criterio = CRITERIO_CONTATOS[q.int("criterio") ?? 3];
  if (!criterio) throw validationError("criterio deve estar entre 1 e 4.", undefined, "Parâmetro inválido");
  const inclusao = dateRange(q, "dataInclusao", ctx.now);
  const alteracao = dateRange(q, "dataAlteracao", ctx.now);
  const pesquisa = q.str("pesquisa")?.trim().toLowerCase();
  const doc = q.str("numeroDocumento");
  const ids = new Set(q.intList("idsContatos"));
  const tipoPessoa = q.int("tipoPessoa");
  const tipo =
    tipoPessoa === undefined ? undefined : ({ 1: "F", 2: "J", 3: "E" } as Record<number, string>)[tipoPessoa];
  const uf = q.str("uf")?.toUpperCase();
  const rows = [...acc.contacts.values()].filter((rec) => {
    const c = rec.data;
    if (!criterio(c.situacao)) return false;
    // The filter is documented as digits only; a masked value matches nothing (as Bling compares raw values).
    if (doc !== undefined && onlyDigits(c.numeroDocumento) !== doc) return false;
    if (ids.size > 0 && !ids.has(c.id)) return false;
    if (tipo !== undefined && c.tipo !== tipo) return false;
    if (uf !== undefined && c.endereco?.geral?.uf?.toUpperCase() !== uf) return false;
    if (pesquisa) {
      const hay = [c.nome, c.fantasia, c.email, c.codigo].map((s) => (s ?? "").toLowerCase());
      const digits = onlyDigits(pesquisa);
      if (
        !hay.some((h) => h.includes(pesquisa)) &&
        !(digits !== "" && onlyDigits(c.numeroDocumento).includes(digits))
      )
        return false;
    }
    return inRange(rec.createdAt, inclusao) && inRange(rec.updatedAt, alteracao);
  });
  rows.sort((a, b) => byIdDesc(a.data, b.data));
  return data(200, paginate(rows, q).map(contactSummary));
}

// --- payment methods ---

const pmSummary = (p: BlingPaymentMethod) => ({
  id: p.id,
  descricao: p.descricao,
  tipoPagamento: p.tipoPagamento,
  situacao: p.situacao,
  fixa: p.fixa,
  padrao: p.padrao,
  finalidade: p.finalidade,
  juros: p.juros ?? 0,
  multa: p.multa ?? 0,
});

const TIPOS_PAGAMENTO = [1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 90, 99];

/** A category as Bling lists it: `categoriaPai.id` is 0 for a root (reference §6.3). */
function categoryView(c: BlingCategory) {
  return { id: c.id, descricao: c.descricao, categoriaPai: c.categoriaPai ?? { id: 0 } };
}

function getCategory(ctx: ApiContext): BlingCategory {
  const c = ctx.acc.categories.get(ctx.params.idCategoriaProduto as number);
  if (!c) throw notFound("A categoria não foi encontrada.");
  return c;
}

/**
 * `POST|PUT /categorias/produtos` body: `descricao` required, `categoriaPai.id` (0 or absent = root) must be
 * an existing category and not the category itself or one of its descendants. `categoriaPai` is undefined
 * when the body has none, null for a root.
 */
function categoryBody(
  ctx: ApiContext,
  selfId: number | undefined,
): { descricao: string; categoriaPai: { id: number } | null | undefined } {
  const body = readJson(ctx.req);
  if (!isObj(body))
    throw new BlingHttpError(
      400,
      "INVALID_REQUEST_BODY",
      "Não foi possível executar a operação",
      "O corpo da requisição deve ser um objeto.",
    );
  const fields: BlingErrorField[] = [];
  const descricao = typeof body.descricao === "string" ? body.descricao.trim() : "";
  if (!descricao)
    fields.push({
      code: 1,
      msg: "A descrição deve ser informada.",
      element: "descricao",
      namespace: "CATEGORIAS",
    });
  let categoriaPai: { id: number } | null | undefined;
  if (body.categoriaPai !== undefined && body.categoriaPai !== null) {
    const id = isObj(body.categoriaPai) ? body.categoriaPai.id : undefined;
    if (id === 0) categoriaPai = null;
    else if (typeof id !== "number" || !ctx.acc.categories.has(id))
      fields.push({
        code: 2,
        msg: "A categoria pai não foi encontrada.",
        element: "categoriaPai",
        namespace: "CATEGORIAS",
      });
    else {
      for (let at: number | undefined = id; at; at = ctx.acc.categories.get(at)?.categoriaPai?.id)
        if (at === selfId) {
          fields.push({
            code: 3,
            msg: "A categoria não pode ser filha de si mesma.",
            element: "categoriaPai",
            namespace: "CATEGORIAS",
          });
          break;
        }
      categoriaPai = { id };
    }
  }
  if (fields.length > 0) throw validationError("A categoria não pode ser salva.", fields);
  return { descricao, categoriaPai };
}

function createPaymentMethod(ctx: ApiContext): SimResponse {
  const body = readJson(ctx.req);
  if (!isObj(body))
    throw new BlingHttpError(
      400,
      "INVALID_REQUEST_BODY",
      "Não foi possível executar a operação",
      "O corpo da requisição deve ser um objeto.",
    );
  const fields: BlingErrorField[] = [];
  if (typeof body.descricao !== "string" || body.descricao.trim() === "")
    fields.push({
      code: 1,
      msg: "A descrição deve ser informada.",
      element: "descricao",
      namespace: "FORMAS_PAGAMENTO",
    });
  if (!TIPOS_PAGAMENTO.includes(body.tipoPagamento as number))
    fields.push({
      code: 2,
      msg: "Tipo de pagamento inválido.",
      element: "tipoPagamento",
      namespace: "FORMAS_PAGAMENTO",
    });
  if (![1, 2, 3].includes(body.finalidade as number))
    fields.push({
      code: 3,
      msg: "Finalidade inválida.",
      element: "finalidade",
      namespace: "FORMAS_PAGAMENTO",
    });
  if (fields.length > 0) throw validationError("A forma de pagamento não pode ser salva.", fields);
  const { id: _id, fixa: _f, ...rest } = body;
  const pm = ctx.domain.upsertPaymentMethod(ctx.acc, rest as Partial<BlingPaymentMethod>);
  return data(201, { id: pm.id });
}

// --- orders ---

function listOrders(ctx: ApiContext): SimResponse {
  const { acc, q } = ctx;
  const periodo = dateRange(q, "data", ctx.now);
  const prevista = dateRange(q, "dataPrevista", ctx.now);
  const alteracao = dateRange(q, "dataAlteracao", ctx.now);
  const numerosLojas = new Set(q.list("numerosLojas"));
  const situacoes = new Set(q.intList("idsSituacoes"));
  const numero = q.int("numero");
  const idContato = q.int("idContato");
  const idLoja = q.int("idLoja");
  const rows = [...acc.orders.values()].filter((rec) => {
    const o = rec.data;
    if (numerosLojas.size > 0 && !numerosLojas.has(o.numeroLoja ?? "")) return false;
    if (situacoes.size > 0 && !situacoes.has(o.situacao.id)) return false;
    if (numero !== undefined && o.numero !== numero) return false;
    if (idContato !== undefined && o.contato.id !== idContato) return false;
    if (idLoja !== undefined && o.loja.id !== idLoja) return false;
    if (!inRange(parseBlingDateTime(o.data) ?? 0, periodo)) return false;
    if (!inRange(parseBlingDateTime(o.dataPrevista) ?? 0, prevista)) return false;
    return inRange(rec.updatedAt, alteracao);
  });
  rows.sort((a, b) => byIdDesc(a.data, b.data));
  return data(
    200,
    paginate(rows, q).map((r) => orderSummary(acc, r)),
  );
}

/** `GET /nfe`: tipo defaults to 1 (saída); cancelled notes only when `situacao` is given (reference §6.10). */
function listInvoices(ctx: ApiContext): SimResponse {
  const { acc, q } = ctx;
  const situacao = q.int("situacao");
  const tipo = q.int("tipo") ?? 1;
  const numero = q.int("numero");
  const serie = q.int("serie");
  const numeroLoja = q.str("numeroLoja");
  const chave = q.str("chaveAcesso");
  const emissao = dateRange(q, "dataEmissao", ctx.now);
  const rows = [...acc.invoices.values()].filter((inv) => {
    if (situacao === undefined ? inv.situacao === 2 : inv.situacao !== situacao) return false;
    if (inv.tipo !== tipo) return false;
    if (numero !== undefined && Number(inv.numero) !== numero) return false;
    if (serie !== undefined && inv.serie !== serie) return false;
    if (numeroLoja && (acc.orders.get(inv.orderId)?.data.numeroLoja ?? "") !== numeroLoja) return false;
    if (chave && inv.chaveAcesso !== chave) return false;
    return inRange(parseBlingDateTime(inv.dataEmissao) ?? 0, emissao);
  });
  rows.sort((a, b) => b.id - a.id);
  return data(
    200,
    paginate(rows, q).map((inv) => {
      const d = invoiceDetail(acc, inv, ctx.docBaseUrl);
      return {
        id: d.id,
        tipo: d.tipo,
        situacao: d.situacao,
        numero: d.numero,
        dataEmissao: d.dataEmissao,
        dataOperacao: d.dataOperacao,
        chaveAcesso: d.chaveAcesso,
        contato: d.contato,
        naturezaOperacao: d.naturezaOperacao,
        loja: d.loja,
      };
    }),
  );
}

function getOrder(ctx: ApiContext) {
  const rec = ctx.acc.orders.get(ctx.params.idPedidoVenda as number);
  if (!rec) throw notFound("O pedido de venda não foi encontrado.");
  return rec;
}

export const routes: Route[] = [
  route("GET", "/produtos", listProducts),
  route("POST", "/produtos", (ctx) => productWrite(ctx, "create")),
  route("GET", "/produtos/lojas", (ctx) => {
    const { acc, q } = ctx;
    const idProduto = q.int("idProduto");
    const idLoja = q.int("idLoja");
    const alteracao = dateRange(q, "dataAlteracao", ctx.now);
    const rows = [...acc.storeLinks.values()]
      .filter(
        (l) =>
          (idProduto === undefined || l.produto.id === idProduto) &&
          (idLoja === undefined || l.loja.id === idLoja),
      )
      .filter((l) => inRange(l.updatedAt, alteracao))
      .sort(byIdDesc);
    return data(
      200,
      paginate(rows, q).map(({ updatedAt: _u, ...l }) => l),
    );
  }),
  route("GET", "/produtos/{idProduto}", (ctx) => data(200, productDetail(ctx.acc, getProduct(ctx)))),
  route("PUT", "/produtos/{idProduto}", (ctx) => productWrite(ctx, "replace")),
  route("PATCH", "/produtos/{idProduto}", (ctx) => productWrite(ctx, "merge")),
  route("DELETE", "/produtos/{idProduto}", (ctx) => {
    ctx.domain.deleteProduct(ctx.acc, getProduct(ctx).data.id, true);
    return noContent();
  }),
  route("GET", "/categorias/produtos", (ctx) =>
    data(200, paginate([...ctx.acc.categories.values()].sort(byIdDesc), ctx.q).map(categoryView)),
  ),
  route("POST", "/categorias/produtos", (ctx) => {
    const { descricao, categoriaPai } = categoryBody(ctx, undefined);
    const c = ctx.domain.upsertCategory(ctx.acc, { descricao, ...(categoriaPai ? { categoriaPai } : {}) });
    return data(201, { id: c.id });
  }),
  route("GET", "/categorias/produtos/{idCategoriaProduto}", (ctx) =>
    data(200, categoryView(getCategory(ctx))),
  ),
  // The spec's PUT body is CategoriasProdutosDadosDTO (descricao); a `categoriaPai` sent anyway moves it.
  route("PUT", "/categorias/produtos/{idCategoriaProduto}", (ctx) => {
    const cur = getCategory(ctx);
    const { descricao, categoriaPai } = categoryBody(ctx, cur.id);
    ctx.domain.upsertCategory(ctx.acc, {
      id: cur.id,
      descricao,
      ...(categoriaPai !== undefined
        ? categoriaPai
          ? { categoriaPai }
          : {}
        : cur.categoriaPai
          ? { categoriaPai: cur.categoriaPai }
          : {}),
    });
    return noContent();
  }),
  route("DELETE", "/categorias/produtos/{idCategoriaProduto}", (ctx) => {
    const cur = getCategory(ctx);
    if ([...ctx.acc.categories.values()].some((c) => c.categoriaPai?.id === cur.id))
      throw validationError("A categoria possui subcategorias e não pode ser excluída.");
    ctx.acc.categories.delete(cur.id);
    return noContent();
  }),
  route("GET", "/depositos", (ctx) => {
    const situacao = ctx.q.int("situacao");
    const descricao = ctx.q.str("descricao")?.toLowerCase();
    const rows = [...ctx.acc.deposits.values()]
      .filter(
        (d) =>
          (situacao === undefined || d.situacao === situacao) &&
          (!descricao || d.descricao.toLowerCase().includes(descricao)),
      )
      .sort((a, b) => a.id - b.id);
    return data(200, paginate(rows, ctx.q));
  }),
  route("GET", "/depositos/{idDeposito}", (ctx) => {
    const d = ctx.acc.deposits.get(ctx.params.idDeposito as number);
    if (!d) throw notFound("O depósito não foi encontrado.");
    return data(200, d);
  }),
  route("GET", "/estoques/saldos", (ctx) => stockRows(ctx, undefined)),
  route("GET", "/estoques/saldos/{idDeposito}", (ctx) => {
    if (!ctx.acc.deposits.has(ctx.params.idDeposito as number))
      throw notFound("O depósito não foi encontrado.");
    return stockRows(ctx, ctx.params.idDeposito);
  }),
  route("POST", "/estoques", (ctx) => {
    const body = readJson(ctx.req);
    const b = isObj(body) ? body : {};
    const produtoId = isObj(b.produto) ? Number(b.produto.id) : Number.NaN;
    const depositoId = isObj(b.deposito)
      ? Number(b.deposito.id)
      : (ctx.acc.defaultDeposit()?.id ?? Number.NaN);
    const operacao = b.operacao;
    const quantidade = Number(b.quantidade);
    const fields: BlingErrorField[] = [];
    if (!ctx.acc.products.has(produtoId))
      fields.push({ code: 1, msg: "Produto inválido.", element: "produto", namespace: "ESTOQUES" });
    if (operacao !== "B" && operacao !== "E" && operacao !== "S")
      fields.push({ code: 2, msg: "Operação inválida.", element: "operacao", namespace: "ESTOQUES" });
    if (!Number.isFinite(quantidade))
      fields.push({ code: 3, msg: "Quantidade inválida.", element: "quantidade", namespace: "ESTOQUES" });
    if (fields.length > 0) throw validationError("O lançamento de estoque não pode ser salvo.", fields);
    ctx.domain.postStock(ctx.acc, produtoId, depositoId, {
      operacao: operacao as "B" | "E" | "S",
      quantidade,
    });
    return data(201, { id: ctx.domain.nextId() });
  }),
  route("GET", "/formas-pagamentos", (ctx) => {
    const tipos = new Set(ctx.q.intList("tiposPagamentos"));
    const situacao = ctx.q.int("situacao");
    const descricao = ctx.q.str("descricao")?.toLowerCase();
    const rows = [...ctx.acc.paymentMethods.values()]
      .filter(
        (p) =>
          (tipos.size === 0 || tipos.has(p.tipoPagamento)) &&
          (situacao === undefined || p.situacao === situacao),
      )
      .filter((p) => !descricao || p.descricao.toLowerCase().includes(descricao))
      .sort((a, b) => a.id - b.id);
    return data(200, paginate(rows, ctx.q).map(pmSummary));
  }),
  route("POST", "/formas-pagamentos", createPaymentMethod),
  route("GET", "/formas-pagamentos/{idFormaPagamento}", (ctx) => {
    const p = ctx.acc.paymentMethods.get(ctx.params.idFormaPagamento as number);
    if (!p) throw notFound("A forma de pagamento não foi encontrada.");
    return data(200, {
      condicao: "",
      utilizaDiasUteis: false,
      taxas: { aliquota: 0, valor: 0, prazo: 0 },
      ...p,
      ...pmSummary(p),
    });
  }),
  route("GET", "/contatos", listContacts),
  route("POST", "/contatos", (ctx) =>
    data(201, { id: ctx.domain.upsertContact(ctx.acc, contactBody(ctx)).id }),
  ),
  route("GET", "/contatos/{idContato}", (ctx) => {
    const c = ctx.acc.contacts.get(ctx.params.idContato as number);
    if (!c) throw notFound("O contato não foi encontrado.");
    return data(200, contactDetail(c.data));
  }),
  route("PUT", "/contatos/{idContato}", (ctx) => {
    const id = ctx.params.idContato as number;
    if (!ctx.acc.contacts.has(id)) throw notFound("O contato não foi encontrado.");
    ctx.domain.upsertContact(ctx.acc, { ...contactBody(ctx), id }, "replace");
    return noContent();
  }),
  route("GET", "/pedidos/vendas", listOrders),
  route("POST", "/pedidos/vendas", (ctx) => {
    const { id } = ctx.domain.createOrder(ctx.acc, readJson(ctx.req));
    return data(201, { id, alertas: [], rastreamento: {} });
  }),
  route("GET", "/pedidos/vendas/{idPedidoVenda}", (ctx) => data(200, orderDetail(ctx.acc, getOrder(ctx)))),
  route("PATCH", "/pedidos/vendas/{idPedidoVenda}/situacoes/{idSituacao}", (ctx) => {
    ctx.domain.setOrderSituacao(ctx.acc, getOrder(ctx).data.id, ctx.params.idSituacao as number);
    return noContent();
  }),
  route("POST", "/pedidos/vendas/{idPedidoVenda}/gerar-nfe", (ctx) => {
    const inv = ctx.domain.createInvoice(ctx.acc, getOrder(ctx).data.id);
    // The spec shows a top-level body; some clients read data.idNotaFiscal, so the shape is switchable.
    return jsonResponse(
      201,
      ctx.nfeCreateShape === "data" ? { data: { idNotaFiscal: inv.id } } : { idNotaFiscal: inv.id },
    );
  }),
  route("GET", "/nfe", listInvoices),
  route("GET", "/nfe/{idNotaFiscal}", (ctx) => {
    const inv = ctx.acc.invoices.get(ctx.params.idNotaFiscal as number);
    if (!inv) throw notFound("A nota fiscal não foi encontrada.");
    return data(200, invoiceDetail(ctx.acc, inv, ctx.docBaseUrl));
  }),
  route("POST", "/nfe/{idNotaFiscal}/enviar", (ctx) => {
    const inv = ctx.domain.sendInvoice(ctx.acc, ctx.params.idNotaFiscal as number);
    return data(200, { xml: inv.xml });
  }),
  route("GET", "/situacoes/modulos", () => data(200, [VENDAS_MODULE])),
  route("GET", "/situacoes/modulos/{idModuloSistema}", (ctx) => {
    if (ctx.params.idModuloSistema !== VENDAS_MODULE.id) throw notFound("O módulo não foi encontrado.");
    return data(
      200,
      [...ctx.acc.situacoes.values()].sort((a, b) => a.id - b.id),
    );
  }),
  route("GET", "/canais-venda", (ctx) =>
    data(
      200,
      paginate(
        [...ctx.acc.stores.values()].sort((a, b) => a.id - b.id),
        ctx.q,
      ),
    ),
  ),
  route("GET", "/empresas/me/dados-basicos", (ctx) =>
    data(200, {
      id: ctx.acc.companyId,
      nome: ctx.acc.companyName,
      cnpj: ctx.acc.cnpj,
      email: ctx.acc.email,
      dataContrato: ctx.acc.dataContrato,
    }),
  ),
];

export function matchRoute(
  method: string,
  path: string,
): { route: Route; params: Record<string, number> } | "method" | undefined {
  let pathMatched = false;
  for (const r of routes) {
    const m = r.regex.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== method) continue;
    const params: Record<string, number> = {};
    r.paramNames.forEach((n, i) => {
      params[n] = Number(m[i + 1]);
    });
    return { route: r, params };
  }
  return pathMatched ? "method" : undefined;
}
