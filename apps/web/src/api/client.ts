import {
  type ActionResult,
  type Activity,
  type AlertSettingsBody,
  type AlertSettingsView,
  type AlertsResponse,
  type AlertTestResponse,
  actionResultSchema,
  activitySchema,
  alertSettingsViewSchema,
  alertsResponseSchema,
  alertTestResponseSchema,
  blingConnectStartResponseSchema,
  type Connection,
  connectionSchema,
  errorBodySchema,
  type GuardKind,
  type GuardReleaseResponse,
  guardReleaseResponseSchema,
  healthResponseSchema,
  type LedgerOutcome,
  type LedgerQueryParams,
  ledgerPageResponseSchema,
  type PageStateResponse,
  type Progress,
  type PurgeDataResponse,
  pageStateSchema,
  progressSchema,
  purgeDataResponseSchema,
  type Readiness,
  type ResyncItemResponse,
  readinessSchema,
  reissuedSessionSchema,
  resyncItemResponseSchema,
  type SessionRequest,
  type Settings,
  type SettingsPreviewResponse,
  sessionResponseSchema,
  settingsOptionsResponseSchema,
  settingsPreviewResponseSchema,
  settingsSchema,
  validationErrorBodySchema,
} from "@zb/contract";
import { z } from "zod";

/**
 * The only place that knows the API's paths. Every response is zod-parsed with the API's own schemas
 * (@zb/contract), so a contract change shows up as a type error here and a drifted API shows a clear error
 * instead of a broken screen.
 */

// ---------------------------------------------------------------------------------------------- shapes

// The wire shapes are the API's own contract (@zb/contract); this file only adds the page's view of them.
export type {
  ActionResult,
  Activity,
  AlertItem,
  AlertKindId,
  AlertSettingsBody,
  AlertSettingsView,
  AlertsResponse,
  AttentionItem,
  BlingState,
  Connection,
  GuardKind,
  LedgerItem,
  LedgerOutcome,
  Option,
  PageState,
  PageStateResponse,
  Progress,
  ProgressEntity,
  Readiness,
  ReadinessProblem,
  RunOutcome,
  SessionResponse,
  Settings,
  TenantState,
} from "@zb/contract";
export {
  blingStates,
  connectionSchema,
  ledgerItemSchema,
  ledgerOutcomes,
  progressEntitySchema,
  progressSchema,
  readinessProblemSchema,
  readinessSchema,
  sessionResponseSchema,
  settingsSchema,
  tenantStates,
} from "@zb/contract";

/**
 * The health's "last success" arrives per recorded entity, where the ledger says "product" and a sync run
 * "products": one row per kind on the page (the latest of both), never Produto and Produtos side by side.
 */
const entityKinds: Record<string, string> = {
  product: "products",
  variation: "products",
  customer: "customers",
  payment_method: "payment_methods",
  price: "prices",
  order: "orders",
  category: "categories",
};
export function mergeLastSuccess(
  lastSuccess: Record<string, string | null>,
): Array<{ entity: string; lastSuccessAt: string | null }> {
  const merged = new Map<string, string | null>();
  for (const [entity, at] of Object.entries(lastSuccess)) {
    const kind = entityKinds[entity] ?? entity;
    const prev = merged.get(kind) ?? null;
    merged.set(kind, prev === null ? at : at === null ? prev : Date.parse(at) > Date.parse(prev) ? at : prev);
  }
  return [...merged].map(([entity, lastSuccessAt]) => ({ entity, lastSuccessAt }));
}

/** The page reads a flatter health than the API's wire format. */
export const healthSchema = healthResponseSchema.transform((h) => ({
  paused: h.paused,
  attention: h.attention.map((a) => ({ setting: a.setting, reason: a.reason ?? null, since: a.since })),
  blingPausedUntil: h.blingPausedUntil ?? null,
  token: { state: h.token.state, label: h.token.label ?? null },
  webhooks: Object.entries(h.webhooks).map(([provider, w]) => ({
    provider,
    last24h: w.last24h,
    lastReceivedAt: w.lastReceivedAt ?? null,
    lastLagSeconds: w.lastLagMs == null ? null : w.lastLagMs / 1000,
    p95LagSeconds: w.p95LagMs == null ? null : w.p95LagMs / 1000,
  })),
  requests: h.requests ? { today: h.requests.today, budget: h.requests.dailyLimit } : null,
  entities: mergeLastSuccess(h.lastSuccess),
}));
export type Health = z.infer<typeof healthSchema>;

