/** Framework-free request/response shapes shared by the Fastify app, msw handlers and in-process calls. */
export interface SimRequest {
  method: string;
  /** Path + query (`/Api/v3/produtos?pagina=1`) or an absolute URL. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Raw body; signatures and form bodies need the exact bytes. */
  body?: string | Uint8Array | undefined;
  /** Client IP for the per-IP limits (Fastify's `request.ip`; msw has none, so it defaults to 127.0.0.1). */
  remoteAddress?: string | undefined;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type BlingErrorType = string;

export interface BlingErrorField {
  code: number;
  msg: string;
  element?: string;
  namespace?: string;
  collection?: Array<{ index: number; code: number; msg: string; element?: string; namespace?: string }>;
}

/** Thrown by handlers; turned into Bling's `{ error: {...} }` envelope by the simulator. */
export class BlingHttpError extends Error {
  readonly status: number;
  readonly type: BlingErrorType;
  readonly description: string;
  readonly fields: BlingErrorField[] | undefined;
  readonly extra: Record<string, unknown> | undefined;
  constructor(
    status: number,
    type: BlingErrorType,
    message: string,
    description: string,
    fields?: BlingErrorField[],
    extra?: Record<string, unknown>,
  ) {
    super(message);
    this.status = status;
    this.type = type;
    this.description = description;
    this.fields = fields;
    this.extra = extra;
  }

  toBody(): { error: Record<string, unknown> } {
    return {
      error: {
        type: this.type,
        message: this.message,
        description: this.description,
        ...(this.fields ? { fields: this.fields } : {}),
        ...(this.extra ?? {}),
      },
    };
  }
}

export const notFound = (what = "O recurso requisitado não foi encontrado."): BlingHttpError =>
  new BlingHttpError(404, "RESOURCE_NOT_FOUND", "Recurso não encontrado", what);

export const validationError = (
  description: string,
  fields?: BlingErrorField[],
  message = "Não foi possível salvar o registro",
): BlingHttpError => new BlingHttpError(400, "VALIDATION_ERROR", message, description, fields);

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: JSON.stringify(body),
  };
}

export const noContent = (): SimResponse => ({ status: 204, headers: {}, body: "" });

export function htmlResponse(status: number, html: string): SimResponse {
  return { status, headers: { "content-type": "text/html; charset=utf-8" }, body: html };
}

export function header(req: SimRequest, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.toLowerCase() === want) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

export function bodyText(req: SimRequest): string {
  if (req.body === undefined) return "";
  return typeof req.body === "string" ? req.body : new TextDecoder().decode(req.body);
}

/** Query with Bling's repeated bracket arrays (`idsProdutos[]=1&idsProdutos[]=2`). */
export class Query {
  readonly params: URLSearchParams;
  constructor(params: URLSearchParams) {
    this.params = params;
  }
  str(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null || v === "" ? undefined : v;
  }
  int(name: string): number | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) {
      throw validationError(
        `O parâmetro ${name} deve ser um número inteiro.`,
        undefined,
        "Parâmetro inválido",
      );
    }
    return n;
  }
  list(name: string): string[] {
    // Accept both `name[]` (spec) and `name` (seen in some integrations).
    return [...this.params.getAll(`${name}[]`), ...this.params.getAll(name)].filter((v) => v !== "");
  }
  intList(name: string): number[] {
    return this.list(name).map((v) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw validationError(`O parâmetro ${name}[] deve conter números inteiros.`);
      return n;
    });
  }
}

/** Bling's pagination: `pagina` from 1, `limite` default 100, capped at 100. */
export function paginate<T>(items: T[], q: Query): T[] {
  const { offset, size } = pageWindow(q);
  return items.slice(offset, offset + size);
}

/** `pagina`/`limite` as the rows to skip and to return (at most 100 per page). */
export function pageWindow(q: Query): { offset: number; size: number } {
  const pagina = q.int("pagina") ?? 1;
  const limite = q.int("limite") ?? 100;
  if (pagina < 1 || limite < 1)
    throw validationError("Os parâmetros pagina e limite devem ser maiores que zero.");
  const size = Math.min(limite, 100);
  return { offset: (pagina - 1) * size, size };
}

// São Paulo has had no DST since 2019: a fixed UTC-3 offset is exact for the dates we simulate.
const SP_OFFSET_MS = 3 * 3600_000;

/** "YYYY-MM-DD HH:MM:SS" (or "YYYY-MM-DD") in São Paulo local time → epoch ms; undefined when malformed. */
export function parseBlingDateTime(s: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = "0", mi = "0", se = "0"] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  return Number.isNaN(ms) ? undefined : ms + SP_OFFSET_MS;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** epoch ms → "YYYY-MM-DD" in São Paulo local time. */
export function formatBlingDate(ms: number): string {
  const d = new Date(ms - SP_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** epoch ms → "YYYY-MM-DD HH:MM:SS" in São Paulo local time. */
export function formatBlingDateTime(ms: number): string {
  const d = new Date(ms - SP_OFFSET_MS);
  return `${formatBlingDate(ms)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** São Paulo calendar-day number (for the daily request quota). */
export function spDayNumber(ms: number): number {
  return Math.floor((ms - SP_OFFSET_MS) / 86_400_000);
}

const MAX_WINDOW_MS = 366 * 86_400_000;

/**
 * A `<prefix>Inicial`/`<prefix>Final` pair as an epoch range. Bling answers 400 when the window spans more than a
 * year; an open end counts up to `now`.
 */
export function dateRange(
  q: Query,
  prefix: string,
  now: number,
): { from: number | undefined; to: number | undefined } {
  const rawFrom = q.str(`${prefix}Inicial`);
  const rawTo = q.str(`${prefix}Final`);
  const from = rawFrom === undefined ? undefined : parseBlingDateTime(rawFrom);
  let to = rawTo === undefined ? undefined : parseBlingDateTime(rawTo);
  if ((rawFrom !== undefined && from === undefined) || (rawTo !== undefined && to === undefined)) {
    throw validationError(
      `Data inválida em ${prefix}Inicial/${prefix}Final; use o formato AAAA-MM-DD HH:MM:SS.`,
      undefined,
      "Parâmetro inválido",
    );
  }
  // A bare date as the final bound means "until the end of that day".
  if (to !== undefined && rawTo !== undefined && rawTo.trim().length <= 10) to += 86_399_999;
  if (from !== undefined && (to ?? now) - from > MAX_WINDOW_MS) {
    throw validationError(
      "O intervalo entre as datas informadas não pode ser superior a um ano.",
      undefined,
      "Não foi possível realizar a consulta",
    );
  }
  return { from, to };
}

export function inRange(ms: number, r: { from: number | undefined; to: number | undefined }): boolean {
  return (r.from === undefined || ms >= r.from) && (r.to === undefined || ms <= r.to);
}

export const round2 = (n: number): number => Math.round((n + Number.EPSILON) * 100) / 100;

export const onlyDigits = (s: string | undefined): string => (s ?? "").replace(/\D/g, "");
