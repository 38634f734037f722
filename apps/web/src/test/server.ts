import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";

export const apiBase = "http://api.test";
export const hostSession = { organizationId: "org-1", accessToken: "zydon-admin-token" };
export const appToken = "app-session-token";

/** Every test starts with a working session exchange; tests add the endpoints they exercise. */
export const server = setupServer(
  http.post(`${apiBase}/api/session`, () =>
    HttpResponse.json({
      token: appToken,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      tenantId: "tenant-1",
    }),
  ),
  // Sincronização's charts: absent unless a test offers them (the page then shows no chart card).
  http.get(`${apiBase}/api/settings/activity`, () =>
    HttpResponse.json({ error: "not_found" }, { status: 404 }),
  ),
);

export const url = (path: string) => `${apiBase}${path}`;
