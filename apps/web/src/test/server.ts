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
  // Saving asks for the effect first; tests of the confirmation override it.
  http.post(`${apiBase}/api/settings/preview`, () => HttpResponse.json({ effects: [] })),
  // The banner on top of every tab reads the state; tests of a state override it.
  http.get(`${apiBase}/api/settings/state`, () =>
    HttpResponse.json({
      state: "active",
      title: "Ativa",
      detail: "Estoque, preços e pedidos seguem entre o Bling e o Zydon em segundos.",
      waiting: 0,
      canSync: true,
      canPause: true,
      attention: [],
    }),
  ),
);

export const url = (path: string) => `${apiBase}${path}`;
