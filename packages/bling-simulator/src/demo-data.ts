import { generateCnpj, generateCpf } from "@zb/testing";
import type { ProductInput } from "./domain.js";
import { Rng } from "./random.js";
import type { BlingSimulator } from "./simulator.js";
import type { BlingContact } from "./store.js";

export interface DemoAccountOptions {
  /** Top-level catalog entries (variation children come on top of these). */
  products: number;
  /** Share (0..1) of products that are formato V parents with Cor/Tamanho children. Default 0.2. */
  variationShare?: number;
  contacts: number;
  paymentMethods: number;
  seed?: number;
}

const ITEMS: Array<{
  nome: string;
  categoria: string;
  unidade: string;
  preco: [number, number];
  peso: number;
}> = [
  { nome: "Camiseta Básica Algodão", categoria: "Vestuário", unidade: "UN", preco: [29.9, 79.9], peso: 0.2 },
  { nome: "Calça Jeans Slim", categoria: "Vestuário", unidade: "UN", preco: [89.9, 199.9], peso: 0.6 },
  { nome: "Jaqueta Corta-Vento", categoria: "Vestuário", unidade: "UN", preco: [119.9, 249.9], peso: 0.5 },
  {
    nome: "Caneca Cerâmica 300ml",
    categoria: "Utilidades Domésticas",
    unidade: "UN",
    preco: [19.9, 39.9],
    peso: 0.35,
  },
  {
    nome: "Garrafa Térmica 1L",
    categoria: "Utilidades Domésticas",
    unidade: "UN",
    preco: [59.9, 129.9],
    peso: 0.5,
  },
  {
    nome: "Jogo de Panelas Antiaderente 5 Peças",
    categoria: "Utilidades Domésticas",
    unidade: "CJ",
    preco: [199.9, 449.9],
    peso: 4.2,
  },
  {
    nome: "Caderno Universitário 10 Matérias",
    categoria: "Papelaria",
    unidade: "UN",
    preco: [18.9, 34.9],
    peso: 0.7,
  },
  {
    nome: "Caneta Esferográfica Azul cx 50",
    categoria: "Papelaria",
    unidade: "CX",
    preco: [39.9, 69.9],
    peso: 0.4,
  },
  {
    nome: "Papel Sulfite A4 500 Folhas",
    categoria: "Papelaria",
    unidade: "PCT",
    preco: [24.9, 32.9],
    peso: 2.3,
  },
  {
    nome: "Chave de Fenda Philips 1/4",
    categoria: "Ferramentas",
    unidade: "UN",
    preco: [9.9, 24.9],
    peso: 0.1,
  },
  {
    nome: "Furadeira de Impacto 650W",
    categoria: "Ferramentas",
    unidade: "UN",
    preco: [179.9, 349.9],
    peso: 2.1,
  },
  { nome: "Trena Emborrachada 5m", categoria: "Ferramentas", unidade: "UN", preco: [14.9, 29.9], peso: 0.2 },
  { nome: "Energético Lata 269ml", categoria: "Bebidas", unidade: "UN", preco: [4.9, 8.9], peso: 0.3 },
  {
    nome: "Água Mineral sem Gás 500ml fardo 12",
    categoria: "Bebidas",
    unidade: "FD",
    preco: [14.9, 22.9],
    peso: 6.2,
  },
  { nome: "Café Torrado e Moído 500g", categoria: "Bebidas", unidade: "UN", preco: [17.9, 34.9], peso: 0.5 },
  { nome: "Tênis Casual Couro", categoria: "Calçados", unidade: "PAR", preco: [149.9, 299.9], peso: 0.9 },
  { nome: "Sandália Papete", categoria: "Calçados", unidade: "PAR", preco: [59.9, 119.9], peso: 0.4 },
];
/** Root → children; every `ITEMS` category is a child of one root. */
const CATEGORY_TREE: ReadonlyArray<[string, string[]]> = [
  ["Moda", ["Vestuário", "Calçados"]],
  ["Casa e Escritório", ["Utilidades Domésticas", "Papelaria", "Ferramentas"]],
  ["Alimentos e Bebidas", ["Bebidas"]],
];
const MARCAS = ["Acme Brasil", "Nativa", "Horizonte", "Ipê", "Vila Rica", "Serra Azul", "Boa Vista"];
const ADJ = ["Premium", "Essencial", "Linha Pro", "Clássico", "Eco", "Plus", "Max", "Tradicional"];
const CORES = ["Azul", "Preto", "Branco", "Vermelho", "Verde", "Cinza"];
const TAMANHOS = ["P", "M", "G", "GG"];
const CIDADES: Array<[string, string, string]> = [
  ["São Paulo", "SP", "01310-100"],
  ["Campinas", "SP", "13015-904"],
  ["Rio de Janeiro", "RJ", "20040-020"],
  ["Belo Horizonte", "MG", "30130-010"],
  ["Curitiba", "PR", "80010-000"],
  ["Porto Alegre", "RS", "90010-150"],
  ["Bento Gonçalves", "RS", "95700-000"],
  ["Florianópolis", "SC", "88010-400"],
  ["Goiânia", "GO", "74003-010"],
  ["Recife", "PE", "50010-000"],
];
const RUAS = [
  "Rua das Flores",
  "Av. Brasil",
  "Rua XV de Novembro",
  "Av. Paulista",
  "Rua Sete de Setembro",
  "Rua Dom Pedro II",
];
const NOMES = [
  "Ana",
  "Bruno",
  "Carla",
  "Diego",
  "Eduarda",
  "Felipe",
  "Gabriela",
  "Henrique",
  "Isabela",
  "João",
  "Larissa",
  "Marcos",
];
const SOBRENOMES = [
  "Silva",
  "Santos",
  "Oliveira",
  "Souza",
  "Pereira",
  "Lima",
  "Carvalho",
  "Ferreira",
  "Almeida",
  "Costa",
];
const RAMOS = [
  "Comércio",
  "Distribuidora",
  "Mercado",
  "Atacadista",
  "Papelaria",
  "Materiais de Construção",
  "Conveniência",
];

