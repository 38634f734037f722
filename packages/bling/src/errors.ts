import { z } from "zod";

/** What the caller should do next. Decided from HTTP status + `error.type`, never from message text. */
export type BlingErrorAction = "retry" | "wait" | "reconnect" | "give_up";

export interface BlingErrorContext {
  status?: number | undefined;
  /** Bling's `error.type` (e.g. `VALIDATION_ERROR`, `invalid_token`), when the body had one. */
  type?: string | undefined;
  method?: string | undefined;
  /** Path template (`/produtos/{idProduto}`), never a URL with query values. */
  path?: string | undefined;
  /** Bling's own `error.description` (pt-BR, carries no secrets). */
  description?: string | undefined;
  retryAfterMs?: number | undefined;
}

export abstract class BlingError extends Error {
  abstract readonly action: BlingErrorAction;
  readonly status: number | undefined;
  readonly type: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly description: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, ctx: BlingErrorContext = {}) {
    super(message);
    this.name = new.target.name;
    this.status = ctx.status;
    this.type = ctx.type;
    this.method = ctx.method;
    this.path = ctx.path;
    this.description = ctx.description;
    this.retryAfterMs = ctx.retryAfterMs;
  }
}

/** 429 `TOO_MANY_REQUESTS`: `period` "second" (3/s per account) or "day" (120k/day per account). */
export class BlingRateLimitedError extends BlingError {
  readonly action = "wait" as const;
  constructor(
    readonly period: "second" | "day",
    readonly limit: number | undefined,
    ctx: BlingErrorContext = {},
  ) {
    super(describe(`Bling rate limit reached (per ${period})`, ctx), ctx);
  }
}

/** 401 `invalid_token` (expired or invalid) or a malformed Authorization header: refresh, then retry. */
export class BlingTokenError extends BlingError {
  readonly action = "retry" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling rejected the access token", ctx), ctx);
  }
}

/** The token endpoint refused the code or refresh token (expired, rotated, reused, company inactive). */
export class BlingInvalidGrantError extends BlingError {
  readonly action = "reconnect" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling refused the authorization grant; the merchant must reconnect", ctx), ctx);
  }
}

/** The token endpoint refused our client credentials: a deployment configuration problem. */
export class BlingInvalidClientError extends BlingError {
  readonly action = "give_up" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling refused the app's client credentials", ctx), ctx);
  }
}

/** 403 `insufficient_scope`: the app lacks the resource's scope; the merchant must re-authorize it. */
export class BlingInsufficientScopeError extends BlingError {
  readonly action = "reconnect" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling access token lacks the scope for this resource", ctx), ctx);
  }
}

export class BlingNotFoundError extends BlingError {
  readonly action = "give_up" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling resource not found", ctx), ctx);
  }
}

export interface BlingFieldError {
  code?: number | undefined;
  msg?: string | undefined;
  element?: string | undefined;
  namespace?: string | undefined;
  index?: number | undefined;
  collection?: BlingFieldError[] | undefined;
}

/** 400-class rejection of the request (validation, missing fields, bad request). Retrying will not help. */
export class BlingValidationError extends BlingError {
  readonly action = "give_up" as const;
  constructor(
    readonly fields: BlingFieldError[],
    ctx: BlingErrorContext = {},
  ) {
    super(describe("Bling rejected the request", ctx), ctx);
  }

  /** pt-BR lines a merchant can read, e.g. "parcelas[1].formaPagamento: Id da forma de pagamento inválido.". */
  fieldLines(): string[] {
    const lines = flattenBlingFields(this.fields);
    if (lines.length === 0 && this.description) return [this.description];
    return lines;
  }
}

/** 5xx: Bling failed; retry later with backoff. */
export class BlingServerError extends BlingError {
  readonly action = "retry" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling server error", ctx), ctx);
  }
}

