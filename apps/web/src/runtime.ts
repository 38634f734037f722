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

/**
 * `#launch=<app session>` (where the API's install callback sends the merchant) or `#org=...&token=...` (the
 * development console's link). Only the fragment is read: it never reaches a server, a load balancer's log
 * or a Referer, so a credential in the query string (`?org=&token=`, `?launch=`) is ignored.
 */
export function readStandaloneSession(location: Pick<Location, "hash" | "search">): StandaloneSession | null {
  const params = new URLSearchParams(location.hash.replace(/^#/, ""));
  const launchToken = params.get("launch");
  if (launchToken) return { launchToken };
  const organizationId = params.get("org") ?? params.get("organizationId");
  const accessToken = params.get("token") ?? params.get("accessToken");
  if (organizationId && accessToken) return { organizationId, accessToken };
  return null;
}
