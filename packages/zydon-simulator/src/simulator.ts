import { createHmac, randomBytes, randomUUID } from "node:crypto";
import {
  zydonAdapter as A,
  ORDER_UPDATE_WEBHOOK_ID,
  ORDER_WEBHOOK_ID,
  parsePluginManifest,
  resolveZydonContract,
  type ZydonContract,
  type ZydonContractOverrides,
} from "@zb/zydon";
import { registerApiRoutes } from "./api-routes.js";
import { registerControlRoutes } from "./control-routes.js";
import {
  bodyText,
  envelope,
  header,
  jsonResponse,
  Router,
  SimHttpError,
  type SimRequest,
  type SimResponse,
  seededRandom,
  unprocessable,
} from "./http-util.js";
import { registerOAuthRoutes } from "./oauth-routes.js";
import { changeOrderStatus, createPartnerRecord, createProductRecord, seedDefaults } from "./records.js";
import type {
  Installation,
  Json,
  OrderRecord,
  OrgState,
  PluginRegistration,
  ProductRecord,
  StatusRecord,
  StockRecord,
} from "./state.js";
import { stockKey } from "./state.js";

/** `@zydon/auth` user profile (zydon-api.md §3): SELLER = the organization's staff, PARTNER = a portal buyer. */
export type ZydonUserProfile = "SELLER" | "PARTNER";

export interface ZydonSimulatorFaults {
  /** Share of API calls answered 500 (0..1). */
  serverErrorRate: number;
  /** Share of API calls that hang for `hangMs` then 504: the client's timeout fires first. */
  timeoutRate: number;
  hangMs: number;
  /** Share of API calls answered 429 regardless of the rate limit. */
  rateLimitRate: number;
  /** Added to every API call. */
  latencyMs: number;
  /** Added to `POST /resource-files` (Zydon: ~26 s median, zydon-api.md §4 "Latency"). */
  uploadLatencyMs: number;
  dropWebhooks: boolean;
  duplicateWebhooks: boolean;
  /** Authorize answers `error=<this>` (e.g. "server_error") instead of a code. */
  authorizeError: string | null;
  /** Token exchange omits `organization_id` (exercises the access-key login fallback). */
  omitOrganizationIdInExchange: boolean;
}

export interface ZydonSimulatorOptions {
  /** Public origin (used in App Center links and file URLs). Set by startZydonSimulator. */
  baseUrl?: string;
  seed?: number;
  latencyMs?: number;
  uploadLatencyMs?: number;
  /** Per-organization limit over a sliding window; unset = unlimited. */
  rateLimit?: { max: number; windowMs: number };
  /** Whether 429s carry `Retry-After` (seconds); Zydon's behaviour is UNKNOWN (zydon-api.md §4). */
  retryAfterHeader?: number | null;
  /** Authorization code lifetime. */
  codeTtlMs?: number;
  now?: () => Date;
  /**
   * The contract this Zydon serves (defaults: the adapter's). A test changes one entry to play a Zydon whose
   * real contract differs from the product's guess (the probe must then report exactly that row).
   */
  contract?: ZydonContractOverrides;
}

export interface RequestLogEntry {
  at: string;
  method: string;
  path: string;
  route: string | null;
  orgId: string | null;
  status: number;
}

export interface WebhookDelivery {
  url: string;
  event: string;
  status: number | null;
  error: string | null;
}

export interface PlaceOrderInput {
  partner: { id: string } | Json;
  items: Array<{ sku: string; quantity: number; unitValue?: number; discount?: number }>;
  paymentMethodId: string;
  installments?: number;
  freightValue?: number;
  discountValue?: number;
  observation?: string | null;
  sellerId?: string | null;
  /** Overrides the creation time (e.g. to test polling windows). */
  createdAt?: string;
}

export interface SeedInput {
  statuses?: Array<{
    id?: string;
    name: string;
    title?: string;
    type: StatusRecord["type"];
    can_edit_by_api?: boolean;
    can_edit_by_customer?: boolean;
    /** Names of the statuses an order may move to from this one (becomes `relations`). */
    next?: string[];
  }>;
  paymentMethods?: Array<{ id?: string; name: string; type?: string; active?: boolean }>;
  warehouses?: Array<{ id?: string; name: string }>;
  measureUnits?: Array<{ id?: string; name: string; abbreviation?: string }>;
  /** `parent`: the name of a category listed before it (the tree of zydon-api.md §5.4). */
  categories?: Array<{ id?: string; name: string; parent?: string }>;
  brands?: Array<{ id?: string; name: string }>;
  variationAxes?: Array<{ name: string; values: string[] }>;
  priceTables?: Array<{ id?: string; name: string; start_date?: string; end_date?: string }>;
  products?: Json[];
  partners?: Json[];
}

