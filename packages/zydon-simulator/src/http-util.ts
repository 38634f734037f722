/** Framework-free request/response types and helpers shared by the Fastify app and the msw handlers. */

export interface SimRequest {
  method: string;
  /** Absolute URL or path + query. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body?: string | Uint8Array | undefined;
}

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const statusMessages: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Thrown by handlers; rendered as Zydon's error envelope (zydon-api.md §4 "Errors"). */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly exception: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string, id: string) =>
  new SimHttpError(404, "NotFoundException", `${what} com ID ${id} não foi encontrado!`);
export const unprocessable = (message: string) => new SimHttpError(422, "ValidationException", message);
export const badRequest = (message: string, exception = "BadRequestException") =>
  new SimHttpError(400, exception, message);

export function envelope(status: number, exception: string, message: string, now: Date, origin = "sales") {
  return {
    origin,
    timestamp: now.toISOString().replace("T", " ").replace("Z", ""),
    status,
    statusMessage: statusMessages[status] ?? "Error",
    exception,
    message,
  };
}

export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): SimResponse {
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body: body === undefined ? "" : JSON.stringify(body),
  };
}

export function htmlResponse(
  status: number,
  html: string,
  headers: Record<string, string> = {},
): SimResponse {
  return { status, headers: { "content-type": "text/html; charset=utf-8", ...headers }, body: html };
}

export function redirect(location: string, headers: Record<string, string> = {}): SimResponse {
  return { status: 302, headers: { location, ...headers }, body: "" };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function header(req: SimRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(req.headers)) {
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

export function bodyText(req: SimRequest): string {
  if (req.body === undefined) return "";
  return typeof req.body === "string" ? req.body : Buffer.from(req.body).toString("utf8");
}

export function cookies(req: SimRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header(req, "cookie") ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

export type RouteHandler<C> = (ctx: C, params: Record<string, string>) => Promise<SimResponse> | SimResponse;

export interface Route<C> {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: RouteHandler<C>;
}

/** Tiny router: `/api/sales/products/:id` patterns; the pattern doubles as the stats key. */
export class Router<C> {
  private readonly routes: Array<Route<C>> = [];

  add(method: string, rawPattern: string, handler: RouteHandler<C>): this {
    // Adapter path builders URL-encode their arguments, so ":id" arrives as "%3Aid".
    const pattern = decodeURIComponent(rawPattern);
    const keys: string[] = [];
    const regex = new RegExp(
      `^${pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\?:([a-zA-Z_]+)/g, (_m, k: string) => {
        keys.push(k);
        return "([^/]+)";
      })}/?$`,
    );
    this.routes.push({ method, pattern, regex, keys, handler });
    return this;
  }

  match(
    method: string,
    path: string,
  ): { route: Route<C>; params: Record<string, string> } | { methodNotAllowed: true } | null {
    let pathMatched = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(m[i + 1] ?? "");
      });
      return { route, params };
    }
    return pathMatched ? { methodNotAllowed: true } : null;
  }
}

/** mulberry32: deterministic fault injection from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