/** Each list is null when the API cannot offer it: that field becomes a free-text input. */
export const settingsOptionsSchema = settingsOptionsResponseSchema.transform((o) => ({
  deposits: o.bling ? o.bling.deposits.filter((d) => d.active) : null,
  stores: o.bling?.stores ?? null,
  zydonStatuses: o.zydon ? o.zydon.statuses : null,
  priceTables: o.zydon ? o.zydon.priceTables : null,
  notes: [o.unavailable.bling, o.unavailable.zydon].filter((n): n is string => Boolean(n)),
}));
export type SettingsOptions = z.infer<typeof settingsOptionsSchema>;

/** The API pages from 0; the page (and this type) count from 1. */
export const ledgerPageSchema = ledgerPageResponseSchema.transform((p) => ({ ...p, page: p.page + 1 }));
export type LedgerPage = z.infer<typeof ledgerPageSchema>;

export interface LedgerQuery {
  entity?: string | undefined;
  outcome?: LedgerOutcome | undefined;
  search?: string | undefined;
  /** Only failures and skips still open (what the page shows as Falhou / Ignorado). */
  onlyOpen?: boolean | undefined;
  /** Only failures and skips a later success closed ("Resolvido"). */
  resolved?: boolean | undefined;
  /** Only rows recorded since then (ISO): one sync run's records ("ver quais"). */
  since?: string | null | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

// ---------------------------------------------------------------------------------------------- errors

export type ApiErrorKind = "network" | "http" | "validation" | "unexpected_response";

/** Every failure the page shows. `message` is pt-BR and safe to render. */
export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status: number | null = null,
    readonly code: string | null = null,
    /** Settings validation: field path ("price.blingStoreId") → pt-BR message. */
    readonly fieldErrors: Record<string, string> = {},
    /** The session cannot be renewed from here (expired or used launch link): reopen from the Zydon admin. */
    readonly reopenUrl: string | null = null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const genericMessage = "Não foi possível concluir a operação. Tente novamente em instantes.";
const networkMessage =
  "Sem comunicação com o servidor da integração. Verifique sua conexão e tente novamente.";
const unexpectedMessage =
  "O servidor respondeu em um formato inesperado. Atualize a página; se persistir, fale com o suporte.";
const validationMessage = "Revise os campos destacados. Nada foi salvo.";

// ---------------------------------------------------------------------------------------------- client

/** What the App Center host hands the plugin: the merchant's Zydon admin session. */
export type HostSession = SessionRequest;

/**
 * A launch code instead of a host session: the API's install callback opens the page with `#launch=<token>`
 * (short-lived and single-use: traded once for a page session that cannot be renewed, so on expiry the page
 * asks to reopen from the App Center).
 */
export interface LaunchSession {
  launchToken: string;
}

/**
 * A page session already traded (the standalone page keeps it in sessionStorage, so F5 does not lose it):
 * used until it expires, never renewed.
 */
export interface ResumedSession {
  pageToken: string;
  expiresAt: string;
  tenantId: string;
}

export type ClientSession = HostSession | LaunchSession | ResumedSession;

/** Sessions the page cannot renew by itself (a launch code, a resumed page session). */
function isLaunch(s: ClientSession): s is LaunchSession | ResumedSession {
  return "launchToken" in s || "pageToken" in s;
}

const expiredMessage =
  "Sua sessão expirou. Abra o app de novo pelo App Center da Zydon (Integrações → App Center → Bling).";

export interface ApiClientOptions {
  /** Origin (and optional path prefix) of the integration API, e.g. "https://bling.example.com". */
  baseUrl: string;
  session: ClientSession;
  /** Re-mint the app session this many ms before it expires. */
  refreshMarginMs?: number;
  now?: () => number;
  /** A replacement page session arrived in an answer (Desconectar, the purge): the standalone page keeps it. */
  onSessionReissued?: (s: { token: string; expiresAt: string; tenantId: string }) => void;
}

export const ledgerPath = "/api/settings/ledger";

/** The query string the ledger endpoint receives; blank filters are left out, pages count from 0. */
export function ledgerSearchParams(q: LedgerQuery): URLSearchParams {
  const search = q.search?.trim();
  // Typed by the API's own query schema, so a renamed parameter is a type error here.
  const query: LedgerQueryParams = {
    ...(q.entity ? { entity: q.entity } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(search ? { search } : {}),
    ...(q.onlyOpen ? { onlyOpen: "true" as const } : {}),
    ...(q.resolved ? { resolved: "true" as const } : {}),
    ...(q.since ? { since: q.since } : {}),
    page: Math.max(0, (q.page ?? 1) - 1),
    pageSize: q.pageSize ?? 20,
  };
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) params.set(key, String(value));
  return params;
}

interface RequestOptions {
  method?: "GET" | "POST" | "PUT";
  body?: unknown;
  /** 404 means "the API does not have this yet": resolve to null instead of failing. */
  nullOn404?: boolean;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private session: ClientSession;
  private current: { token: string; expiresAtMs: number; tenantId: string } | null = null;
  /** The page session as the API issued it (its real expiry), for the standalone page to keep across F5. */
  private issued: { token: string; expiresAt: string; tenantId: string } | null = null;
  private pending: Promise<string> | null = null;
  private readonly onSessionReissued: ApiClientOptions["onSessionReissued"];