export interface ApiContext {
  sim: ZydonSimulator;
  req: SimRequest;
  url: URL;
  org: OrgState | null;
  now: Date;
  /** Parsed JSON body; 400 HttpMessageNotReadable on malformed JSON (zydon-api.md §4). */
  json(): Json;
  text(): string;
}

const DEFAULT_FAULTS: ZydonSimulatorFaults = {
  serverErrorRate: 0,
  timeoutRate: 0,
  hangMs: 60_000,
  rateLimitRate: 0,
  latencyMs: 0,
  uploadLatencyMs: 0,
  dropWebhooks: false,
  duplicateWebhooks: false,
  authorizeError: null,
  omitOrganizationIdInExchange: false,
};

/** A running Zydon in memory. `handle()` serves the API, OAuth, App Center and control routes. */
export class ZydonSimulator {
  readonly plugins = new Map<string, PluginRegistration>();
  readonly orgs = new Map<string, OrgState>();
  readonly codes = new Map<
    string,
    { orgId: string; pluginId: string; redirectUri: string; expiresAt: number; used: boolean }
  >();
  /** User sessions the App Center hands the settings page: SELLER = the organization's staff, PARTNER = a buyer. */
  readonly adminSessions = new Map<
    string,
    { organizationId: string; userId: string; profile: ZydonUserProfile }
  >();
  readonly requestLog: RequestLogEntry[] = [];
  readonly webhookLog: Array<WebhookDelivery & { orgId: string; at: string }> = [];
  faults: ZydonSimulatorFaults;
  baseUrl: string;
  readonly contract: ZydonContract;

  private readonly router = new Router<ApiContext>();
  private readonly rng: () => number;
  private readonly jwtSecret = randomBytes(32);
  private readonly hits = new Map<string, number[]>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private idSeq = 1000;

  constructor(readonly options: ZydonSimulatorOptions = {}) {
    this.baseUrl = options.baseUrl ?? "http://zydon.sim";
    this.rng = seededRandom(options.seed ?? 42);
    this.faults = {
      ...DEFAULT_FAULTS,
      latencyMs: options.latencyMs ?? 0,
      uploadLatencyMs: options.uploadLatencyMs ?? 0,
    };
    this.contract = resolveZydonContract(options.contract);
    registerOAuthRoutes(this.router, this.contract);
    registerApiRoutes(this.router, this.contract);
    registerControlRoutes(this.router);
  }

  now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Numeric string ids, unique across organizations (catalog ids are numeric strings at Zydon, §4 "IDs"). */
  nextId(): string {
    return String(this.idSeq++);
  }

  uuid(): string {
    return randomUUID();
  }

  // ------------------------------------------------------------------------------------------------------
  // Control

  setFaults(patch: Partial<ZydonSimulatorFaults>): ZydonSimulatorFaults {
    this.faults = { ...this.faults, ...patch };
    return this.faults;
  }

  registerPlugin(p: PluginRegistration): PluginRegistration {
    if (!p.pluginId || !p.accessKey) throw new Error("pluginId and accessKey are required");
    this.plugins.set(p.pluginId, { ...p, callbackUrls: [...p.callbackUrls] });
    return p;
  }

  /**
   * Registers a plugin the way App Studio does (zydon-api.md §2.4): from its package — `configuration.yml`
   * (client id, callback, is_alive / installation / uninstallation URLs) and `native-resources/webhooks.yml`
   * (the order webhook and the fixed headers it carries). `files` is path → YAML text, as in the repository.
   * The access key is what App Studio would hand out on registration (§2.1), so it comes from the caller.
   */
  registerPluginFromManifest(
    files: Record<string, string>,
    extra: { accessKey: string; name?: string; launchUrl?: string },
  ): PluginRegistration {
    const m = parsePluginManifest(files);
    const c = m.configuration;
    const order =
      m.webhooks.find((w) => w.id === ORDER_WEBHOOK_ID) ?? m.webhooks.find((w) => w.resource === "ORDER");
    const update =
      m.webhooks.find((w) => w.id === ORDER_UPDATE_WEBHOOK_ID) ??
      m.webhooks.find((w) => w !== order && w.resource === "ORDER" && w.event === "UPDATED");
    return this.registerPlugin({
      pluginId: c.auth.client_id,
      accessKey: extra.accessKey,
      callbackUrls: [c.auth.callback_uri],
      installationUrl: c.installation_endpoint.url,
      uninstallUrl: c.uninstallation_endpoint.url,
      isAliveUrl: c.is_alive_endpoint.url,
      ...(extra.name ? { name: extra.name } : {}),
      ...(extra.launchUrl ? { launchUrl: extra.launchUrl } : {}),
      ...(order
        ? {
            orderWebhookUrl: order.url,
            orderWebhookHeaders: Object.fromEntries(order.headers.map((h) => [h.name, h.value])),
          }
        : {}),
      ...(update
        ? {
            orderUpdateWebhookUrl: update.url,
            orderUpdateWebhookHeaders: Object.fromEntries(update.headers.map((h) => [h.name, h.value])),
          }
        : {}),
    });
  }

