import type { ProductInput } from "./domain.js";
import { bodyText, jsonResponse, onlyDigits, type SimRequest, type SimResponse } from "./http-util.js";
import type { TokenResponse } from "./oauth.js";
import { contactSummary, orderDetail, productDetail } from "./projections.js";
import type { BlingSimulator, RequestLogEntry, SimFaults, SimStats } from "./simulator.js";
import type {
  BlingCategory,
  BlingContact,
  BlingDeposit,
  BlingInvoice,
  BlingOrderVolume,
  BlingPaymentMethod,
  BlingSituacao,
  BlingStore,
  BlingStoreLink,
  NfeOutcome,
  StockCell,
} from "./store.js";
import type { WebhookDeliveryLogEntry } from "./webhooks.js";

export interface AccountSnapshot {
  accountId: string;
  companyId: string;
  companyName: string;
  cnpj: string;
  products: Array<Record<string, unknown>>;
  stock: Array<{ productId: number; depositId: number } & StockCell>;
  contacts: BlingContact[];
  paymentMethods: BlingPaymentMethod[];
  deposits: BlingDeposit[];
  orders: Array<Record<string, unknown>>;
  situacoes: BlingSituacao[];
  stores: BlingStore[];
  storeLinks: Array<Omit<BlingStoreLink, "updatedAt">>;
  categories: BlingCategory[];
  invoices: BlingInvoice[];
  installedApps: string[];
}

/** Test/demo back door: seed data, act as the merchant, inspect traffic, inject faults. Same methods over HTTP. */
export class BlingControl {
  constructor(private readonly sim: BlingSimulator) {}

  createAccount(init: { companyName?: string; cnpj?: string; email?: string } = {}): {
    accountId: string;
    companyId: string;
  } {
    const acc = this.sim.createAccount(init);
    return { accountId: acc.accountId, companyId: acc.companyId };
  }

  listAccounts(): Array<{ accountId: string; companyId: string; companyName: string }> {
    return [...this.sim.accounts.values()].map((a) => ({
      accountId: a.accountId,
      companyId: a.companyId,
      companyName: a.companyName,
    }));
  }

  setAccountActive(accountId: string, active: boolean): void {
    this.sim.account(accountId).active = active;
  }

  /** What the consent page does when the merchant clicks "Autorizar". */
  authorize(accountId: string, clientId: string, _state?: string): { code: string } {
    return { code: this.sim.oauth.issueCode(accountId, clientId) };
  }

  /** Skip OAuth entirely: tokens for an account/app pair (also marks the app installed for webhooks). */
  issueTokens(accountId: string, clientId: string, opts: { jwt?: boolean } = {}): TokenResponse {
    this.sim.account(accountId);
    if (!this.sim.apps.has(clientId)) throw new Error(`unknown client ${clientId}`);
    return this.sim.oauth.issueTokens(accountId, clientId, opts.jwt ?? false);
  }

  registerApp(app: {
    clientId: string;
    clientSecret: string;
    redirectUri?: string;
    webhookUrl?: string;
    name?: string;
  }): void {
    this.sim.apps.set(app.clientId, { ...app });
  }

  setAppWebhookUrl(clientId: string, url: string | undefined): void {
    const app = this.sim.apps.get(clientId);
    if (!app) throw new Error(`unknown client ${clientId}`);
    app.webhookUrl = url;
  }

  // --- merchant-like changes (fire webhooks) ---

  upsertProduct(accountId: string, product: ProductInput): Record<string, unknown> {
    const acc = this.sim.account(accountId);
    const r = this.sim.domain.upsertProduct(acc, product);
    return productDetail(acc, this.sim.domain.requireProduct(acc, r.id));
  }

  deleteProduct(accountId: string, productId: number, opts: { hard?: boolean } = {}): void {
    this.sim.domain.deleteProduct(this.sim.account(accountId), productId, opts.hard ?? false);
  }

  getProduct(accountId: string, productId: number): Record<string, unknown> | undefined {
    const acc = this.sim.account(accountId);
    const rec = acc.products.get(productId);
    return rec ? productDetail(acc, rec) : undefined;
  }

  setStock(
    accountId: string,
    productId: number,
    depositId: number,
    balance: { fisico: number; virtual?: number },
  ): void {
    this.sim.domain.postStock(this.sim.account(accountId), productId, depositId, {
      operacao: "B",
      quantidade: balance.fisico,
      virtual: balance.virtual,
    });
  }

  setPrice(accountId: string, productId: number, price: number): void {
    this.sim.domain.setPrice(this.sim.account(accountId), productId, price);
  }

