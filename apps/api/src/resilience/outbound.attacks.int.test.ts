import { lookup as dnsLookup } from "node:dns";
import { createServer, type Server } from "node:http";
import { BlingClient, BlingOAuth, BlingResponseTooLargeError } from "@zb/bling";
import { AttackTally } from "@zb/e2e-kit";
import {
  type LookupFn,
  OUTBOUND_MAX_BYTES,
  OutboundFetcher,
  type OutboundRefusal,
  OutboundRefusedError,
  ZydonClient,
  ZydonResponseTooLargeError,
} from "@zb/zydon";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * URLs from tenant data (a Bling product's image links, an NF-e's XML/DANFE links) are the merchant's to
 * choose: every one goes through the guarded fetcher of @zb/zydon (outbound.ts). Each attack below must be
 * refused with its reason, as an `OutboundRefusedError` whose action is give_up (never retried), and —
 * where a local server stands behind the URL — without that server ever seeing the request.
 */
const tally = new AttackTally("outbound.attacks");

// A 1×1 PNG and a page that only claims to be one.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);
const HTML = "<!doctype html><html><body>Painel interno</body></html>";

let server: Server;
let port: number;
const hits = new Map<string, number>();
const posted: string[] = [];

/** Test DNS: made-up names resolve where the attack needs them; anything else asks the system. */
const NAMES: Record<string, string> = {
  "cdn.allowed.test": "127.0.0.1", // allowlisted, like the demo image server
  "evil.test": "127.0.0.1", // a public-looking name pointing at loopback
  "metadata.test": "169.254.169.254",
  "intranet.test": "10.1.2.3",
};
const lookups: string[] = [];
const lookup: LookupFn = (hostname, options, callback) => {
  lookups.push(hostname);
  const ip = NAMES[hostname];
  if (ip) return callback(null, [{ address: ip, family: 4 }]);
  dnsLookup(hostname, options, callback);
};

let guarded: OutboundFetcher;

function streamMiB(res: import("node:http").ServerResponse, mib: number, type: string): void {
  res.writeHead(200, { "content-type": type });
  const chunk = Buffer.alloc(1024 * 1024, 0x41);
  let sent = 0;
  const pump = () => {
    while (sent < mib && !res.destroyed) {
      sent++;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    res.end();
  };
  pump();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path.startsWith("/huge-api/")) {
      // A vendor API (or something posing as one) that never stops talking: 64 MiB of JSON-ish bytes.
      if (path.includes("declared")) {
        res.writeHead(200, {
          "content-type": "application/json",
          "content-length": String(64 * 1024 * 1024),
        });
        res.write("{");
        return;
      }
      streamMiB(res, 64, "application/json");
    } else if (path === "/ok.png") {
      res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    } else if (path === "/image.png") {
      res.writeHead(200, { "content-type": "image/png" }).end(HTML);
    } else if (path === "/huge.png") {
      // No Content-Length: only the streamed cap can stop it.
      streamMiB(res, 64, "image/png");
    } else if (path === "/declared-huge.png") {
      res.writeHead(200, { "content-type": "image/png", "content-length": String(OUTBOUND_MAX_BYTES + 1) });
      res.write(PNG);
    } else if (path === "/to-metadata") {
      res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/iam/" }).end();
    } else if (path === "/to-loopback") {
      res.writeHead(301, { location: `http://127.0.0.1:${port}/ok.png` }).end();
    } else if (path === "/to-evil-name") {
      res.writeHead(307, { location: `http://evil.test:${port}/ok.png` }).end();
    } else if (path === "/to-file") {
      res.writeHead(302, { location: "file:///etc/passwd" }).end();
    } else if (path === "/services/T1/B1/hook-token" && req.method === "POST") {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        posted.push(body);
        res.writeHead(200).end("ok");
      });
    } else if (path === "/services/redirect" && req.method === "POST") {
      res.writeHead(307, { location: `http://127.0.0.1:${port}/services/T1/B1/hook-token` }).end();
    } else if (path.startsWith("/hop/")) {
      const n = Number(path.slice(5));
      res.writeHead(302, { location: n > 0 ? `/hop/${n - 1}` : "/ok.png" }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  port = typeof addr === "object" && addr ? addr.port : 0;
  guarded = new OutboundFetcher({ allowHosts: ["cdn.allowed.test"], lookup });
});

