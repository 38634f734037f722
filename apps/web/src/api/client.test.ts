import { HttpResponse, http } from "msw";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { apiBase, hostSession, server, url } from "../test/server.js";
import { ApiClient, ApiError, ledgerSearchParams } from "./client.js";

let sessions: unknown[];
let tokenSeq: number;

beforeEach(() => {
  sessions = [];
  tokenSeq = 0;
  server.use(
    http.post(url("/api/session"), async ({ request }) => {
      sessions.push(await request.json());
      tokenSeq++;
      return HttpResponse.json({
        token: `tok-${tokenSeq}`,
        expiresAt: new Date(Date.now() + 600_000).toISOString(),
        tenantId: "tenant-1",
      });
    }),
  );
});

const connection = {
  bling: { state: "connected", companyName: "ACME" },
  token: { state: "valid" },
  tenant: { state: "active" },
};

describe("ApiClient", () => {
  it("exchanges the host session once and sends the app token on every call", async () => {
    const auth: (string | null)[] = [];
    server.use(
      http.get(url("/api/settings/connection"), ({ request }) => {
        auth.push(request.headers.get("authorization"));
        return HttpResponse.json(connection);
      }),
    );
    const client = new ApiClient({ baseUrl: `${apiBase}/`, session: hostSession });
    const [a, b] = await Promise.all([client.getConnection(), client.getConnection()]);
    expect(a.bling.companyName).toBe("ACME");
    expect(b.tenant.state).toBe("active");
    expect(sessions).toEqual([hostSession]);
    expect(auth).toEqual(["Bearer tok-1", "Bearer tok-1"]);
    expect(client.tenantId).toBe("tenant-1");
  });

  it("re-mints an app session that the API rejects (401) and retries once", async () => {
    const auth: (string | null)[] = [];
    server.use(
      http.get(url("/api/settings/connection"), ({ request }) => {
        const header = request.headers.get("authorization");
        auth.push(header);
        return header === "Bearer tok-1"
          ? HttpResponse.json({ error: "unauthorized", message: "Sessão expirada." }, { status: 401 })
          : HttpResponse.json(connection);
      }),
    );
    const client = new ApiClient({ baseUrl: apiBase, session: hostSession });
    await client.getConnection();
    expect(auth).toEqual(["Bearer tok-1", "Bearer tok-2"]);
    expect(sessions).toHaveLength(2);
  });

  it("renews the session before it expires and after the host hands a new token", async () => {
    server.use(http.get(url("/api/settings/connection"), () => HttpResponse.json(connection)));
    let now = Date.now();
    const client = new ApiClient({ baseUrl: apiBase, session: hostSession, now: () => now });
    await client.getConnection();
    now += 590_000; // inside the 30 s refresh margin of a 10 min session
    await client.getConnection();
    expect(sessions).toHaveLength(2);
    client.updateHostSession({ ...hostSession, accessToken: "refreshed-by-host" });
    await client.getConnection();
    expect(sessions.at(-1)).toEqual({ ...hostSession, accessToken: "refreshed-by-host" });
  });

  it("turns API, network and shape failures into pt-BR ApiErrors", async () => {
    const client = new ApiClient({ baseUrl: apiBase, session: hostSession });
    server.use(
      http.get(url("/api/settings/health"), () =>
        HttpResponse.json({ error: "tenant_paused", message: "Integração pausada." }, { status: 409 }),
      ),
      http.get(url("/api/settings/progress"), () => HttpResponse.error()),
      http.get(url("/api/settings/readiness"), () => HttpResponse.json({ problems: "none" })),
      http.get(url("/api/settings/connection"), () => new HttpResponse("<html>oops</html>", { status: 502 })),
    );
    vi.spyOn(console, "error").mockImplementation(() => {});
    await expect(client.getHealth()).rejects.toMatchObject({
      kind: "http",
      status: 409,
      code: "tenant_paused",
      message: "Integração pausada.",
    });
    await expect(client.getProgress()).rejects.toMatchObject({ kind: "network" });
    await expect(client.getReadiness()).rejects.toMatchObject({ kind: "unexpected_response" });
    const err = await client.getConnection().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(502);
    expect((err as ApiError).message).toMatch(/Tente novamente/);
    vi.restoreAllMocks();
  });

  it("fails with the API's message when the host session is refused", async () => {
    server.use(
      http.post(url("/api/session"), () =>
        HttpResponse.json(
          { error: "not_installed", message: "O app não está instalado para esta organização." },
          { status: 403 },
        ),
      ),
    );
    const client = new ApiClient({ baseUrl: apiBase, session: hostSession });
    await expect(client.getSettings()).rejects.toMatchObject({
      status: 403,
      message: "O app não está instalado para esta organização.",
    });
  });

  it("reads a missing options endpoint as 'no options' and asks the API for the connect URL", async () => {
    const starts: Array<string | null> = [];
    server.use(
      http.get(url("/api/settings/options"), () =>
        HttpResponse.json({ error: "not_found" }, { status: 404 }),
      ),
      http.post(url("/bling/connect"), ({ request }) => {
        starts.push(request.headers.get("authorization"));
        return HttpResponse.json({ url: `${apiBase}/bling/connect?nonce=n-1` });
      }),
    );
    const client = new ApiClient({ baseUrl: apiBase, session: hostSession });
    expect(await client.getSettingsOptions()).toBeNull();
    // The session goes in the header of a POST; the URL the window opens holds only the nonce.
    const connectUrl = await client.blingConnectUrl();
    expect(connectUrl).toBe(`${apiBase}/bling/connect?nonce=n-1`);
    expect(connectUrl).not.toContain("tok-1");
    expect(starts).toEqual(["Bearer tok-1"]);
  });

  it("passes the API's pt-BR refusal of a connect start on", async () => {
    server.use(
      http.post(url("/bling/connect"), () =>
        HttpResponse.json(
          {
            error: "too_many_attempts",
            message: "Muitas tentativas de conexão com o Bling nos últimos minutos.",
          },
          { status: 429 },
        ),
      ),
    );
    const client = new ApiClient({ baseUrl: apiBase, session: hostSession });
    await expect(client.blingConnectUrl()).rejects.toMatchObject({
      status: 429,
      message: "Muitas tentativas de conexão com o Bling nos últimos minutos.",
    });
  });

  it("goes on with the session Desconectar hands back (a resumed page session, kept for F5)", async () => {
    const auth: (string | null)[] = [];
    const expiresAt = new Date(Date.now() + 300_000).toISOString();
    server.use(
      http.post(url("/api/settings/bling/disconnect"), ({ request }) => {
        auth.push(request.headers.get("authorization"));
        return HttpResponse.json({
          wasConnected: true,
          revokedAtBling: true,
          message: "Bling desconectado.",
          session: { token: "page-2", expiresAt, tenantId: "tenant-1" },
        });
      }),
      http.get(url("/api/settings/connection"), ({ request }) => {
        auth.push(request.headers.get("authorization"));
        return request.headers.get("authorization") === "Bearer page-2"
          ? HttpResponse.json(connection)
          : HttpResponse.json({ error: "session_revoked", message: "Sessão encerrada." }, { status: 401 });
      }),
    );
    const kept: unknown[] = [];
    const client = new ApiClient({
      baseUrl: apiBase,
      session: { pageToken: "page-1", expiresAt, tenantId: "tenant-1" },
      onSessionReissued: (s) => kept.push(s),
    });
    expect((await client.disconnectBling())?.message).toBe("Bling desconectado.");
    await client.getConnection();
    expect(auth).toEqual(["Bearer page-1", "Bearer page-2"]);
    expect(client.pageSession()).toEqual({ token: "page-2", expiresAt, tenantId: "tenant-1" });
    expect(kept).toEqual([{ token: "page-2", expiresAt, tenantId: "tenant-1" }]);
    expect(sessions).toEqual([]);
  });

  it("leaves blank ledger filters out of the query", () => {
    expect(ledgerSearchParams({ search: "   " }).toString()).toBe("page=0&pageSize=20");
    expect(
      ledgerSearchParams({
        entity: "customer",
        outcome: "skipped",
        search: " 123.456 ",
        page: 3,
        pageSize: 50,
      }).toString(),
    ).toBe("entity=customer&outcome=skipped&search=123.456&page=2&pageSize=50");
  });
});