/** Payment methods with the spec's `tipoPagamento` codes. */
const PAYMENT_METHODS: Array<{ descricao: string; tipoPagamento: number; condicao: string }> = [
  { descricao: "Dinheiro", tipoPagamento: 1, condicao: "1x" },
  { descricao: "PIX", tipoPagamento: 17, condicao: "1x" },
  { descricao: "Boleto Bancário", tipoPagamento: 15, condicao: "30/60/90" },
  { descricao: "Cartão de Crédito", tipoPagamento: 3, condicao: "1x" },
  { descricao: "Cartão de Débito", tipoPagamento: 4, condicao: "1x" },
  { descricao: "Depósito Bancário", tipoPagamento: 16, condicao: "1x" },
  { descricao: "Duplicata Mercantil", tipoPagamento: 14, condicao: "28" },
  { descricao: "PIX Estático", tipoPagamento: 20, condicao: "1x" },
  { descricao: "Cheque", tipoPagamento: 2, condicao: "30" },
  { descricao: "Transferência Bancária", tipoPagamento: 18, condicao: "1x" },
  { descricao: "Sem pagamento", tipoPagamento: 90, condicao: "1x" },
];

function ean13(rng: Rng): string {
  const base = `789${String(rng.int(0, 999_999_999)).padStart(9, "0")}`;
  const sum = [...base].reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return base + String((10 - (sum % 10)) % 10);
}

const money = (rng: Rng, [lo, hi]: [number, number]): number =>
  Math.round((lo + rng.next() * (hi - lo)) * 10) / 10 + 0.09 - 0.1 + 0.01;

/**
 * Seed a realistic Brazilian account: catalog with simple products, Cor/Tamanho variations, kits, inactive items,
 * images, GTINs and some blank/duplicate SKUs; 2 deposits; 2 stores; contacts with valid CPF/CNPJ (some with IE,
 * some with nothing fiscal, some inactive); payment methods; Vendas situations (6/9/12/15 + custom).
 */