  upsertContact(accountId: string, contact: Partial<BlingContact>): BlingContact {
    return this.sim.domain.upsertContact(this.sim.account(accountId), contact);
  }

  findContactsByDocument(accountId: string, document: string): BlingContact[] {
    const digits = onlyDigits(document);
    return [...this.sim.account(accountId).contacts.values()]
      .filter((c) => onlyDigits(c.data.numeroDocumento) === digits)
      .map((c) => c.data);
  }

  upsertPaymentMethod(accountId: string, pm: Partial<BlingPaymentMethod>): BlingPaymentMethod {
    return this.sim.domain.upsertPaymentMethod(this.sim.account(accountId), pm);
  }

  upsertDeposit(accountId: string, deposit: Partial<BlingDeposit>): BlingDeposit {
    return this.sim.domain.upsertDeposit(this.sim.account(accountId), deposit);
  }

  /** A depósito removed in Bling's screens (not the default one): gone from the list and every balance. */
  deleteDeposit(accountId: string, depositId: number): void {
    this.sim.domain.deleteDeposit(this.sim.account(accountId), depositId);
  }

  upsertSituacao(accountId: string, s: Partial<BlingSituacao> & { nome: string }): BlingSituacao {
    return this.sim.domain.upsertSituacao(this.sim.account(accountId), s);
  }

  upsertStore(accountId: string, store: Partial<BlingStore>): BlingStore {
    return this.sim.domain.upsertStore(this.sim.account(accountId), store);
  }

  setStoreProductPrice(
    accountId: string,
    storeId: number,
    productId: number,
    price: { preco: number; precoPromocional?: number; codigo?: string },
  ): Omit<BlingStoreLink, "updatedAt"> {
    const { updatedAt: _u, ...link } = this.sim.domain.setStoreProductPrice(
      this.sim.account(accountId),
      storeId,
      productId,
      price,
    );
    return link;
  }

  upsertCategory(accountId: string, c: Partial<BlingCategory> & { descricao: string }): BlingCategory {
    return this.sim.domain.upsertCategory(this.sim.account(accountId), c);
  }

  /** Create an order as if typed in Bling (same validation as the API). */
  createOrder(accountId: string, order: Record<string, unknown>): { id: number } {
    return this.sim.domain.createOrder(this.sim.account(accountId), order);
  }

  setOrderSituacao(accountId: string, orderId: number, situacaoId: number): void {
    this.sim.domain.setOrderSituacao(this.sim.account(accountId), orderId, situacaoId);
  }

  /** Set a volume's tracking code on an order as the merchant does in Bling (fires `order.updated`). */
  setOrderTracking(
    accountId: string,
    orderId: number,
    input: { codigoRastreamento: string; servico?: string; volumeId?: number },
  ): BlingOrderVolume {
    return this.sim.domain.setOrderTracking(this.sim.account(accountId), orderId, input);
  }

  /** Cancel an authorized NF-e as the merchant does in Bling (situação 2; fires `invoice.updated`). */
  cancelInvoice(accountId: string, invoiceId: number): BlingInvoice {
    return { ...this.sim.domain.cancelInvoice(this.sim.account(accountId), invoiceId) };
  }

  /** Issue and transmit the NF-e of an order (invoice.created + invoice.updated; SEFAZ's next outcome applies). */
  createInvoiceForOrder(accountId: string, orderId: number): BlingInvoice {
    const acc = this.sim.account(accountId);
    const inv = this.sim.domain.createInvoice(acc, orderId);
    return this.sim.domain.sendInvoice(acc, inv.id);
  }

  /** SEFAZ's answers to the next transmissions of this account, in order (replaces the queue). */
  setNfeOutcomes(accountId: string, outcomes: NfeOutcome[]): void {
    this.sim.account(accountId).nfeOutcomes = [...outcomes];
  }

  /** SEFAZ's answer once the queue is empty (initially: authorized at once). */
  setNfeDefaultOutcome(accountId: string, outcome: NfeOutcome): void {
    this.sim.account(accountId).nfeDefaultOutcome = { ...outcome };
  }

  /** The stored note, with what the API does not show (SEFAZ's reason, transmissions, pending answer). */
  getInvoice(accountId: string, invoiceId: number): BlingInvoice | undefined {
    const acc = this.sim.account(accountId);
    this.sim.domain.settleInvoices(acc);
    const inv = acc.invoices.get(invoiceId);
    return inv ? { ...inv } : undefined;
  }