  constructor(opts: ApiClientOptions) {
    this.onSessionReissued = opts.onSessionReissued;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.session = opts.session;
    this.refreshMarginMs = opts.refreshMarginMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** The host refreshed its token (REFRESH_TOKEN): the next call mints a new app session with it. */
  updateHostSession(session: ClientSession): void {
    if (JSON.stringify(session) === JSON.stringify(this.session)) return;
    this.session = session;
    this.current = null;
  }

  get tenantId(): string | null {
    return this.current?.tenantId || null;
  }

  /** The page session in use, with its expiry (null before the first exchange). */
  pageSession(): { token: string; expiresAt: string; tenantId: string } | null {
    return this.issued;
  }

  /** An app-session token, minted from the host session when missing or about to expire (single flight). */
  async token(): Promise<string> {
    if (this.current && this.current.expiresAtMs - this.refreshMarginMs > this.now())
      return this.current.token;
    if (!this.pending) {
      this.pending = this.createSession().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  private async createSession(): Promise<string> {
    if ("pageToken" in this.session) {
      const { pageToken, expiresAt, tenantId } = this.session;
      if (!(Date.parse(expiresAt) > this.now()))
        throw new ApiError("http", expiredMessage, 401, "session_expired");
      this.current = { token: pageToken, expiresAtMs: Number.POSITIVE_INFINITY, tenantId };
      this.issued = { token: pageToken, expiresAt, tenantId };
      return pageToken;
    }
    if ("launchToken" in this.session) {
      // A single-use code: traded once for a page session, which is then used until the API says it
      // expired (there is nothing to renew it with).
      const body = await this.send(
        "/api/session/launch",
        { method: "POST", body: { launchToken: this.session.launchToken } },
        null,
      );
      const parsed = parse(sessionResponseSchema, body);
      this.current = {
        token: parsed.token,
        expiresAtMs: Number.POSITIVE_INFINITY,
        tenantId: parsed.tenantId,
      };
      this.issued = { token: parsed.token, expiresAt: parsed.expiresAt, tenantId: parsed.tenantId };
      return parsed.token;
    }
    const body = await this.send("/api/session", { method: "POST", body: this.session }, null);
    const parsed = parse(sessionResponseSchema, body);
    const expiresAtMs = Date.parse(parsed.expiresAt);
    this.current = {
      token: parsed.token,
      expiresAtMs: Number.isNaN(expiresAtMs) ? this.now() + 5 * 60_000 : expiresAtMs,
      tenantId: parsed.tenantId,
    };
    this.issued = { token: parsed.token, expiresAt: parsed.expiresAt, tenantId: parsed.tenantId };
    return parsed.token;
  }

  // --- connection

  getConnection(): Promise<Connection> {
    return this.get("/api/settings/connection", connectionSchema);
  }

  /**
   * URL to open in a top-level window (Bling's login cannot run inside the App Center iframe): asked of the
   * API with the session in the header, it holds only a single-use nonce valid about a minute, so the
   * session never travels in a URL and a forwarded link opens nothing.
   */
  async blingConnectUrl(): Promise<string> {
    const body = await this.authed("/bling/connect", { method: "POST" });
    return parse(blingConnectStartResponseSchema, body).url;
  }

  /** The API's pt-BR `message` says whether Bling confirmed the revocation. */
  async disconnectBling(): Promise<ActionResult> {
    const body = await this.authed("/api/settings/bling/disconnect", { method: "POST" });
    this.adoptReissued(body);
    return actionResultSchema.parse(body);
  }

  /** "Excluir meus dados": the typed word is the API's second confirmation; answers what was removed. */
  async purgeMyData(confirmation: string): Promise<PurgeDataResponse> {
    const body = await this.authed("/api/settings/data/purge", { method: "POST", body: { confirmation } });
    const parsed = parse(purgeDataResponseSchema, body);
    this.adoptReissued(parsed);
    return parsed;
  }

  /**
   * Desconectar and the purge end every session of the tenant; the answer carries this tab's replacement
   * (same expiry). Used from here on — kept for F5 by the standalone page through `pageSession()` — so the
   * merchant's next click does not meet "sessão encerrada".
   */
  private adoptReissued(body: unknown): void {
    const s = reissuedSessionSchema.safeParse((body as { session?: unknown } | null)?.session);
    if (!s.success) return;
    const { token, expiresAt, tenantId } = s.data;
    const expiresAtMs = Date.parse(expiresAt);
    // A host session is re-minted before expiry as before; a launch-born or resumed one is used until the API
    // says it expired (nothing to renew it with), as its predecessor was.
    this.current = {
      token,
      expiresAtMs:
        isLaunch(this.session) || Number.isNaN(expiresAtMs) ? Number.POSITIVE_INFINITY : expiresAtMs,
      tenantId,
    };
    this.issued = { token, expiresAt, tenantId };
    if ("pageToken" in this.session) this.session = { pageToken: token, expiresAt, tenantId };
    this.onSessionReissued?.(this.issued);
  }

  // --- the integration's one state (banner), "Aplicar mesmo assim"

  getState(): Promise<PageStateResponse> {
    return this.get("/api/settings/state", pageStateSchema);
  }

  /** Releases a held mass change; a 409 (nothing held) throws with the API's pt-BR message. */
  async releaseGuard(guard: GuardKind): Promise<GuardReleaseResponse> {
    const body = await this.authed(`/api/settings/guards/${encodeURIComponent(guard)}/release`, {
      method: "POST",
    });
    return parse(guardReleaseResponseSchema, body);
  }

  // --- readiness, progress, health

  /** Null until the first report exists (the API answers 404 before the Bling connection). */
  async getReadiness(): Promise<Readiness | null> {
    const body = await this.authed("/api/settings/readiness", { nullOn404: true });
    return body == null ? null : parse(readinessSchema, body);
  }

  /** Ask the sync engine to recompute Prontidão now (answered at once; the report follows). */
  async refreshReadiness(): Promise<void> {
    await this.authed("/api/settings/readiness/refresh", { method: "POST" });
  }

  getProgress(): Promise<Progress> {
    return this.get("/api/settings/progress", progressSchema);
  }

  /** Sincronização's charts; null when the API does not offer them yet (404). */
  async getActivity(): Promise<Activity | null> {
    const body = await this.authed("/api/settings/activity", { nullOn404: true });
    return body == null ? null : parse(activitySchema, body);
  }

  getHealth(): Promise<Health> {
    return this.get("/api/settings/health", healthSchema);
  }

  async resync(entity: string): Promise<ActionResult> {
    const body = await this.authed(`/api/settings/resync/${encodeURIComponent(entity)}`, { method: "POST" });
    return actionResultSchema.parse(body);
  }

  /** "Tentar de novo" on a step that stopped: its pass continues from where it stopped. */
  async retryStep(entity: string): Promise<ActionResult> {
    const body = await this.authed(`/api/settings/resync/${encodeURIComponent(entity)}/retry`, {
      method: "POST",
    });
    return actionResultSchema.parse(body);
  }

  async pause(): Promise<void> {
    await this.authed("/api/settings/pause", { method: "POST" });
  }

  async resume(): Promise<void> {
    await this.authed("/api/settings/resume", { method: "POST" });
  }

  // --- settings

  getSettings(): Promise<Settings> {
    return this.get("/api/settings", settingsSchema);
  }

  /** Saves the whole settings object at once; a 400 throws an ApiError with `fieldErrors`. */
  async saveSettings(settings: Settings): Promise<Settings> {
    const body = await this.authed("/api/settings", { method: "PUT", body: settings });
    // Some APIs answer 204/empty on save: then what we sent is what is stored.
    return body == null ? settings : parse(settingsSchema, body);
  }

  /** What saving `settings` would change (nothing is saved). */
  async previewSettings(settings: Settings): Promise<SettingsPreviewResponse> {
    const body = await this.authed("/api/settings/preview", { method: "POST", body: settings });
    return parse(settingsPreviewResponseSchema, body);
  }

  /** Choices for the settings selects, or null when the API does not offer them (free-text fallback). */
  async getSettingsOptions(): Promise<SettingsOptions | null> {
    const body = await this.authed("/api/settings/options", { nullOn404: true });
    return body == null ? null : parse(settingsOptionsSchema, body);
  }

  // --- ledger

  async getLedger(q: LedgerQuery): Promise<LedgerPage> {
    const body = await this.authed(`${ledgerPath}?${ledgerSearchParams(q).toString()}`, {});
    return parse(ledgerPageSchema, body);
  }

  /** Histórico as CSV with the same filters (every page of them), for a download. */
  async exportLedgerCsv(q: LedgerQuery): Promise<Blob> {
    const params = ledgerSearchParams(q);
    params.delete("page");
    params.delete("pageSize");
    const path = `${ledgerPath}/export.csv?${params.toString()}`;
    const fetchCsv = async (token: string) => {
      let res: Response;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          headers: { accept: "text/csv", authorization: `Bearer ${token}` },
        });
      } catch {
        throw new ApiError("network", networkMessage);
      }
      if (!res.ok) throw new ApiError("http", genericMessage, res.status);
      return res.blob();
    };
    try {
      return await fetchCsv(await this.token());
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || isLaunch(this.session)) throw err;
      this.current = null;
      return fetchCsv(await this.token());
    }
  }