/** No HTTP answer: connection failure or our timeout. */
export class BlingNetworkError extends BlingError {
  readonly action = "retry" as const;
  constructor(
    readonly timedOut: boolean,
    /** True when a non-GET request may have reached Bling (retrying could create a duplicate). */
    readonly mayHaveBeenProcessed: boolean,
    ctx: BlingErrorContext = {},
    options?: { cause?: unknown },
  ) {
    super(describe(timedOut ? "Bling request timed out" : "Bling request failed (network)", ctx), ctx);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/**
 * Our egress IP is blocked (300 errors or 600 requests in 10 s → 10 min; 20 token calls in 60 s → 60 min).
 * The response shape is undocumented, so any 403 that is not `insufficient_scope` is treated as a block.
 */
export class BlingIpBlockedError extends BlingError {
  readonly action = "wait" as const;
  constructor(ctx: BlingErrorContext = {}) {
    super(describe("Bling blocked this IP", ctx), ctx);
  }
}

/** A 2xx whose body does not have the shape we rely on (ids/amounts missing or malformed). */
export class BlingUnexpectedResponseError extends BlingError {
  readonly action = "give_up" as const;
  constructor(
    readonly issues: string[],
    ctx: BlingErrorContext = {},
  ) {
    super(describe(`Unexpected Bling response (${issues.slice(0, 3).join("; ")})`, ctx), ctx);
  }
}

/** A response body over the client's cap (BLING_MAX_RESPONSE_BYTES): read no further, never repeated. */
export class BlingResponseTooLargeError extends BlingError {
  readonly action = "give_up" as const;
  constructor(
    readonly maxBytes: number,
    ctx: BlingErrorContext = {},
  ) {
    super(describe(`Bling response exceeds ${maxBytes} bytes`, ctx), ctx);
  }
}

/**
 * The cross-layer retry cap (retry.ts `CallAttemptCap`) refused to send one more request of a logical call:
 * it failed `failures` times across the retry layer and every run of its job, or its first failure is older
 * than the time bound. Never repeated: the job gives up.
 */
export class BlingRetryCapError extends BlingError {
  readonly action = "give_up" as const;
  constructor(
    readonly failures: number,
    readonly reason: "attempts" | "time",
    ctx: BlingErrorContext = {},
  ) {
    super(describe(`Bling retry cap reached (${reason}) after ${failures} failed requests`, ctx), ctx);
  }

  ptBrMessage(): string {
    return `o Bling falhou ${this.failures === 1 ? "1 vez" : `${this.failures} vezes seguidas`} nesta chamada; o envio foi interrompido e será tentado de novo na próxima sincronização`;
  }
}

/** Refused by the client before sending (e.g. a date window over one year, a missing required filter). */
export class BlingRequestError extends BlingError {
  readonly action = "give_up" as const;
}

function describe(base: string, ctx: BlingErrorContext): string {
  const where = ctx.method && ctx.path ? ` on ${ctx.method} ${ctx.path}` : "";
  const status = ctx.status !== undefined ? ` (HTTP ${ctx.status}${ctx.type ? ` ${ctx.type}` : ""})` : "";
  const desc = ctx.description ? `: ${ctx.description}` : "";
  return `${base}${where}${status}${desc}`;
}

/** Flattens Bling's `fields[]` tree into "element[index].child: msg" lines (pt-BR messages from Bling). */
export function flattenBlingFields(fields: readonly BlingFieldError[], prefix = ""): string[] {
  const out: string[] = [];
  for (const f of fields) {
    const element = f.element ?? "";
    const here = prefix && element ? `${prefix}.${element}` : prefix || element;
    if (f.collection && f.collection.length > 0) {
      for (const child of f.collection) {
        const base = child.index !== undefined ? `${here}[${child.index}]` : here;
        out.push(...flattenBlingFields([child], base));
      }
      continue;
    }
    const msg = f.msg ?? "Erro de validação.";
    out.push(here ? `${here}: ${msg}` : msg);
  }
  return out;
}

// ---- error body parsing ----

const fieldSchema: z.ZodType<BlingFieldError> = z.lazy(() =>
  z.looseObject({
    code: z.coerce.number().optional().catch(undefined),
    msg: z.string().optional().catch(undefined),
    element: z.string().optional().catch(undefined),
    namespace: z.string().optional().catch(undefined),
    index: z.coerce.number().optional().catch(undefined),
    collection: z.array(fieldSchema).optional().catch(undefined),
  }),
);

/** Bling's `{"error":{type,message,description,fields?,limit?,period?}}`, or RFC 6749's flat `{error, error_description}`. */
export const blingErrorBodySchema = z.union([
  z.looseObject({
    error: z.looseObject({
      type: z.string().optional(),
      message: z.string().optional(),
      description: z.string().optional(),
      fields: z.array(fieldSchema).optional().catch(undefined),
      limit: z.coerce.number().optional().catch(undefined),
      period: z.string().optional().catch(undefined),
    }),
  }),
  z.looseObject({ error: z.string(), error_description: z.string().optional() }).transform((flat) => ({
    error: { type: flat.error, description: flat.error_description, message: undefined, fields: undefined },
  })),
]);

export interface ParsedBlingError {
  type?: string | undefined;
  message?: string | undefined;
  description?: string | undefined;
  fields: BlingFieldError[];
  limit?: number | undefined;
  period?: string | undefined;
}

/** Reads whatever error body Bling sent; unknown shapes give an empty result (mapping then goes by status). */
export function parseBlingErrorBody(body: unknown): ParsedBlingError {
  const parsed = blingErrorBodySchema.safeParse(body);
  if (!parsed.success) return { fields: [] };
  const e = parsed.data.error as ParsedBlingError & { fields?: BlingFieldError[] | undefined };
  return {
    type: e.type,
    message: e.message,
    description: e.description,
    fields: e.fields ?? [],
    limit: e.limit,
    period: e.period,
  };
}

export interface MapErrorInput {
  status: number;
  body: unknown;
  method?: string | undefined;
  path?: string | undefined;
  /** Value of a `Retry-After` header, if Bling ever sends one (undocumented; honoured when present). */
  retryAfterHeader?: string | null | undefined;
  /** Epoch ms now, for the "day" wait (defaults to Date.now()). */
  now?: number | undefined;
}

const ONE_SECOND_WAIT_MS = 1_000;
const IP_BLOCK_MS = 10 * 60_000;
const TOKEN_IP_BLOCK_MS = 60 * 60_000;

/** Maps an API (non-OAuth) error response to its class, by status and `error.type` only. */
export function mapBlingApiError(input: MapErrorInput): BlingError {
  const e = parseBlingErrorBody(input.body);
  const ctx: BlingErrorContext = {
    status: input.status,
    type: e.type,
    method: input.method,
    path: input.path,
    description: e.description ?? e.message,
  };
  const type = e.type?.toLowerCase();
  const retryAfter = parseRetryAfter(input.retryAfterHeader);

  if (input.status === 429 || type === "too_many_requests") {
    const period = e.period?.toLowerCase() === "day" ? "day" : "second";
    const wait =
      retryAfter ?? (period === "day" ? msUntilNextSaoPauloDay(input.now ?? Date.now()) : ONE_SECOND_WAIT_MS);
    return new BlingRateLimitedError(period, e.limit, { ...ctx, retryAfterMs: wait });
  }
  if (input.status === 401 || type === "invalid_token" || type === "invalid_request") {
    return new BlingTokenError(ctx);
  }
  if (input.status === 403 || type === "insufficient_scope") {
    if (type === "insufficient_scope") return new BlingInsufficientScopeError(ctx);
    const isToken = /\/oauth\/token\b/.test(input.path ?? "");
    return new BlingIpBlockedError({
      ...ctx,
      retryAfterMs: retryAfter ?? (isToken ? TOKEN_IP_BLOCK_MS : IP_BLOCK_MS),
    });
  }
  if (input.status === 404) return new BlingNotFoundError(ctx);
  if (input.status >= 500) return new BlingServerError({ ...ctx, retryAfterMs: retryAfter });
  if (input.status >= 400) return new BlingValidationError(e.fields, ctx);
  return new BlingUnexpectedResponseError([`status ${input.status}`], ctx);
}

/** Maps an error from `/oauth/token` or `/oauth/revoke`: grant refusals mean "reconnect". */
export function mapBlingOAuthError(input: MapErrorInput): BlingError {
  const e = parseBlingErrorBody(input.body);
  const ctx: BlingErrorContext = {
    status: input.status,
    type: e.type,
    method: input.method,
    path: input.path,
    description: e.description ?? e.message,
  };
  const type = e.type?.toLowerCase();
  if (type === "invalid_client") return new BlingInvalidClientError(ctx);
  // invalid_grant: expired/unknown/rotated code or refresh token; VALIDATION_ERROR: a reused code (Bling then
  // revokes the user's access); UNAUTHORIZED_ERROR: the company is inactive. All need the merchant to reconnect.
  if (type === "invalid_grant" || type === "validation_error" || type === "unauthorized_error") {
    return new BlingInvalidGrantError(ctx);
  }
  if (input.status >= 400 && input.status < 500 && input.status !== 403 && input.status !== 429) {
    // Unknown 4xx from the token endpoint: the grant is not usable.
    if (input.status === 401 && !type) return new BlingInvalidClientError(ctx);
    if (input.status !== 404) return new BlingInvalidGrantError(ctx);
  }
  return mapBlingApiError(input);
}

function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const at = Date.parse(value);
  if (Number.isFinite(at)) return Math.max(0, at - Date.now());
  return undefined;
}

const spDateParts = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Sao_Paulo",
  hourCycle: "h23",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** The daily cap presumably resets at midnight Brasília time (undocumented; guessed). */
export function msUntilNextSaoPauloDay(nowMs: number): number {
  const parts = Object.fromEntries(spDateParts.formatToParts(new Date(nowMs)).map((p) => [p.type, p.value]));
  const elapsed = (Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second)) * 1000;
  return Math.max(ONE_SECOND_WAIT_MS, 86_400_000 - elapsed - (nowMs % 1000));
}