  /** SEFAZ answers a transmitted note now, whatever its delay (tests on real time). False when none pending. */
  answerNfeNow(accountId: string, invoiceId: number): boolean {
    const acc = this.sim.account(accountId);
    const inv = acc.invoices.get(invoiceId);
    if (!inv?.pending) return false;
    inv.pending.settleAt = this.sim.clock.now();
    this.sim.domain.settleInvoices(acc);
    return true;
  }

  /** Apply delayed SEFAZ answers that are due (after moving a manual clock). */
  settleInvoices(): void {
    this.sim.settleInvoices();
  }

  // --- reads ---

  getAccount(accountId: string): AccountSnapshot {
    const acc = this.sim.account(accountId);
    const stock: AccountSnapshot["stock"] = [];
    for (const [productId, cells] of acc.stock)
      for (const [depositId, c] of cells) stock.push({ productId, depositId, ...c });
    return {
      accountId: acc.accountId,
      companyId: acc.companyId,
      companyName: acc.companyName,
      cnpj: acc.cnpj,
      products: [...acc.products.values()].map((p) => ({
        ...productDetail(acc, p),
        idProdutoPai: p.data.idProdutoPai,
      })),
      stock,
      contacts: [...acc.contacts.values()].map((c) => c.data),
      paymentMethods: [...acc.paymentMethods.values()],
      deposits: [...acc.deposits.values()],
      orders: [...acc.orders.values()].map((o) => orderDetail(acc, o)),
      situacoes: [...acc.situacoes.values()],
      stores: [...acc.stores.values()],
      storeLinks: [...acc.storeLinks.values()].map(({ updatedAt: _u, ...l }) => l),
      categories: [...acc.categories.values()],
      invoices: [...acc.invoices.values()],
      installedApps: [...this.sim.oauth.installedFor(accountId)],
    };
  }

  listOrders(accountId: string): Array<Record<string, unknown>> {
    const acc = this.sim.account(accountId);
    return [...acc.orders.values()].map((o) => orderDetail(acc, o));
  }

  getOrder(accountId: string, orderId: number): Record<string, unknown> | undefined {
    const acc = this.sim.account(accountId);
    const rec = acc.orders.get(orderId);
    return rec ? orderDetail(acc, rec) : undefined;
  }

  listContacts(accountId: string): Array<ReturnType<typeof contactSummary>> {
    return [...this.sim.account(accountId).contacts.values()].map(contactSummary);
  }

  // --- traffic ---

  requestLog(accountId?: string): RequestLogEntry[] {
    return this.sim.requestLog.filter((e) => accountId === undefined || e.accountId === accountId);
  }

  stats(accountId?: string): SimStats {
    return this.sim.stats(accountId);
  }

  resetLog(): void {
    this.sim.requestLog.length = 0;
  }

  /** Replaces the whole fault set (`setFaults({})` clears every fault). */
  setFaults(faults: SimFaults): void {
    this.sim.faults = { ...faults };
    this.sim.webhooks.faults = { ...faults };
  }

  revokeTokens(accountId: string): void {
    this.sim.oauth.revokeAccount(accountId);
  }

  expireAccessTokens(accountId: string): void {
    this.sim.oauth.expireAccessTokens(accountId);
  }

  unblockIps(): void {
    this.sim.limiter.unblockAll();
  }

  webhookDeliveries(): WebhookDeliveryLogEntry[] {
    return this.sim.webhooks.deliveries();
  }

  flushWebhooks(): Promise<void> {
    return this.sim.webhooks.flush();
  }

  disabledWebhooks(): Array<{ clientId: string; resource: string }> {
    return this.sim.webhooks.disabledWebhooks();
  }

  enableWebhooks(clientId: string, resource?: string): void {
    this.sim.webhooks.enable(clientId, resource);
  }

  /** `POST /__control/<method>` with a JSON array of arguments (or one object argument); GET for no arguments. */
  async handleHttp(method: string, name: string, req: SimRequest): Promise<SimResponse> {
    const fn = (this as unknown as Record<string, unknown>)[name];
    if (name === "handleHttp" || name === "constructor" || typeof fn !== "function") {
      return jsonResponse(404, { error: `unknown control method ${name}` });
    }
    let args: unknown[] = [];
    if (method === "POST") {
      const raw = bodyText(req).trim();
      if (raw !== "") {
        try {
          const parsed: unknown = JSON.parse(raw);
          args = Array.isArray(parsed) ? parsed : [parsed];
        } catch {
          return jsonResponse(400, { error: "body must be a JSON array of arguments" });
        }
      }
    }
    try {
      const result: unknown = await (fn as (...a: unknown[]) => unknown).apply(this, args);
      return jsonResponse(200, result ?? null);
    } catch (err) {
      return jsonResponse(400, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