afterAll(async () => {
  tally.flush();
  await guarded?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const allowed = (path: string) => `http://cdn.allowed.test:${port}${path}`;

async function refused(
  label: string,
  attempt: Promise<unknown>,
  want: OutboundRefusal,
  opts: { untouched?: string } = {},
): Promise<void> {
  const before = opts.untouched ? (hits.get(opts.untouched) ?? 0) : 0;
  const err = await attempt.then(
    () => null,
    (e: unknown) => e,
  );
  const ok =
    err instanceof OutboundRefusedError &&
    err.refusal === want &&
    err.action === "give_up" &&
    (!opts.untouched || (hits.get(opts.untouched) ?? 0) === before);
  tally.record(
    label,
    ok,
    err instanceof OutboundRefusedError ? `refused as ${err.refusal}` : `got ${String(err)}`,
  );
  expect(err, label).toBeInstanceOf(OutboundRefusedError);
  expect((err as OutboundRefusedError).refusal, label).toBe(want);
  expect((err as OutboundRefusedError).action, label).toBe("give_up");
  if (opts.untouched) expect(hits.get(opts.untouched) ?? 0, `${label} reached the server`).toBe(before);
}

const image = (url: string) => guarded.fetch(url, { kind: "image", timeoutMs: 10_000 });
const document = (url: string) => guarded.fetch(url, { kind: "document", timeoutMs: 10_000 });

describe("the guarded fetcher of tenant-supplied URLs", () => {
  it("an allowlisted host serving a real PNG is fetched, typed from its bytes and renamed", async () => {
    const file = await image(allowed("/ok.png?token=abc"));
    expect(Buffer.from(file.bytes).equals(PNG)).toBe(true);
    expect(file.contentType).toBe("image/png");
    expect(file.fileName).toMatch(/^imagem-[0-9a-f]{16}\.png$/);
    // Three redirects are still followed (the limit is more than three).
    expect((await image(allowed("/hop/2"))).contentType).toBe("image/png");
  });

  it("loopback addresses are refused before any connection", async () => {
    await refused("loopback 127.0.0.1", image(`http://127.0.0.1:${port}/ok.png`), "address", {
      untouched: "/ok.png",
    });
    await refused("loopback 127.1.2.3", image(`http://127.1.2.3:${port}/ok.png`), "address");
    await refused("loopback [::1]", image(`http://[::1]:${port}/ok.png`), "address");
    await refused(
      "IPv4-mapped loopback [::ffff:127.0.0.1]",
      image(`http://[::ffff:127.0.0.1]:${port}/ok.png`),
      "address",
      { untouched: "/ok.png" },
    );
    await refused("unspecified 0.0.0.0", image(`http://0.0.0.0:${port}/ok.png`), "address");
    await refused("decimal-encoded loopback", image(`http://2130706433:${port}/ok.png`), "address");
  });

  it("link-local (cloud metadata), private, unique-local and multicast addresses are refused", async () => {
    await refused(
      "link-local 169.254.169.254",
      document("http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
      "address",
    );
    await refused("private 10.0.0.1", image("http://10.0.0.1/a.png"), "address");
    await refused("private 192.168.1.1", image("https://192.168.1.1/a.png"), "address");
    await refused("private 172.16.0.1", image("http://172.16.0.1/a.png"), "address");
    await refused("carrier-grade NAT 100.64.0.1", image("http://100.64.0.1/a.png"), "address");
    await refused("unique-local [fd00::1]", image("http://[fd00::1]/a.png"), "address");
    await refused("link-local [fe80::1]", image("http://[fe80::1]/a.png"), "address");
    await refused("multicast 224.0.0.1", image("http://224.0.0.1/a.png"), "address");
  });

  it("a DNS name that resolves to a non-public address is refused at connect time", async () => {
    lookups.length = 0;
    await refused("name resolving to 127.0.0.1", image(`http://evil.test:${port}/ok.png`), "address", {
      untouched: "/ok.png",
    });
    expect(lookups).toContain("evil.test");
    await refused("name resolving to 169.254.169.254", document("http://metadata.test/latest/"), "address");
    await refused("name resolving to 10.1.2.3", image("http://intranet.test/a.png"), "address");
  });

  it("every redirect hop is checked: a public-looking link that redirects inside is refused", async () => {
    await refused("redirect to 169.254.169.254", document(allowed("/to-metadata")), "address");
    await refused("redirect to 127.0.0.1", image(allowed("/to-loopback")), "address", {
      untouched: "/ok.png",
    });
    await refused("redirect to a name resolving to loopback", image(allowed("/to-evil-name")), "address", {
      untouched: "/ok.png",
    });
    await refused("redirect to file://", document(allowed("/to-file")), "scheme");
    await refused("more than three redirects", image(allowed("/hop/3")), "too_many_redirects", {
      untouched: "/ok.png",
    });
  });

  it("bodies over the 10 MiB cap are cut off (streamed or declared)", async () => {
    await refused("64 MiB streamed body", image(allowed("/huge.png")), "too_large");
    await refused("Content-Length over the cap", document(allowed("/declared-huge.png")), "too_large");
  });

  it("an HTML page posing as image.png is refused by its bytes", async () => {
    await refused("HTML served as image/png", image(allowed("/image.png")), "not_an_image");
  });

  it("non-http schemes are refused", async () => {
    await refused("file://", document("file:///etc/passwd"), "scheme");
    await refused("ftp://", image("ftp://example.com/a.png"), "scheme");
    await refused("gopher://", image("gopher://127.0.0.1:6379/_INFO"), "scheme");
    await refused("data:", image(`data:image/png;base64,${PNG.toString("base64")}`), "scheme");
    await refused("not a URL", image("/relative/a.png"), "bad_url");
    await refused("credentials in the URL", image(allowed("/ok.png").replace("//", "//u:p@")), "bad_url");
  });

  it("the Zydon client's uploads go through the guard (no allowlist: loopback is refused, pt-BR reason)", async () => {
    const zc = new ZydonClient({
      baseUrl: `http://127.0.0.1:${port}`,
      accessKey: { code: "c", token: "t" },
      retry: true,
    });
    const before = hits.get("/ok.png") ?? 0;
    const err = await zc.files.uploadImageFromUrl(`http://127.0.0.1:${port}/ok.png`).catch((e: unknown) => e);
    await refused("ZydonClient.uploadImageFromUrl to loopback", Promise.reject(err), "address");
    expect(hits.get("/ok.png") ?? 0).toBe(before);
    expect((err as OutboundRefusedError).ptBrMessage()).toBe(
      `o endereço http://127.0.0.1:${port}/ok.png não é permitido: aponta para uma rede interna`,
    );
    await refused(
      "ZydonClient.uploadFromUrl (NF-e link) to metadata",
      zc.files.uploadFromUrl("http://169.254.169.254/latest/meta-data/", { fileName: "NFe1.xml" }),
      "address",
    );
  });
});

describe("a merchant's alert webhook URL (issue 18 #1) goes through the same guard", () => {
  async function postRefused(label: string, url: string, want: RegExp, untouched?: string) {
    const before = untouched ? (hits.get(untouched) ?? 0) : 0;
    const err = await guarded.postJson(url, { text: "oi" }, { timeoutMs: 2_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    const msg = err instanceof Error ? err.message : "";
    // The message names the host only: an incoming webhook's path is its secret.
    const ok =
      want.test(msg) && !msg.includes("hook-token") && (!untouched || hits.get(untouched) === before);
    tally.record(label, ok, msg || "posted");
    expect(msg).toMatch(want);
    expect(msg).not.toContain("hook-token");
    if (untouched) expect(hits.get(untouched) ?? 0).toBe(before);
  }

  it("posts JSON to an allowlisted host, and refuses loopback, internal names, redirects and non-2xx", async () => {
    await guarded.postJson(
      allowed("/services/T1/B1/hook-token"),
      { text: "Pedido PED-1 não foi enviado" },
      { timeoutMs: 2_000 },
    );
    expect(JSON.parse(posted.at(-1) ?? "{}")).toEqual({ text: "Pedido PED-1 não foi enviado" });
    const path = "/services/T1/B1/hook-token";
    await postRefused("alert webhook to loopback", `http://127.0.0.1:${port}${path}`, /rede interna/, path);
    await postRefused(
      "alert webhook to a name resolving inside",
      `http://evil.test:${port}${path}`,
      /rede interna/,
      path,
    );
    await postRefused(
      "alert webhook to cloud metadata",
      "http://169.254.169.254/services/T1/B1/hook-token",
      /rede interna/,
    );
    await postRefused(
      "alert webhook to a non-http scheme",
      "ftp://hooks.example/services/T1/B1/hook-token",
      /use https/,
    );
    await postRefused("alert webhook redirecting inside", allowed("/services/redirect"), /respondeu 307/);
    await postRefused(
      "alert webhook answering 404",
      allowed("/services/T1/B1/hook-token-missing"),
      /respondeu 404/,
    );
  });
});

describe("vendor API answers are capped at 16 MiB (a runaway or hostile server cannot fill the worker's memory)", () => {
  const api = () => `http://127.0.0.1:${port}/huge-api`;
  /** `path`: the prefix of the paths the call may hit (counted: the client must send exactly one request). */
  async function capped(
    label: string,
    path: string,
    call: () => Promise<unknown>,
    type: abstract new (...args: never[]) => Error,
  ) {
    const under = () => [...hits].reduce((n, [p, c]) => (p.startsWith(path) ? n + c : n), 0);
    const before = under();
    const err = await call().then(
      () => null,
      (e: unknown) => e,
    );
    const sent = under() - before;
    const ok = err instanceof type && (err as { action?: string }).action === "give_up" && sent === 1;
    tally.record(label, ok, `got ${String(err)} after ${sent} request(s)`);
    expect(err, label).toBeInstanceOf(type);
    expect((err as { action: string }).action).toBe("give_up");
    // Not repeated by the client's retry layer.
    expect(sent, label).toBe(1);
  }

  it("Bling API, Bling OAuth and Zydon API bodies over the cap are refused, streamed or declared", async () => {
    const bling = (base: string) =>
      new BlingClient({ baseUrl: base, getAccessToken: async () => "t", timeoutMs: 10_000, retry: true });
    await capped(
      "Bling API 64 MiB streamed body",
      "/huge-api/empresas/me/dados-basicos",
      () => bling(api()).empresa.dadosBasicos(),
      BlingResponseTooLargeError,
    );
    await capped(
      "Bling API Content-Length 64 MiB",
      "/huge-api/declared/empresas/me/dados-basicos",
      () => bling(`${api()}/declared`).empresa.dadosBasicos(),
      BlingResponseTooLargeError,
    );
    const oauth = new BlingOAuth({
      clientId: "id",
      clientSecret: "secret",
      tokenUrl: `${api()}/oauth/token`,
      authorizeUrl: `${api()}/oauth/authorize`,
      revokeUrl: `${api()}/oauth/revoke`,
    });
    await capped(
      "Bling OAuth 64 MiB token answer",
      "/huge-api/oauth/token",
      () => oauth.refresh("refresh-token"),
      BlingResponseTooLargeError,
    );
    const zydon = (base: string) =>
      new ZydonClient({
        baseUrl: base,
        accessKey: { code: "c", token: "t" },
        timeoutMs: 10_000,
        retry: true,
      });
    await capped(
      "Zydon API 64 MiB streamed body",
      "/huge-api/api/",
      () => zydon(api()).statuses.list(),
      ZydonResponseTooLargeError,
    );
    await capped(
      "Zydon API Content-Length 64 MiB",
      "/huge-api/declared/api/",
      () => zydon(`${api()}/declared`).statuses.list(),
      ZydonResponseTooLargeError,
    );
  });
});