  async retryLedgerItem(id: string): Promise<ActionResult> {
    const body = await this.authed(`${ledgerPath}/${encodeURIComponent(id)}/retry`, { method: "POST" });
    return actionResultSchema.parse(body);
  }

  /** "Sincronizar um item": one SKU or one Zydon order; the answer lands in the item's "resync" ledger row. */
  async resyncItem(kind: "sku" | "order", value: string): Promise<ResyncItemResponse> {
    const body = await this.authed("/api/settings/resync-item", { method: "POST", body: { kind, value } });
    return parse(resyncItemResponseSchema, body);
  }

  // --- alerts (issue 18 #1)

  getAlerts(): Promise<AlertsResponse> {
    return this.get("/api/settings/alerts", alertsResponseSchema);
  }

  /** `webhookUrl` omitted keeps the saved one; null removes it. A 400 throws an ApiError with `fieldErrors`. */
  async saveAlertSettings(body: AlertSettingsBody): Promise<AlertSettingsView> {
    const answer = await this.authed("/api/settings/alerts", { method: "PUT", body });
    return parse(alertSettingsViewSchema, answer);
  }

  async sendTestAlert(): Promise<AlertTestResponse> {
    const body = await this.authed("/api/settings/alerts/test", { method: "POST", body: {} });
    return parse(alertTestResponseSchema, body);
  }