export function generateDemoAccount(sim: BlingSimulator, accountId: string, opts: DemoAccountOptions): void {
  const rng = new Rng(opts.seed ?? 42);
  const docRng = () => rng.next();
  const c = sim.control;
  const acc = sim.account(accountId);

  const deposits = [...acc.deposits.values()];
  const main = acc.defaultDeposit() ?? c.upsertDeposit(accountId, { descricao: "Geral", padrao: true });
  const second =
    deposits.find((d) => d.id !== main.id) ??
    c.upsertDeposit(accountId, { descricao: "Depósito Loja Centro", padrao: false });

  const b2b = c.upsertStore(accountId, { descricao: "Portal B2B", tipo: "Api", situacao: 1 });
  const ml = c.upsertStore(accountId, { descricao: "Mercado Livre", tipo: "MercadoLivre", situacao: 1 });

  c.upsertSituacao(accountId, { nome: "Em separação", idHerdado: 15, cor: "#F5A623" });
  c.upsertSituacao(accountId, { nome: "Aguardando pagamento", idHerdado: 6, cor: "#9B59B6" });

  PAYMENT_METHODS.slice(0, opts.paymentMethods).forEach((pm, i) => {
    c.upsertPaymentMethod(accountId, {
      ...pm,
      situacao: 1,
      finalidade: 3,
      destino: 1,
      padrao: i === 0 ? 1 : 0,
    });
  });

  // A small tree (reference §6.3: `categoriaPai`): three roots, the products in their children.
  const categoryIds = new Map<string, number>();
  for (const [root, children] of CATEGORY_TREE) {
    const rootId = c.upsertCategory(accountId, { descricao: root }).id;
    categoryIds.set(root, rootId);
    for (const child of children)
      categoryIds.set(
        child,
        c.upsertCategory(accountId, { descricao: child, categoriaPai: { id: rootId } }).id,
      );
  }
  for (const cat of new Set(ITEMS.map((i) => i.categoria))) {
    if (!categoryIds.has(cat)) categoryIds.set(cat, c.upsertCategory(accountId, { descricao: cat }).id);
  }

  const variationShare = opts.variationShare ?? 0.2;
  const simpleIds: number[] = [];
  let kits = 0;
  let lastCodigo = "";
  for (let n = 0; n < opts.products; n++) {
    const item = rng.pick(ITEMS);
    const nome = `${item.nome} ${rng.pick(ADJ)}`;
    let codigo = `${item.categoria.slice(0, 3).toUpperCase()}-${String(1000 + n)}`;
    const roll = rng.next();
    // A few blank and duplicate SKUs: the readiness report must catch them.
    if (roll < 0.03 || n === 7) codigo = "";
    else if ((roll < 0.05 || n === 11) && lastCodigo !== "") codigo = lastCodigo;
    lastCodigo = codigo || lastCodigo;
    const preco = money(rng, item.preco);
    const base: ProductInput = {
      nome,
      codigo,
      preco,
      precoCusto: Math.round(preco * 0.55 * 100) / 100,
      tipo: "P",
      situacao: rng.next() < 0.08 ? "I" : "A",
      unidade: item.unidade,
      marca: rng.pick(MARCAS),
      gtin: rng.next() < 0.8 ? ean13(rng) : "",
      pesoLiquido: item.peso,
      pesoBruto: Math.round(item.peso * 1.1 * 1000) / 1000,
      descricaoCurta: `${nome} da marca selecionada, ideal para revenda.`,
      descricaoComplementar: `<p>${nome}.</p><ul><li>Garantia de 90 dias</li><li>Produto nacional</li></ul>`,
      categoria: { id: categoryIds.get(item.categoria) ?? 0 },
      dimensoes: {
        largura: rng.int(5, 40),
        altura: rng.int(2, 30),
        profundidade: rng.int(5, 40),
        unidadeMedida: 1,
      },
      tributacao: { origem: 0, ncm: "61091000" },
      midia: {
        imagens: {
          externas:
            rng.next() < 0.85
              ? Array.from({ length: rng.int(1, 3) }, (_, i) => ({
                  link: `https://cdn.lojademo.com.br/produtos/${n + 1}-${i + 1}.jpg`,
                }))
              : [],
        },
      },
    };
    const kind = rng.next();
    if (kind < variationShare) {
      const cores = rng.shuffle([...CORES]).slice(0, rng.int(1, 3));
      const tamanhos = TAMANHOS.slice(0, rng.int(2, 4));
      const variacoes: ProductInput[] = [];
      for (const cor of cores) {
        for (const tam of tamanhos) {
          variacoes.push({
            nome: `${nome} ${cor} ${tam}`,
            codigo: codigo === "" ? "" : `${codigo}-${cor.slice(0, 3).toUpperCase()}-${tam}`,
            preco: tam === "GG" ? Math.round((preco + 5) * 100) / 100 : preco,
            gtin: rng.next() < 0.7 ? ean13(rng) : "",
            variacao: { nome: `Cor:${cor};Tamanho:${tam}`, produtoPai: { cloneInfo: true } },
          });
        }
      }
      const r = sim.domain.upsertProduct(acc, { ...base, formato: "V", variacoes });
      for (const childId of r.variations.saved) seedStock(childId);
      continue;
    }
    // Some kits (at least one as soon as there are components to use).
    if (simpleIds.length >= 2 && (kind < variationShare + 0.06 || (kits === 0 && simpleIds.length >= 3))) {
      kits += 1;
      const [a, b] = rng.shuffle([...simpleIds]).slice(0, 2) as [number, number];
      c.upsertProduct(accountId, {
        ...base,
        nome: `Kit ${item.nome}`,
        formato: "E",
        estrutura: {
          tipoEstoque: "V",
          lancamentoEstoque: "A",
          componentes: [
            { produto: { id: a }, quantidade: 1 },
            { produto: { id: b }, quantidade: 2 },
          ],
        },
      });
      continue;
    }
    const p = c.upsertProduct(accountId, { ...base, formato: "S" });
    const id = p.id as number;
    simpleIds.push(id);
    seedStock(id);
    if (rng.next() < 0.5)
      c.setStoreProductPrice(accountId, b2b.id, id, { preco: Math.round(preco * 0.95 * 100) / 100 });
    if (rng.next() < 0.2)
      c.setStoreProductPrice(accountId, ml.id, id, {
        preco: Math.round(preco * 1.12 * 100) / 100,
        precoPromocional: preco,
      });
  }

  function seedStock(productId: number): void {
    const zero = rng.next() < 0.15;
    const fisico = zero ? 0 : rng.int(1, 250);
    const reserved = fisico > 5 && rng.next() < 0.2 ? rng.int(1, 5) : 0;
    c.setStock(accountId, productId, main.id, { fisico, virtual: fisico - reserved });
    if (rng.next() < 0.3) c.setStock(accountId, productId, second.id, { fisico: rng.int(0, 40) });
  }

  for (let n = 0; n < opts.contacts; n++) {
    const [municipio, uf, cep] = rng.pick(CIDADES);
    const roll = rng.next();
    const endereco = {
      geral: {
        endereco: rng.pick(RUAS),
        numero: String(rng.int(1, 3000)),
        complemento: "",
        bairro: "Centro",
        cep,
        municipio,
        uf,
      },
    };
    let contact: Partial<BlingContact>;
    if (roll < 0.55) {
      const ramo = rng.pick(RAMOS);
      const sobrenome = rng.pick(SOBRENOMES);
      const isento = rng.next() < 0.2;
      contact = {
        nome: `${ramo} ${sobrenome} Ltda`,
        fantasia: `${ramo} ${sobrenome}`,
        tipo: "J",
        numeroDocumento: generateCnpj(docRng),
        indicadorIe: isento ? 2 : 1,
        ie: isento ? "ISENTO" : String(rng.int(100_000_000, 999_999_999)) + String(rng.int(100, 999)),
        email: `compras@${ramo.toLowerCase().replace(/[^a-z]/g, "")}${sobrenome.toLowerCase()}.com.br`,
        telefone: `(${rng.int(11, 99)}) 3${rng.int(100, 999)}-${rng.int(1000, 9999)}`,
        endereco,
      };
    } else if (roll < 0.9) {
      const nome = `${rng.pick(NOMES)} ${rng.pick(SOBRENOMES)} ${rng.pick(SOBRENOMES)}`;
      contact = {
        nome,
        tipo: "F",
        numeroDocumento: generateCpf(docRng),
        indicadorIe: 9,
        rg: String(rng.int(10_000_000, 99_999_999)),
        email: `${nome.split(" ")[0]?.toLowerCase()}${n}@email.com.br`,
        celular: `(${rng.int(11, 99)}) 9${rng.int(1000, 9999)}-${rng.int(1000, 9999)}`,
        endereco,
      };
    } else {
      // Nothing fiscal: the sync must skip these customers.
      contact = { nome: `${rng.pick(NOMES)} (balcão)`, tipo: "F", indicadorIe: 9 };
    }
    contact.codigo = `CLI-${String(n + 1).padStart(4, "0")}`;
    contact.situacao = rng.next() < 0.1 ? "I" : "A";
    c.upsertContact(accountId, contact);
  }
}
