import { existsSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { sendResultPage } from "./pages.js";

/** Where App Center hosts load a plugin's front end (`/store/apps/<app name>/`), as in apps/web's Vite base. */
export const WEB_BASE_PATH = "/store/apps/zydon-bling/";
/** The standalone page (install callback, demo, iframe, browser test). */
export const WEB_APP_PATH = "/app";

export interface StaticWebOptions {
  /** apps/web's build output (`pnpm --filter @zb/web build`); may be missing until it is built. */
  distDir: string;
  /** Origins allowed to frame the standalone page (Zydon's admin); the page's own origin always is. */
  frameAncestors?: string[] | undefined;
}

/**
 * apps/web/dist next to this app, resolved from this module's location: the same relative path from
 * `apps/api/src/http/` (tsx) and from `apps/api/dist/` (esbuild bundle) is not equal, so both are tried.
 */
export function defaultWebDistDir(): string {
  const candidates = [
    fileURLToPath(new URL("../../../web/dist", import.meta.url)), // apps/api/src/http → apps/web/dist
    fileURLToPath(new URL("../../web/dist", import.meta.url)), // apps/api/dist → apps/web/dist
  ];
  // apps/web's package.json exists before the first build does.
  return candidates.find((d) => existsSync(join(d, "..", "package.json"))) ?? (candidates[0] as string);
}

/** Vite's content-hashed file names (`name-<8 chars>.js`): safe to cache forever. */
const HASHED = /-[A-Za-z0-9_-]{8}\.(?:js|mjs|css|woff2?|png|svg|jpe?g|webp|gif)$/;

function pageCsp(frameAncestors: string[]): string {
  return [
    "default-src 'self'",
    "base-uri 'self'",
    "object-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: https:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    `frame-ancestors ${["'self'", ...frameAncestors].join(" ")}`,
  ].join("; ");
}

/**
 * The settings page as built by apps/web: the federation remote (remoteEntry.js + hashed assets) under
 * WEB_BASE_PATH for App Center hosts, and the standalone entry at /app with an SPA fallback to index.html.
 * The build is looked up per request, so building after the API started needs no restart.
 */
export async function staticWebRoutes(
  instance: FastifyInstance,
  opts: StaticWebOptions | undefined,
): Promise<void> {
  // Without options (API tests, an API deployed apart from its page) the API serves no page.
  if (!opts) return;
  const { distDir } = opts;
  const csp = pageCsp(opts.frameAncestors ?? []);
  const indexFile = join(distDir, "index.html");

  const htmlHeaders = (reply: FastifyReply): void => {
    reply.header("cache-control", "no-cache");
    reply.header("content-security-policy", csp);
    // frame-ancestors above decides who may frame the page; helmet's X-Frame-Options would forbid any.
    reply.removeHeader("x-frame-options");
  };

  await instance.register(fastifyStatic, {
    root: distDir,
    prefix: WEB_BASE_PATH,
    // The build may appear after start (pnpm dev builds it first; a deploy may build beside a running API).
    suppressWarning: true,
    cacheControl: false,
    dotfiles: "deny",
    index: ["index.html"],
    setHeaders(reply, path) {
      if (basename(path) === "index.html") {
        htmlHeaders(reply);
        return;
      }
      reply.header(
        "cache-control",
        HASHED.test(basename(path)) ? "public, max-age=31536000, immutable" : "no-cache",
      );
      // A Zydon admin on another origin imports remoteEntry.js and its chunks (CORS-mode module loads).
      reply.header("access-control-allow-origin", "*");
      reply.header("cross-origin-resource-policy", "cross-origin");
    },
  });

  const sendPage = (reply: FastifyReply): FastifyReply => {
    if (!existsSync(indexFile)) {
      return sendResultPage(reply, 503, {
        title: "Página de configurações ainda não construída",
        message:
          "Este servidor ainda não tem a página de configurações. Gere-a com `pnpm --filter @zb/web build` e recarregue esta página.",
      });
    }
    htmlHeaders(reply);
    return reply.type("text/html; charset=utf-8").sendFile("index.html", distDir, { cacheControl: false });
  };

  instance.get(WEB_APP_PATH, (_req, reply) => sendPage(reply));
  // SPA fallback: any path under /app is the same page (the page routes on its own).
  instance.get(`${WEB_APP_PATH}/*`, (_req, reply) => sendPage(reply));
}
