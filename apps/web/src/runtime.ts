/**
 * The API origin when the host does not say: VITE_API_BASE_URL at build time, else the origin this module was
 * served from (the API serves the build, so in the App Center the bundle's origin is the API's).
 */
export function defaultApiBaseUrl(): string {
  const fromEnv = import.meta.env.VITE_API_BASE_URL as string | undefined;
  if (fromEnv) return fromEnv;
  try {
    const origin = new URL(import.meta.url).origin;
    if (origin && origin !== "null") return origin;
  } catch {
    // fall through
  }
  return window.location.origin;
}

export type StandaloneSession = { organizationId: string; accessToken: string } | { launchToken: string };

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

/**
 * Whether the page may take a Zydon host session (`#org=&token=`) from its own address: a development
 * convenience (the sandbox console's link, the browser tests), so only in Vite's dev server or when the page
 * is served from a loopback address — never from a deployment's public origin, where a link carrying someone
 * else's Zydon session must open nothing (issue 21 #2, #8). In production the App Center host hands the
 * session to the federated page, and the install callback's `#launch=` code is the only standalone entry.
 */
export function hostSessionLinksAllowed(hostname: string, dev: boolean = import.meta.env.DEV): boolean {
  return dev || LOOPBACK_HOSTS.has(hostname);
}

/**
 * `#launch=<single-use code>` (where the API's install callback sends the merchant) or, where
 * `allowHostSessionLink` (see `hostSessionLinksAllowed`), `#org=...&token=...` (the development console's
 * link). Only the fragment is read: it never reaches a server, a load balancer's log or a Referer, so a
 * credential in the query string (`?org=&token=`, `?launch=`) is ignored.
 */
export function readStandaloneSession(
  location: Pick<Location, "hash" | "search">,
  opts: { allowHostSessionLink: boolean } = { allowHostSessionLink: false },
): StandaloneSession | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const launchToken = params.get("launch");
  if (launchToken) return { launchToken };
  if (!opts.allowHostSessionLink) return null;
  const organizationId = params.get("org") ?? params.get("organizationId");
  const accessToken = params.get("token") ?? params.get("accessToken");
  if (organizationId && accessToken) return { organizationId, accessToken };
  return null;
}
