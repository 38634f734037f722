import { z } from "zod";

/**
 * The only place that knows the API's paths and response shapes. Every response is zod-parsed, so a contract
 * change is a one-file fix and a drifted API shows a clear error instead of a broken screen.
 */

// ---------------------------------------------------------------------------------------------- shapes

const isoDate = z.string().min(1);
const idLike = z.union([z.string(), z.number()]).transform((v) => String(v));

export const sessionResponseSchema = z.object({
  token: z.string().min(1),
  expiresAt: isoDate,
  tenantId: z.string(),
});
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

export const blingStates = ["not_connected", "connected", "needs_reauth"] as const;
export type BlingState = (typeof blingStates)[number];
export const tenantStates = ["awaiting_bling", "active", "paused", "needs_reauth"] as const;
export type TenantState = (typeof tenantStates)[number];

export const connectionSchema = z.object({
  bling: z.object({
    state: z.enum(blingStates),
    companyName: z.string().nullish(),
    /** pt-BR sentence from the API ("Conectado como …"), when it sends one. */
    label: z.string().nullish(),
  }),
  token: z.object({
    /** none | valid | renewing | refresh_failing | expired | needs_reauth; unknown values still render. */
    state: z.string(),
    label: z.string().nullish(),
  }),
  tenant: z.object({ state: z.string(), paused: z.boolean().default(false) }),
});
export type Connection = z.infer<typeof connectionSchema>;

export const readinessProblemSchema = z.object({
  code: z.string(),
  /** pt-BR: what is wrong. */
  title: z.string(),
  count: z.number(),
  examples: z.array(z.string()).default([]),
  /** pt-BR: what to do. */
  action: z.string(),
  severity: z.enum(["blocker", "warning", "info"]).catch("warning"),
});
export type ReadinessProblem = z.infer<typeof readinessProblemSchema>;

export const readinessSchema = z.object({
  generatedAt: isoDate.nullish(),
  problems: z.array(readinessProblemSchema),
  sampled: z.boolean().default(false),
});
export type Readiness = z.infer<typeof readinessSchema>;

export const progressEntitySchema = z.object({
  entity: z.string(),
  /** queued | running | done | failed | cancelled */
  status: z.string(),
  done: z.number(),
  total: z.number().nullish(),
  failed: z.number().default(0),
  skipped: z.number().default(0),
  etaSeconds: z.number().nullish(),
});
export type ProgressEntity = z.infer<typeof progressEntitySchema>;

export const progressSchema = z.object({
  running: z.boolean(),
  entities: z.array(progressEntitySchema),
  /** Whole remaining initial sync, from the request budget. */
  etaSeconds: z.number().nullish(),
  initialSyncDoneAt: isoDate.nullish(),
});
export type Progress = z.infer<typeof progressSchema>;

/** The API's wire format; the page reads the flatter `Health` below. */
const healthWireSchema = z.object({
  paused: z.boolean(),
  tenantState: z.string().nullish(),
  /** Set while the Bling daily limit pause lasts. */
  blingPausedUntil: isoDate.nullish(),
  token: z.object({ state: z.string(), label: z.string().nullish() }),
  lastSuccess: z.record(z.string(), isoDate.nullable()).default({}),
  webhooks: z
    .record(
      z.string(),
      z.object({
        last24h: z.number().default(0),
        lastReceivedAt: isoDate.nullish(),
        lastLagMs: z.number().nullish(),
        p95LagMs: z.number().nullish(),
      }),
    )
    .default({}),
  requests: z.object({ today: z.number(), dailyLimit: z.number() }).nullish(),
});

export const healthSchema = healthWireSchema.transform((h) => ({
  paused: h.paused,
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
  entities: Object.entries(h.lastSuccess).map(([entity, at]) => ({ entity, lastSuccessAt: at })),
}));
export type Health = z.infer<typeof healthSchema>;

const optionalId = z.string().nullish();

