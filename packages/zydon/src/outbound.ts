import { createHash } from "node:crypto";
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { Agent, type Dispatcher, request } from "undici";
import { ZydonError, type ZydonErrorInit, ZydonNetworkError, ZydonValidationError } from "./errors.js";

/**
 * The one way to fetch a URL that comes from tenant data (a Bling product's image link, an NF-e's XML or
 * DANFE link, and anything like it later). A merchant controls those URLs, so each one is treated as hostile:
 *
 * - http(s) only;
 * - every address the host resolves to is checked when the socket connects (the Agent's `connect.lookup`,
 *   so a DNS answer cannot change between the check and the connection), and an IP-literal host before it:
 *   only public unicast addresses pass — loopback, private, link-local (169.254.169.254, the cloud metadata
 *   service), carrier-grade NAT, multicast, broadcast, unique-local, unspecified, reserved, and IPv4-mapped/
 *   6to4/Teredo forms of those are refused;
 * - redirects are followed by hand, at most `maxRedirects`, each hop checked the same way;
 * - the body is streamed and the read aborted past `maxBytes` (a `content-length` above it is refused first);
 * - images: the bytes must be PNG, JPEG, GIF or WebP (magic numbers; the source's Content-Type is ignored),
 *   and the file name is generated from the bytes, never taken from the URL.
 *
 * A refused URL throws `OutboundRefusedError` (`action: "give_up"`: the same URL will never pass, so no
 * retry layer or job attempt repeats it). Development and tests reach the simulators and the demo image
 * server on loopback only through `allowHosts` (config `OUTBOUND_ALLOW_HOSTS`), which production leaves unset.
 */

export const OUTBOUND_MAX_BYTES = 10 * 1024 * 1024;
export const OUTBOUND_MAX_REDIRECTS = 3;

export type OutboundRefusal =
  | "scheme"
  | "address"
  | "too_many_redirects"
  | "too_large"
  | "not_an_image"
  | "bad_url";

export class OutboundRefusedError extends ZydonError {
  readonly action = "give_up" as const;
  readonly refusal: OutboundRefusal;
  /** The refused URL without its query string (queries may carry tokens). */
  readonly url: string;
  constructor(init: ZydonErrorInit & { refusal: OutboundRefusal; url: string }, detail: string) {
    super(init, `outbound request refused (${init.refusal}): ${detail}`);
    this.refusal = init.refusal;
    this.url = init.url;
  }

  /** What the merchant reads (the ledger's reason; `errorMessage` in the sync package prefers it). */
  ptBrMessage(): string {
    const where = this.url || "informado";
    switch (this.refusal) {
      case "scheme":
        return `o endereço ${where} não é permitido: só endereços http e https são aceitos`;
      case "address":
        return `o endereço ${where} não é permitido: aponta para uma rede interna`;
      case "too_many_redirects":
        return `o endereço ${where} não é permitido: redireciona mais de ${OUTBOUND_MAX_REDIRECTS} vezes`;
      case "too_large":
        return `o arquivo em ${where} passa do limite de ${Math.round(OUTBOUND_MAX_BYTES / 1024 / 1024)} MiB`;
      case "not_an_image":
        return `o arquivo em ${where} não é uma imagem PNG, JPEG, GIF ou WebP`;
      case "bad_url":
        return `o endereço ${where} não é válido`;
    }
  }
}