  /** "Aplicar" / "Descartar" on a price the jump guard held (202: the worker decides in a moment). */
  async decidePriceHold(id: string, decision: "apply" | "discard"): Promise<ActionResult> {
    const body = await this.authed(`${ledgerPath}/${encodeURIComponent(id)}/price-hold`, {
      method: "POST",
      body: { decision },
    });
    return actionResultSchema.parse(body);
  }

  async retryFailed(): Promise<ActionResult> {
    const body = await this.authed(`${ledgerPath}/retry-failed`, { method: "POST" });
    return actionResultSchema.parse(body);
  }

  // --- plumbing

  private async get<T>(path: string, schema: z.ZodType<T, unknown>): Promise<T> {
    return parse(schema, await this.authed(path, {}));
  }

  /** A call with the app session; an expired session (401) is re-minted once from the host session. */
  private async authed(path: string, opts: RequestOptions): Promise<unknown> {
    const token = await this.token();
    try {
      return await this.send(path, opts, token);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 401 || isLaunch(this.session)) throw err;
      this.current = null;
      return this.send(path, opts, await this.token());
    }
  }

  private async send(path: string, opts: RequestOptions, token: string | null): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method: opts.method ?? "GET",
        headers,
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
    } catch {
      throw new ApiError("network", networkMessage);
    }
    const text = await res.text();
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (res.ok) return body;
    if (res.status === 404 && opts.nullOn404) return null;
    const validation = validationErrorBodySchema.safeParse(body);
    if (res.status === 400 && validation.success) {
      throw new ApiError("validation", validationMessage, 400, "validation", validation.data.errors);
    }
    const err = errorBodySchema.safeParse(body);
    const message = err.success && err.data.message ? err.data.message : genericMessage;
    const code = err.success && err.data.error ? err.data.error : null;
    const reopen = err.success && err.data.reopenUrl ? err.data.reopenUrl : null;
    throw new ApiError("http", message, res.status, code, {}, reopen);
  }
}

function parse<T>(schema: z.ZodType<T, unknown>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  // The detail helps whoever opens the console; the merchant gets a plain sentence.
  console.error("Unexpected API response", z.prettifyError(result.error));
  throw new ApiError("unexpected_response", unexpectedMessage);
}

export function createApiClient(opts: ApiClientOptions): ApiClient {
  return new ApiClient(opts);
}