/** Mirrors packages/sync tenant-settings.ts (the server validates again and owns the messages). */
export const settingsSchema = z.object({
  stock: z.object({
    depositIds: z.array(z.string()).default([]),
    balance: z.enum(["virtual", "physical"]).default("virtual"),
  }),
  price: z.object({
    source: z.enum(["base", "store"]).default("base"),
    blingStoreId: optionalId,
    zydonPriceTableId: optionalId,
  }),
  orders: z.object({
    trigger: z.enum(["all", "from_status"]).default("all"),
    zydonStatusId: optionalId,
  }),
  nfe: z.object({
    enabled: z.boolean().default(false),
    approvedZydonStatusId: optionalId,
  }),
  paused: z.boolean().default(false),
});
export type Settings = z.infer<typeof settingsSchema>;

const optionSchema = z.object({ id: idLike, name: z.string() });
const optionsWireSchema = z.object({
  bling: z
    .object({
      deposits: z.array(
        optionSchema.extend({ isDefault: z.boolean().default(false), active: z.boolean().default(true) }),
      ),
      stores: z.array(optionSchema).optional(),
    })
    .nullish(),
  zydon: z
    .object({
      statuses: z.array(optionSchema).default([]),
      priceTables: z.array(optionSchema).default([]),
    })
    .nullish(),
  /** pt-BR, per side: why its lists are missing. */
  unavailable: z.object({ bling: z.string().optional(), zydon: z.string().optional() }).default({}),
});

/** Each list is null when the API cannot offer it: that field becomes a free-text input. */
export const settingsOptionsSchema = optionsWireSchema.transform((o) => ({
  deposits: o.bling ? o.bling.deposits.filter((d) => d.active) : null,
  stores: o.bling?.stores ?? null,
  zydonStatuses: o.zydon ? o.zydon.statuses : null,
  priceTables: o.zydon ? o.zydon.priceTables : null,
  notes: [o.unavailable.bling, o.unavailable.zydon].filter((n): n is string => Boolean(n)),
}));
export type SettingsOptions = z.infer<typeof settingsOptionsSchema>;
export type Option = z.infer<typeof optionSchema>;

export const ledgerOutcomes = ["synced", "skipped", "failed"] as const;
export type LedgerOutcome = (typeof ledgerOutcomes)[number];

export const ledgerItemSchema = z.object({
  id: idLike,
  entity: z.string(),
  entityKey: z.string(),
  action: z.string(),
  outcome: z.enum(ledgerOutcomes),
  reason: z.string().nullish(),
  attempts: z.number(),
  updatedAt: isoDate,
  /** A later success closed this failure: nothing left to retry. */
  resolvedAt: isoDate.nullish(),
  retryable: z.union([z.boolean(), z.number()]).transform((v) => Boolean(v)),
});
export type LedgerItem = z.infer<typeof ledgerItemSchema>;

/** The API pages from 0; the page (and this type) count from 1. */
export const ledgerPageSchema = z
  .object({
    items: z.array(ledgerItemSchema),
    total: z.number(),
    page: z.number(),
    pageSize: z.number(),
  })
  .transform((p) => ({ ...p, page: p.page + 1 }));
export type LedgerPage = z.infer<typeof ledgerPageSchema>;

export interface LedgerQuery {
  entity?: string | undefined;
  outcome?: LedgerOutcome | undefined;
  search?: string | undefined;
  page?: number | undefined;
  pageSize?: number | undefined;
}

/** Bulk actions answer with how many they queued when the API says so; anything else is fine too. */
const actionResultSchema = z
  .object({
    enqueued: z.number().optional(),
    retried: z.number().optional(),
    status: z.string().optional(),
    message: z.string().optional(),
  })
  .loose()
  .nullable()
  .catch(null);
export type ActionResult = z.infer<typeof actionResultSchema>;

const errorBodySchema = z.object({ error: z.string().optional(), message: z.string().optional() }).loose();
const validationBodySchema = z.object({ errors: z.record(z.string(), z.string()) });

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
export interface HostSession {
  organizationId: string;
  accessToken: string;
}