export type LookupFn = (
  hostname: string,
  options: { all: true; family?: number },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface OutboundOptions {
  /**
   * Host names or IP literals reachable even when they resolve to a non-public address (the simulators and
   * the demo image server on 127.0.0.1 in development and tests). Unset in production.
   */
  allowHosts?: readonly string[];
  maxBytes?: number;
  maxRedirects?: number;
  /** DNS resolution (tests point a made-up name at 127.0.0.1); defaults to the system resolver. */
  lookup?: LookupFn;
}

export interface FetchedFile {
  bytes: Uint8Array;
  /** The sniffed type for images; the source's Content-Type (or the caller's) for documents. */
  contentType: string;
  fileName: string;
}

const IMAGE_TYPES: ReadonlyArray<{ type: string; ext: string; test: (b: Uint8Array) => boolean }> = [
  {
    type: "image/png",
    ext: "png",
    test: (b) => starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
  { type: "image/jpeg", ext: "jpg", test: (b) => starts(b, [0xff, 0xd8, 0xff]) },
  {
    type: "image/gif",
    ext: "gif",
    test: (b) => starts(b, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61,
  },
  {
    type: "image/webp",
    ext: "webp",
    test: (b) => starts(b, [0x52, 0x49, 0x46, 0x46]) && starts(b.subarray(8), [0x57, 0x45, 0x42, 0x50]),
  },
];

function starts(b: Uint8Array, sig: number[]): boolean {
  return b.length >= sig.length && sig.every((v, i) => b[i] === v);
}

/** PNG, JPEG, GIF or WebP by the file's first bytes; null for anything else (HTML named image.png...). */
export function sniffImage(bytes: Uint8Array): { type: string; ext: string } | null {
  const hit = IMAGE_TYPES.find((t) => t.test(bytes));
  return hit ? { type: hit.type, ext: hit.ext } : null;
}

/** True for an address a tenant's URL may reach: public unicast only (IPv4-mapped IPv6 judged as IPv4). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === "ipv6") {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === "unicast";
}

function normalizeHost(host: string): string {
  return host.replace(/^\[|\]$/g, "").toLowerCase();
}

function redact(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/**
 * Builds the fetcher. One Agent (and its connection pool) per fetcher; `close()` releases it.
 */
export class OutboundFetcher {
  private readonly allow: ReadonlySet<string>;
  private readonly maxBytes: number;
  private readonly maxRedirects: number;
  private readonly agent: Dispatcher;

  constructor(opts: OutboundOptions = {}) {
    this.allow = new Set((opts.allowHosts ?? []).map(normalizeHost).filter(Boolean));
    this.maxBytes = opts.maxBytes ?? OUTBOUND_MAX_BYTES;
    this.maxRedirects = opts.maxRedirects ?? OUTBOUND_MAX_REDIRECTS;
    const resolve: LookupFn = opts.lookup ?? ((h, o, cb) => dnsLookup(h, o, cb));
    const allow = this.allow;
    this.agent = new Agent({
      connect: {
        // Called by net.connect for every host name (IP literals skip it; `checkUrl` covers those).
        lookup: (hostname, options, callback) => {
          const family = typeof options.family === "number" ? options.family : undefined;
          resolve(hostname, { all: true, ...(family ? { family } : {}) }, (err, addresses) => {
            if (err) return callback(err, "", 4);
            const host = normalizeHost(hostname);
            const bad = addresses.find((a) => !isPublicAddress(a.address));
            if (bad && !allow.has(host)) {
              const refused = Object.assign(
                new Error(`${hostname} resolves to a non-public address (${bad.address})`),
                { code: "EOUTBOUNDREFUSED" },
              );
              return callback(refused, "", 4);
            }
            if (addresses.length === 0) {
              return callback(
                Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }),
                "",
                4,
              );
            }
            if ((options as { all?: boolean }).all) {
              return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
            }
            const first = addresses[0] as LookupAddress;
            return callback(null, first.address, first.family);
          });
        },
      },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Refuses a URL before any connection: scheme, and an IP-literal or allowlisted host. */
  private checkUrl(u: URL): void {
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw this.refused(u, "scheme", `scheme ${u.protocol} is not http(s)`);
    }
    if (u.username || u.password) throw this.refused(u, "bad_url", "credentials in the URL");
    const host = normalizeHost(u.hostname);
    if (this.allow.has(host)) return;
    if (isIP(host) && !isPublicAddress(host)) {
      throw this.refused(u, "address", `${host} is not a public address`);
    }
  }

  private refused(u: URL, refusal: OutboundRefusal, detail: string): OutboundRefusedError {
    return new OutboundRefusedError(
      { status: null, method: "GET", path: u.pathname, refusal, url: redact(u) },
      detail,
    );
  }

  /**
   * GETs `url` (redirects checked hop by hop) and returns its bytes. `kind: "image"` requires PNG, JPEG, GIF
   * or WebP bytes and names the file `imagem-<sha256 prefix>.<ext>`; a document keeps the caller's name/type.
   */
  async fetch(
    url: string,
    opts: {
      kind: "image" | "document";
      timeoutMs: number;
      fileName?: string;
      contentType?: string;
    },
  ): Promise<FetchedFile> {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      throw new OutboundRefusedError(
        { status: null, method: "GET", path: "", refusal: "bad_url", url: "" },
        "not a URL",
      );
    }
    const signal = AbortSignal.timeout(opts.timeoutMs);
    for (let hop = 0; ; hop++) {
      this.checkUrl(current);
      let res: Dispatcher.ResponseData;
      try {
        res = await request(current, {
          method: "GET",
          dispatcher: this.agent,
          signal,
          headers: { accept: opts.kind === "image" ? "image/*" : "*/*" },
        });
      } catch (err) {
        if (hasCode(err, "EOUTBOUNDREFUSED")) {
          throw this.refused(current, "address", err instanceof Error ? err.message : String(err));
        }
        throw this.networkError(current, null, err);
      }
      const status = res.statusCode;
      if (status >= 300 && status < 400 && status !== 304) {
        discard(res.body);
        const location = res.headers.location;
        const loc = Array.isArray(location) ? location[0] : location;
        if (!loc) throw this.sourceError(current, status, "redirect without Location");
        if (hop >= this.maxRedirects) {
          throw this.refused(current, "too_many_redirects", `more than ${this.maxRedirects} redirects`);
        }
        try {
          current = new URL(loc, current);
        } catch {
          throw this.refused(current, "bad_url", "redirect to an invalid URL");
        }
        continue;
      }
      if (status < 200 || status >= 300) {
        discard(res.body);
        throw this.sourceError(current, status, `file source answered ${status}`);
      }
      const declared = Number(headerOf(res.headers, "content-length"));
      if (Number.isFinite(declared) && declared > this.maxBytes) {
        discard(res.body);
        throw this.refused(current, "too_large", `declares ${declared} bytes (limit ${this.maxBytes})`);
      }
      const bytes = await this.readCapped(current, res.body);
      if (opts.kind === "image") {
        const sniffed = sniffImage(bytes);
        if (!sniffed) throw this.refused(current, "not_an_image", "the bytes are not PNG, JPEG, GIF or WebP");
        const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
        return { bytes, contentType: sniffed.type, fileName: `imagem-${digest}.${sniffed.ext}` };
      }
      const sourceType = headerOf(res.headers, "content-type")?.split(";")[0]?.trim();
      return {
        bytes,
        contentType: opts.contentType ?? sourceType ?? "application/octet-stream",
        fileName: opts.fileName ?? "arquivo",
      };
    }
  }

  /**
   * POSTs a JSON body to `url` (a merchant's alert webhook) with the same address checks as `fetch`.
   * Redirects are not followed (a POST is not replayed elsewhere): a 3xx, like any non-2xx, is an error whose
   * message is pt-BR and names the host only (the path of an incoming webhook is its secret).
   */
  async postJson(url: string, body: unknown, opts: { timeoutMs: number }): Promise<void> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new Error("o endereço do webhook não é válido.");
    }
    const refusedHere = (refusal: OutboundRefusal) =>
      new Error(
        refusal === "scheme"
          ? `o endereço ${u.host} não é permitido: use https.`
          : refusal === "address"
            ? `o endereço ${u.host} não é permitido: aponta para uma rede interna.`
            : `o endereço ${u.host} não é válido.`,
      );
    try {
      this.checkUrl(u);
    } catch (err) {
      throw err instanceof OutboundRefusedError ? refusedHere(err.refusal) : err;
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(u, {
        method: "POST",
        dispatcher: this.agent,
        signal: AbortSignal.timeout(opts.timeoutMs),
        headers: { "content-type": "application/json; charset=utf-8", "user-agent": "zydon-bling-alerts" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      if (hasCode(err, "EOUTBOUNDREFUSED")) throw refusedHere("address");
      const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
      throw new Error(
        timedOut ? `o endereço ${u.host} não respondeu a tempo.` : `não foi possível conectar a ${u.host}.`,
      );
    }
    discard(res.body);
    if (res.statusCode < 200 || res.statusCode >= 300)
      throw new Error(`o endereço ${u.host} respondeu ${res.statusCode}.`);
  }

  private async readCapped(u: URL, body: Dispatcher.ResponseData["body"]): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        total += buf.length;
        if (total > this.maxBytes) {
          discard(body);
          throw this.refused(u, "too_large", `body exceeds ${this.maxBytes} bytes`);
        }
        chunks.push(buf);
      }
    } catch (err) {
      if (err instanceof OutboundRefusedError) throw err;
      throw this.networkError(u, 200, err);
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  }

  private networkError(u: URL, status: number | null, err: unknown): ZydonNetworkError {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return new ZydonNetworkError({ status, method: "GET", path: u.pathname, timedOut, cause: err });
  }

  private sourceError(u: URL, status: number, detail: string): ZydonValidationError {
    return new ZydonValidationError({ status, method: "GET", path: u.pathname }, detail);
  }
}

/** Stops reading a body we will not use (the error its destruction emits has nobody to tell). */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => {});
  body.destroy();
}

function hasCode(err: unknown, code: string): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (typeof e === "object" && (e as { code?: unknown }).code === code) return true;
    e = typeof e === "object" ? (e as { cause?: unknown }).cause : undefined;
  }
  return false;
}

function headerOf(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