  /** Calls the plugin's declared `is_alive_endpoint` (GET) as the App Center would; null status = unreachable. */
  async checkAlive(pluginId?: string): Promise<{ url: string; status: number | null; body: unknown }> {
    const plugin = pluginId ? this.plugins.get(pluginId) : [...this.plugins.values()][0];
    if (!plugin?.isAliveUrl) throw new Error(`plugin ${pluginId ?? "(first)"} declares no is_alive_endpoint`);
    try {
      const res = await fetch(plugin.isAliveUrl, { signal: AbortSignal.timeout(5_000) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { url: plugin.isAliveUrl, status: res.status, body };
    } catch {
      return { url: plugin.isAliveUrl, status: null, body: null };
    }
  }

  createOrganization(input: { id?: string; name: string }): { id: string; name: string } {
    const id = input.id ?? this.uuid();
    if (this.orgs.has(id)) throw new Error(`organization ${id} exists`);
    const org: OrgState = {
      id,
      name: input.name,
      products: new Map(),
      variationAxes: new Map(),
      partners: new Map(),
      paymentMethods: new Map(),
      priceTables: new Map(),
      warehouses: new Map(),
      measureUnits: new Map(),
      categories: new Map(),
      brands: new Map(),
      statuses: new Map(),
      orders: new Map(),
      stock: new Map(),
      files: new Map(),
      installations: new Map(),
      defaultWarehouseId: "",
    };
    this.orgs.set(id, org);
    seedDefaults(this, org);
    return { id, name: input.name };
  }

  org(orgId: string): OrgState {
    const org = this.orgs.get(orgId);
    if (!org) throw new Error(`unknown organization ${orgId}`);
    return org;
  }

  private pluginFor(org: OrgState, pluginId?: string): PluginRegistration {
    const id =
      pluginId ??
      (this.plugins.size === 1 ? [...this.plugins.keys()][0] : [...org.installations.keys()][0]) ??
      undefined;
    const plugin = id ? this.plugins.get(id) : undefined;
    if (!plugin) throw new Error(`unknown plugin ${pluginId ?? "(none registered)"}`);
    return plugin;
  }

  /** Seeds catalog and configuration. `statuses` replaces the default set. Returns the created ids by name. */
  seed(orgId: string, input: SeedInput): Record<string, Record<string, string>> {
    const org = this.org(orgId);
    const out: Record<string, Record<string, string>> = {};
    const put = (kind: string, name: string, id: string) => {
      out[kind] ??= {};
      (out[kind] as Record<string, string>)[name] = id;
    };
    const ts = this.now().toISOString();
    if (input.statuses) {
      org.statuses.clear();
      const ids = new Map<string, string>();
      for (const s of input.statuses) ids.set(s.name, s.id ?? this.uuid());
      for (const s of input.statuses) {
        const id = ids.get(s.name) as string;
        org.statuses.set(id, {
          id,
          name: s.name,
          title: s.title ?? s.name,
          sub_title: "",
          type: s.type,
          can_edit_by_customer: s.can_edit_by_customer ?? false,
          can_edit_by_api: s.can_edit_by_api ?? true,
          show_in_portal: true,
          background_color: "#FFFFFF",
          font_color: "#000000",
          relations: [],
          created_at: ts,
          updated_at: ts,
        });
        put("statuses", s.name, id);
      }
      for (const s of input.statuses) {
        const rec = org.statuses.get(ids.get(s.name) as string) as StatusRecord;
        rec.relations = (s.next ?? []).map((n) => {
          const destId = ids.get(n);
          if (!destId) throw new Error(`status ${s.name}: unknown next status ${n}`);
          return { id: this.uuid(), destiny: { id: destId, name: n, title: n } };
        });
      }
    }
    for (const pm of input.paymentMethods ?? []) {
      const id = pm.id ?? this.nextId();
      org.paymentMethods.set(id, {
        id,
        name: pm.name,
        type: pm.type ?? "CREDIT_CARD",
        active: pm.active ?? true,
      });
      put("paymentMethods", pm.name, id);
    }
    for (const w of input.warehouses ?? []) {
      const id = w.id ?? this.nextId();
      org.warehouses.set(id, { id, name: w.name });
      put("warehouses", w.name, id);
    }
    for (const u of input.measureUnits ?? []) {
      const id = u.id ?? this.nextId();
      org.measureUnits.set(id, {
        id,
        name: u.name,
        abbreviation: u.abbreviation ?? u.name,
        decimals_for_quantity: 0,
      });
      put("measureUnits", u.name, id);
    }
    for (const c of input.categories ?? []) {
      const id = c.id ?? this.nextId();
      const parent = c.parent
        ? ([...org.categories.values()].find((x) => x.name === c.parent)?.id ?? null)
        : null;
      org.categories.set(id, { id, name: c.name, root_id: parent, active: true });
      put("categories", c.name, id);
    }
    for (const b of input.brands ?? []) {
      const id = b.id ?? this.nextId();
      org.brands.set(id, { id, name: b.name });
      put("brands", b.name, id);
    }
    for (const ax of input.variationAxes ?? []) {
      const id = this.nextId();
      org.variationAxes.set(id, { id, name: ax.name, active: true, values: [...ax.values] });
      put("variationAxes", ax.name, id);
    }
    for (const pt of input.priceTables ?? []) {
      const id = pt.id ?? this.nextId();
      org.priceTables.set(id, {
        id,
        name: pt.name,
        start_date: pt.start_date ?? "2025-01-01",
        end_date: pt.end_date ?? "2060-01-01",
        is_partner_specific: false,
        is_profile_specific: false,
        is_company_specific: false,
        is_payment_method_specific: false,
        criteria: [],
        products: [],
      });
      put("priceTables", pt.name, id);
    }
    for (const p of input.products ?? []) {
      const rec = createProductRecord(this, org, p);
      put("products", rec.sku, rec.id);
    }
    for (const p of input.partners ?? []) {
      const rec = createPartnerRecord(this, org, p);
      put("partners", String(rec.fiscal_registration_number ?? rec.state_registration ?? rec.id), rec.id);
    }
    return out;
  }

  /** Marks the plugin installed (new access-key pair) and POSTs the install notification. */
  async install(
    orgId: string,
    pluginId?: string,
  ): Promise<{ installation: Installation; delivery: WebhookDelivery | null }> {
    const org = this.org(orgId);
    const plugin = this.pluginFor(org, pluginId);
    const existing = org.installations.get(plugin.pluginId);
    if (existing) return { installation: existing, delivery: null };
    const installation: Installation = {
      pluginId: plugin.pluginId,
      accessKeyCode: `zk_${randomBytes(8).toString("hex")}`,
      accessKeyToken: randomBytes(24).toString("base64url"),
      installedAt: this.now().toISOString(),
    };
    org.installations.set(plugin.pluginId, installation);
    const delivery = await this.notify(org, plugin, "install", plugin.installationUrl);
    return { installation, delivery };
  }

  /** Revokes the pair (API calls then answer 401) and POSTs the uninstall notification. */
  async uninstall(orgId: string, pluginId?: string): Promise<{ delivery: WebhookDelivery | null }> {
    const org = this.org(orgId);
    const plugin = this.pluginFor(org, pluginId);
    if (!org.installations.delete(plugin.pluginId)) return { delivery: null };
    // zydon-api.md §2.4: the manifest declares `uninstallation_endpoint`; a plugin without one gets no call.
    if (!plugin.uninstallUrl) return { delivery: null };
    return { delivery: await this.notify(org, plugin, "uninstall", plugin.uninstallUrl) };
  }

  accessKeyFor(orgId: string, pluginId?: string): { code: string; token: string } {
    const org = this.org(orgId);
    const inst = org.installations.get(this.pluginFor(org, pluginId).pluginId);
    if (!inst) throw new Error(`plugin not installed in ${orgId}`);
    return { code: inst.accessKeyCode, token: inst.accessKeyToken };
  }

  /**
   * Test shortcut for the consent screen: approves, installs if needed (zydon-api.md §2.2 step 3) and returns a
   * single-use code bound to the redirect URI.
   */
  async authorize(orgId: string, pluginId: string, redirectUri: string, _state?: string): Promise<string> {
    const plugin = this.plugins.get(pluginId);
    if (!plugin?.callbackUrls.includes(redirectUri)) throw new Error("invalid_client");
    await this.install(orgId, pluginId);
    const code = randomBytes(16).toString("base64url");
    this.codes.set(code, {
      orgId,
      pluginId,
      redirectUri,
      expiresAt: this.now().getTime() + (this.options.codeTtlMs ?? 10 * 60_000),
      used: false,
    });
    return code;
  }

  /** A user session of the organization: an admin's (SELLER, the default) or a portal buyer's (PARTNER). */
  issueAdminSession(
    orgId: string,
    profile: ZydonUserProfile = "SELLER",
  ): { organizationId: string; accessToken: string } {
    this.org(orgId);
    const accessToken = randomBytes(24).toString("base64url");
    this.adminSessions.set(accessToken, { organizationId: orgId, userId: this.uuid(), profile });
    return { organizationId: orgId, accessToken };
  }

  /** A portal buyer places an order: order + sale + stock reservation, then the order webhook. */
  async placeOrder(
    orgId: string,
    input: PlaceOrderInput,
  ): Promise<{ orderId: string; deliveries: WebhookDelivery[] }> {
    const org = this.org(orgId);
    const now = this.now();
    let partnerId: string;
    if (typeof input.partner.id === "string" && Object.keys(input.partner).length === 1) {
      if (!org.partners.has(input.partner.id)) throw new Error(`unknown partner ${input.partner.id}`);
      partnerId = input.partner.id;
    } else {
      partnerId = createPartnerRecord(this, org, input.partner as Json).id;
    }
    if (!org.paymentMethods.has(input.paymentMethodId))
      throw new Error(`unknown payment method ${input.paymentMethodId}`);
    if (input.items.length === 0) throw new Error("an order needs items");
    const items = input.items.map((it) => {
      const found = this.findSku(org, it.sku);
      if (!found) throw new Error(`unknown sku ${it.sku}`);
      const price = found.variation ? (found.variation.price ?? found.product.price) : found.product.price;
      return {
        id: this.nextId(),
        productId: found.product.id,
        variationId: found.variation?.id ?? null,
        sku: it.sku,
        quantity: it.quantity,
        unitValue: it.unitValue ?? price ?? 0,
        discount: it.discount ?? 0,
      };
    });
    const cents = (n: number) => Math.round(n * 100);
    const orderCents = items.reduce((s, i) => s + cents(i.unitValue) * i.quantity - cents(i.discount), 0);
    const freight = input.freightValue ?? 0;
    const discount = input.discountValue ?? 0;
    const totalCents = orderCents + cents(freight) - cents(discount);
    const initial = [...org.statuses.values()].find((s) => s.type === "PENDING");
    const createdAt = input.createdAt ?? now.toISOString();
    const order: OrderRecord = {
      id: this.nextId(),
      partnerId,
      sellerId: input.sellerId ?? null,
      createdAt,
      items,
      payments: [
        {
          id: this.nextId(),
          paymentMethodId: input.paymentMethodId,
          amount: totalCents / 100,
          installments: input.installments ?? 1,
        },
      ],
      statuses: initial ? [{ status_id: initial.id, created_at: createdAt }] : [],
      freightValue: freight,
      discountValue: discount,
      orderValue: orderCents / 100,
      totalValue: totalCents / 100,
      observation: input.observation ?? null,
      externalId: null,
      invoices: [],
      webhookError: null,
      shipment: {},
    };
    org.orders.set(order.id, order);
    for (const it of items) {
      const rec = this.stockRecord(org, it.productId, it.variationId, org.defaultWarehouseId);
      rec.reserved += it.quantity;
    }
    const deliveries = await this.fireOrderWebhook(org, order);
    return { orderId: order.id, deliveries };
  }

  private async fireOrderWebhook(org: OrgState, order: OrderRecord): Promise<WebhookDelivery[]> {
    const out: WebhookDelivery[] = [];
    if (this.faults.dropWebhooks) return out;
    const times = this.faults.duplicateWebhooks ? 2 : 1;
    for (const inst of org.installations.values()) {
      const plugin = this.plugins.get(inst.pluginId);
      if (!plugin?.orderWebhookUrl) continue;
      const raw = A.orderWebhookBody({
        orderId: order.id,
        organizationId: org.id,
        amountValue: order.totalValue,
        createdAt: order.createdAt,
      });
      for (let i = 0; i < times; i++) {
        const d = await this.deliver(
          org,
          plugin,
          A.ORDER_WEBHOOK_EVENT,
          plugin.orderWebhookUrl,
          raw,
          plugin.orderWebhookHeaders,
        );
        order.webhookError = d.error ?? (d.status && d.status >= 300 ? `HTTP ${d.status}` : null);
        out.push(d);
      }
    }
    return out;
  }

  /**
   * The merchant moves an order in Zydon's admin (allowed next statuses apply, the API gate does not); Zydon
   * then sends the order-update webhook to every installed plugin that declared one.
   */
  async setOrderStatusAsMerchant(
    orgId: string,
    orderId: string,
    statusId: string,
  ): Promise<{ moved: boolean; deliveries: WebhookDelivery[] }> {
    const org = this.org(orgId);
    const moved = changeOrderStatus(this, org, orderId, statusId, "merchant");
    if (!moved) return { moved: false, deliveries: [] };
    return { moved: true, deliveries: await this.fireOrderUpdateWebhook(org, moved) };
  }

  private readonly inFlight = new Set<Promise<unknown>>();

  /** After an API status change: the webhook goes out once the API has answered (not awaited by it). */
  announceOrderUpdate(org: OrgState, order: OrderRecord): void {
    const p = this.fireOrderUpdateWebhook(org, order).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Waits for webhooks sent in the background (API status changes) to be answered. */
  async settleWebhooks(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * The order-update webhook (zydon-api.md §9 [ZS-233]; body and event are the adapter's guesses), with the
   * same faults as the order webhook: dropped (lost) or delivered twice.
   */
  private async fireOrderUpdateWebhook(org: OrgState, order: OrderRecord): Promise<WebhookDelivery[]> {
    const out: WebhookDelivery[] = [];
    if (this.faults.dropWebhooks) return out;
    const times = this.faults.duplicateWebhooks ? 2 : 1;
    const last = order.statuses.at(-1);
    const raw = A.orderUpdateWebhookBody({
      orderId: order.id,
      organizationId: org.id,
      statusId: last?.status_id ?? null,
      kind: A.ORDER_UPDATE_KINDS.status,
      updatedAt: last?.created_at ?? this.now().toISOString(),
    });
    for (const inst of org.installations.values()) {
      const plugin = this.plugins.get(inst.pluginId);
      if (!plugin?.orderUpdateWebhookUrl) continue;
      for (let i = 0; i < times; i++) {
        const d = await this.deliver(
          org,
          plugin,
          A.ORDER_UPDATE_WEBHOOK_EVENT,
          plugin.orderUpdateWebhookUrl,
          raw,
          plugin.orderUpdateWebhookHeaders,
        );
        order.webhookError = d.error ?? (d.status && d.status >= 300 ? `HTTP ${d.status}` : null);
        out.push(d);
      }
    }
    return out;
  }

  private notify(org: OrgState, plugin: PluginRegistration, event: A.NotificationEvent, url: string) {
    return this.deliver(org, plugin, event, url, A.notificationBody(org.id));
  }

  private async deliver(
    org: OrgState,
    plugin: PluginRegistration,
    event: string,
    url: string,
    rawBody: string,
    declaredHeaders: Record<string, string> = {},
  ): Promise<WebhookDelivery> {
    // The HMAC guess and the plugin's declared fixed headers (zydon-api.md §2.4), so either check can pass.
    const headers = {
      ...A.signedHeaders({
        accessKey: plugin.accessKey,
        rawBody,
        now: this.now(),
        event,
        deliveryId: this.uuid(),
      }),
      ...declaredHeaders,
    };
    let d: WebhookDelivery;
    try {
      const res = await fetch(url, {
        method: "POST",
        headers,
        body: rawBody,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      d = { url, event, status: res.status, error: null };
    } catch (err) {
      d = { url, event, status: null, error: err instanceof Error ? err.message : String(err) };
    }
    this.webhookLog.push({ ...d, orgId: org.id, at: this.now().toISOString() });
    return d;
  }

  findSku(
    org: OrgState,
    sku: string,
  ): { product: ProductRecord; variation: ProductRecord["variations"][number] | null } | null {
    for (const p of org.products.values()) {
      if (p.sku === sku) return { product: p, variation: null };
      const v = p.variations.find((x) => x.sku === sku);
      if (v) return { product: p, variation: v };
    }
    return null;
  }

  stockRecord(
    org: OrgState,
    productId: string,
    variationId: string | null,
    warehouseId: string,
  ): StockRecord {
    const key = stockKey(productId, variationId, warehouseId);
    let rec = org.stock.get(key);
    if (!rec) {
      rec = {
        product_id: productId,
        product_variation_id: variationId,
        warehouse_id: warehouseId,
        total: 0,
        reserved: 0,
      };
      org.stock.set(key, rec);
      addTo(this.stockKeysOf(org), itemKey(productId, variationId), key);
    }
    return rec;
  }

  stockTotal(org: OrgState, productId: string, variationId: string | null): number {
    let total = 0;
    for (const key of this.stockKeysOf(org).get(itemKey(productId, variationId)) ?? []) {
      total += org.stock.get(key)?.total ?? 0;
    }
    return total;
  }

  /**
   * The stock rows' keys per (product, variation), so a product's total is not a scan of every row (at 10,000
   * products the scan made each product read O(catalog) and the benchmark simulator-bound). Built from
   * `org.stock` on first use; `stockRecord` and `dropItemStock` keep it current.
   */
  private readonly stockIndex = new WeakMap<OrgState, Map<string, Set<string>>>();

  private stockKeysOf(org: OrgState): Map<string, Set<string>> {
    let index = this.stockIndex.get(org);
    if (!index) {
      index = new Map();
      for (const [key, s] of org.stock) addTo(index, itemKey(s.product_id, s.product_variation_id), key);
      this.stockIndex.set(org, index);
    }
    return index;
  }

  /** Remove a variation's stock rows (one dropped by a full-replace PUT). */
  dropItemStock(org: OrgState, productId: string, variationId: string): void {
    const index = this.stockKeysOf(org);
    const item = itemKey(productId, variationId);
    for (const key of index.get(item) ?? []) org.stock.delete(key);
    index.delete(item);
    this.dropItemPrices(org, productId, variationId);
  }

  /**
   * Remove a removed variation's rows from every price table. INFERENCE (zydon-api.md §7.1 shows table rows
   * referencing `product_variation_id`; nothing says what happens when the variation goes): a row naming a
   * variation that no longer exists would make every later PUT of the table's products fail.
   */
  dropItemPrices(org: OrgState, productId: string, variationId: string): void {
    for (const table of org.priceTables.values())
      table.products = table.products.filter(
        (r) => !(r.product_id === productId && r.product_variation_id === variationId),
      );
  }

  /**
   * An order's post-sale marks as the app wrote them in its attributes, read with this Zydon's contract
   * (adapter `readPostSaleAttributes`); null when the order does not exist.
   */
  postSaleMarks(
    orgId: string,
    orderId: string,
  ): { trackingCodes: string[]; deliveredAt: string | null; cancelledInvoiceKeys: string[] } | null {
    const order = this.org(orgId).orders.get(orderId);
    return order ? A.readPostSaleAttributes(order.attributes ?? {}, this.contract) : null;
  }

  /** Everything a test needs to compare with Bling's state. Deep copies. */
  snapshot(orgId: string) {
    const org = this.org(orgId);
    const products = [...org.products.values()].map((p) => ({
      ...structuredClone(p),
      stock: this.stockTotal(org, p.id, null),
      variations: p.variations.map((v) => ({
        ...structuredClone(v),
        stock: this.stockTotal(org, p.id, v.id),
      })),
    }));
    return {
      organization: { id: org.id, name: org.name },
      installations: [...org.installations.values()].map((i) => ({
        pluginId: i.pluginId,
        installedAt: i.installedAt,
      })),
      products,
      stock: [...org.stock.values()].map((s) => ({ ...s })),
      variationAxes: [...org.variationAxes.values()].map((x) => structuredClone(x)),
      partners: [...org.partners.values()].map((x) => structuredClone(x)),
      paymentMethods: [...org.paymentMethods.values()].map((x) => structuredClone(x)),
      priceTables: [...org.priceTables.values()].map((x) => structuredClone(x)),
      statuses: [...org.statuses.values()].map((x) => structuredClone(x)),
      warehouses: [...org.warehouses.values()].map((x) => structuredClone(x)),
      orders: [...org.orders.values()].map((o) => ({
        ...structuredClone(o),
        statusId: o.statuses.at(-1)?.status_id ?? null,
      })),
      files: [...org.files.values()].map((x) => ({ ...x })),
      categories: [...org.categories.values()].map((x) => structuredClone(x)),
      brands: [...org.brands.values()].map((x) => structuredClone(x)),
    };
  }

  /** Calls per organization per route pattern, e.g. `{ org1: { "GET /api/sales/products/:id": 3 } }`. */
  stats(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const e of this.requestLog) {
      const org = e.orgId ?? "-";
      const key = `${e.method} ${e.route ?? e.path}`;
      out[org] ??= {};
      const bucket = out[org] as Record<string, number>;
      bucket[key] = (bucket[key] ?? 0) + 1;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------------------
  // Portal JWT (access-key login) — HS256 with a per-simulator secret

  signJwt(claims: Json): string {
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const head = enc({ alg: "HS256", typ: "JWT" });
    const body = enc(claims);
    const sig = createHmac("sha256", this.jwtSecret).update(`${head}.${body}`).digest("base64url");
    return `${head}.${body}.${sig}`;
  }

  verifyJwt(jwt: string): Json | null {
    const [head, body, sig] = jwt.split(".");
    if (!head || !body || !sig) return null;
    const expected = createHmac("sha256", this.jwtSecret).update(`${head}.${body}`).digest("base64url");
    if (expected !== sig) return null;
    const claims = A.decodeJwtPayload(jwt);
    if (!claims || typeof claims.exp !== "number" || claims.exp * 1000 < this.now().getTime()) return null;
    return claims;
  }

  /** Organization of an API call: access-key headers (zydon-api.md §3) or a portal JWT. */
  authenticate(req: SimRequest): OrgState | null {
    const code = header(req, A.ACCESS_KEY_CODE_HEADER);
    const token = header(req, A.ACCESS_KEY_TOKEN_HEADER);
    if (code && token) {
      for (const org of this.orgs.values()) {
        for (const inst of org.installations.values()) {
          if (inst.accessKeyCode === code && inst.accessKeyToken === token) return org;
        }
      }
      return null;
    }
    const auth = header(req, "authorization");
    if (auth?.startsWith("Bearer ")) {
      const claims = this.verifyJwt(auth.slice(7));
      const orgId = claims?.organization_id;
      if (typeof orgId === "string") return this.orgs.get(orgId) ?? null;
    }
    return null;
  }

  // ------------------------------------------------------------------------------------------------------
  // Request handling

  async handle(req: SimRequest): Promise<SimResponse> {
    const url = new URL(req.url, this.baseUrl);
    const method = req.method.toUpperCase();
    const now = this.now();
    const isApi = url.pathname.startsWith("/api/");
    let orgId: string | null = null;
    let routePattern: string | null = null;
    let res: SimResponse;
    try {
      const m = this.router.match(method, url.pathname);
      if (m && "route" in m) routePattern = m.route.pattern;
      const org = isApi && url.pathname.startsWith(A.SALES_PREFIX) ? this.authenticate(req) : null;
      orgId = org?.id ?? null;
      if (isApi) await this.applyFaults(org, url.pathname);
      if (!m)
        throw new SimHttpError(404, "NotFoundException", `Rota ${method} ${url.pathname} não encontrada`);
      if ("methodNotAllowed" in m)
        throw new SimHttpError(405, "MethodNotAllowedException", `Método ${method} não suportado`);
      if (url.pathname.startsWith(A.SALES_PREFIX) && !org) {
        throw new SimHttpError(401, "UnauthorizedException", "Credenciais de acesso inválidas");
      }
      let parsed: Json | undefined;
      const ctx: ApiContext = {
        sim: this,
        req,
        url,
        org,
        now,
        text: () => bodyText(req),
        json: () => {
          if (parsed) return parsed;
          const t = bodyText(req);
          try {
            const v: unknown = t ? JSON.parse(t) : {};
            if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
            parsed = v as Json;
            return parsed;
          } catch {
            throw new SimHttpError(400, "HttpMessageNotReadableException", "JSON parse error");
          }
        },
      };
      res = await m.route.handler(ctx, m.params);
    } catch (err) {
      if (err instanceof SimHttpError) {
        res = jsonResponse(err.status, envelope(err.status, err.exception, err.message, now), err.headers);
      } else {
        const message = err instanceof Error ? err.message : String(err);
        res = jsonResponse(500, envelope(500, "InternalErrorException", message, now));
      }
    }
    if (!url.pathname.startsWith("/__control")) {
      this.requestLog.push({
        at: now.toISOString(),
        method,
        path: url.pathname,
        route: routePattern,
        orgId,
        status: res.status,
      });
    }
    return res;
  }

  private async applyFaults(org: OrgState | null, path: string): Promise<void> {
    const f = this.faults;
    const latency = f.latencyMs + (path === A.RESOURCE_FILES_PATH ? f.uploadLatencyMs : 0);
    if (latency > 0) await this.sleep(latency);
    if (f.timeoutRate > 0 && this.rng() < f.timeoutRate) {
      await this.sleep(f.hangMs);
      throw new SimHttpError(504, "GatewayTimeoutException", "Tempo esgotado");
    }
    if (f.serverErrorRate > 0 && this.rng() < f.serverErrorRate) {
      throw new SimHttpError(500, "InternalErrorException", "Erro interno simulado");
    }
    const retryAfter = this.options.retryAfterHeader;
    const limitedHeaders: Record<string, string> =
      retryAfter == null ? {} : { [A.RETRY_AFTER_HEADER]: String(retryAfter) };
    if (f.rateLimitRate > 0 && this.rng() < f.rateLimitRate) {
      throw new SimHttpError(
        429,
        "TooManyRequestsException",
        "Limite de requisições excedido",
        limitedHeaders,
      );
    }
    const limit = this.options.rateLimit;
    if (limit && org) {
      const t = this.now().getTime();
      const recent = (this.hits.get(org.id) ?? []).filter((x) => t - x < limit.windowMs);
      if (recent.length >= limit.max) {
        this.hits.set(org.id, recent);
        throw new SimHttpError(
          429,
          "TooManyRequestsException",
          "Limite de requisições excedido",
          limitedHeaders,
        );
      }
      recent.push(t);
      this.hits.set(org.id, recent);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
      };
      this.timers.add(entry);
    });
  }

  /** Ends pending sleeps (hung requests, latency) so servers close promptly. */
  dispose(): void {
    for (const e of this.timers) {
      clearTimeout(e.timer);
      e.resolve();
    }
    this.timers.clear();
  }

  /** For route modules: 422 helper that names the rule in pt-BR like Zydon does. */
  static reject(message: string): never {
    throw unprocessable(message);
  }
}

function itemKey(productId: string, variationId: string | null): string {
  return `${productId}|${variationId ?? ""}`;
}

function addTo(index: Map<string, Set<string>>, item: string, key: string): void {
  const keys = index.get(item);
  if (keys) keys.add(key);
  else index.set(item, new Set([key]));
}