/**
 * A ready app session instead of a host session: the API's install callback opens the page with
 * `#launch=<token>` (short-lived; it cannot be renewed, so on expiry the page asks to reopen from the App Center).
 */
export interface LaunchSession {
  launchToken: string;
}

export type ClientSession = HostSession | LaunchSession;

function isLaunch(s: ClientSession): s is LaunchSession {
  return "launchToken" in s;
}

export interface ApiClientOptions {
  /** Origin (and optional path prefix) of the integration API, e.g. "https://bling.example.com". */
  baseUrl: string;
  session: ClientSession;
  /** Re-mint the app session this many ms before it expires. */
  refreshMarginMs?: number;
  now?: () => number;
}

export const ledgerPath = "/api/settings/ledger";

/** The query string the ledger endpoint receives; blank filters are left out, pages count from 0. */
export function ledgerSearchParams(q: LedgerQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (q.entity) params.set("entity", q.entity);
  if (q.outcome) params.set("outcome", q.outcome);
  const search = q.search?.trim();
  if (search) params.set("search", search);
  params.set("page", String(Math.max(0, (q.page ?? 1) - 1)));
  params.set("pageSize", String(q.pageSize ?? 20));
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
  private pending: Promise<string> | null = null;

  constructor(opts: ApiClientOptions) {
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
    if (isLaunch(this.session)) {
      // Used as is until the API says it expired; there is nothing to renew it with.
      this.current = { token: this.session.launchToken, expiresAtMs: Number.POSITIVE_INFINITY, tenantId: "" };
      return this.session.launchToken;
    }
    const body = await this.send("/api/session", { method: "POST", body: this.session }, null);
    const parsed = parse(sessionResponseSchema, body);
    const expiresAtMs = Date.parse(parsed.expiresAt);
    this.current = {
      token: parsed.token,
      expiresAtMs: Number.isNaN(expiresAtMs) ? this.now() + 5 * 60_000 : expiresAtMs,
      tenantId: parsed.tenantId,
    };
    return parsed.token;
  }

  // --- connection

  getConnection(): Promise<Connection> {
    return this.get("/api/settings/connection", connectionSchema);
  }

  /** URL to open in a top-level window: Bling's login cannot run inside the App Center iframe. */
  async blingConnectUrl(): Promise<string> {
    const token = await this.token();
    return `${this.baseUrl}/bling/connect?session=${encodeURIComponent(token)}`;
  }

  /** The API's pt-BR `message` says whether Bling confirmed the revocation. */
  async disconnectBling(): Promise<ActionResult> {
    const body = await this.authed("/api/settings/bling/disconnect", { method: "POST" });
    return actionResultSchema.parse(body);
  }

  // --- readiness, progress, health

  /** Null until the first report exists (the API answers 404 before the Bling connection). */
  async getReadiness(): Promise<Readiness | null> {
    const body = await this.authed("/api/settings/readiness", { nullOn404: true });
    return body == null ? null : parse(readinessSchema, body);
  }

  getProgress(): Promise<Progress> {
    return this.get("/api/settings/progress", progressSchema);
  }

  getHealth(): Promise<Health> {
    return this.get("/api/settings/health", healthSchema);
  }

  async resync(entity: string): Promise<ActionResult> {
    const body = await this.authed(`/api/settings/resync/${encodeURIComponent(entity)}`, { method: "POST" });
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

  async retryLedgerItem(id: string): Promise<ActionResult> {
    const body = await this.authed(`${ledgerPath}/${encodeURIComponent(id)}/retry`, { method: "POST" });
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
    const validation = validationBodySchema.safeParse(body);
    if (res.status === 400 && validation.success) {
      throw new ApiError("validation", validationMessage, 400, "validation", validation.data.errors);
    }
    const err = errorBodySchema.safeParse(body);
    const message = err.success && err.data.message ? err.data.message : genericMessage;
    const code = err.success && err.data.error ? err.data.error : null;
    throw new ApiError("http", message, res.status, code);
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
