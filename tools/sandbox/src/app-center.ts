/**
 * A merchant installing our plugin from the Zydon simulator's App Center, over plain HTTP: open the App
 * Center page, click "Instalar" (our /zydon/install), approve on Zydon's consent page, follow the redirect
 * to our callback, which answers with the settings page URL (`/app#launch=<session>`). Every hop is a real
 * request, so our real install route, state handling and code exchange run.
 */

const decode = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

/** Cookies per host, enough for the simulators' and our API's session cookies. */
class CookieJar {
  private readonly jar = new Map<string, Map<string, string>>();

  store(url: string, res: Response): void {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    this.jar.set(host, cookies);
  }

  header(url: string): string | undefined {
    const cookies = this.jar.get(new URL(url).host);
    if (!cookies || cookies.size === 0) return undefined;
    return [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

export class AppCenterInstallError extends Error {}

async function request(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: URLSearchParams } = {},
): Promise<{ status: number; location: string | undefined; body: string; url: string }> {
  const headers: Record<string, string> = {};
  const cookie = jar.header(url);
  if (cookie) headers.cookie = cookie;
  if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    ...(init.form ? { body: init.form.toString() } : {}),
    redirect: "manual",
    signal: AbortSignal.timeout(15_000),
  });
  jar.store(url, res);
  const location = res.headers.get("location") ?? undefined;
  return {
    status: res.status,
    location: location ? new URL(location, url).toString() : undefined,
    body: await res.text(),
    url,
  };
}

/** Follows redirects until a page answers (2xx/4xx/5xx) or the redirect leaves for `stopAt`. */
async function follow(
  jar: CookieJar,
  start: { url: string; method?: string; form?: URLSearchParams },
  stopAt: (url: string) => boolean,
): Promise<{ status: number; body: string; url: string }> {
  let res = await request(jar, start.url, start);
  for (let hops = 0; hops < 10; hops++) {
    if (res.status < 300 || res.status >= 400 || !res.location) return res;
    if (stopAt(res.location)) return { status: res.status, body: "", url: res.location };
    res = await request(jar, res.location);
  }
  throw new AppCenterInstallError(`too many redirects from ${start.url}`);
}

function parseForm(html: string, pageUrl: string): { action: string; fields: URLSearchParams } {
  const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1] || form[2] === undefined) throw new AppCenterInstallError(`no consent form at ${pageUrl}`);
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? "";
    if (name) fields.set(decode(name), decode(value));
  }
  return { action: new URL(decode(form[1]), pageUrl).toString(), fields };
}

/**
 * Installs `pluginId` on `organizationId` through the App Center and returns the URL our install callback
 * redirected to (the settings page with a short-lived `#launch=` session).
 */
export async function installFromAppCenter(input: {
  zydonUrl: string;
  organizationId: string;
  pluginId: string;
  apiUrl: string;
}): Promise<{ settingsUrl: string }> {
  const jar = new CookieJar();
  const appCenterUrl = `${input.zydonUrl}/app-center?org=${encodeURIComponent(input.organizationId)}`;
  const center = await request(jar, appCenterUrl);
  if (center.status !== 200) throw new AppCenterInstallError(`App Center answered ${center.status}`);
  const link = new RegExp(`<a href="([^"]+)" data-testid="install-${input.pluginId}"`).exec(center.body);
  if (!link?.[1]) throw new AppCenterInstallError("the App Center shows no Instalar button for our plugin");
  const api = new URL(input.apiUrl);
  const isSettingsPage = (u: string) => {
    const url = new URL(u);
    return url.host === api.host && url.pathname.startsWith("/app");
  };

  // Instalar → our /zydon/install → Zydon's consent page.
  const consent = await follow(
    jar,
    { url: new URL(decode(link[1]), appCenterUrl).toString() },
    isSettingsPage,
  );
  if (consent.status !== 200) {
    throw new AppCenterInstallError(`consent page answered ${consent.status}: ${consent.body.slice(0, 200)}`);
  }
  const { action, fields } = parseForm(consent.body, consent.url);
  fields.set("decision", "approve");
  // Autorizar → our /zydon/callback → /app#launch=…
  const done = await follow(jar, { url: action, method: "POST", form: fields }, isSettingsPage);
  if (!isSettingsPage(done.url)) {
    throw new AppCenterInstallError(
      `install ended at ${done.url} (${done.status}): ${done.body.slice(0, 300)}`,
    );
  }
  return { settingsUrl: done.url };
}
