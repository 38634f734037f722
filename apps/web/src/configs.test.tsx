import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { Configs } from "./configs.js";
import { readStandaloneSession } from "./runtime.js";
import { apiBase, hostSession, server, url } from "./test/server.js";

const connection = {
  bling: { state: "connected", companyName: "ACME" },
  token: { state: "valid" },
  tenant: { state: "active" },
};

describe("Configs (federated and standalone entry)", () => {
  it("exchanges the host session, then shows the tabs; arrow keys move between tabs", async () => {
    const bodies: unknown[] = [];
    server.use(
      http.post(url("/api/session"), async ({ request }) => {
        bodies.push(await request.json());
        return HttpResponse.json({
          token: "t",
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          tenantId: "x",
        });
      }),
      http.get(url("/api/settings/connection"), () => HttpResponse.json(connection)),
      http.get(url("/api/settings/readiness"), () => HttpResponse.json({ generatedAt: null, problems: [] })),
      http.get(url("/api/settings"), () =>
        HttpResponse.json({
          stock: { depositIds: [], balance: "virtual" },
          price: { source: "base" },
          orders: { trigger: "all" },
          nfe: { enabled: false },
          paused: false,
        }),
      ),
      http.get(url("/api/settings/options"), () =>
        HttpResponse.json({ error: "not_found" }, { status: 404 }),
      ),
    );
    const user = userEvent.setup();
    render(<Configs {...hostSession} apiBaseUrl={apiBase} />);

    expect((await screen.findByTestId("connection-state")).dataset.state).toBe("connected");
    expect(bodies).toEqual([hostSession]);
    const tab = screen.getByRole("tab", { name: "Conexão" });
    expect(tab.getAttribute("aria-selected")).toBe("true");

    tab.focus();
    await user.keyboard("{ArrowRight}");
    const readiness = screen.getByRole("tab", { name: "Prontidão" });
    expect(readiness.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(readiness);
    expect(await screen.findByText(/Nenhum problema encontrado/)).toBeTruthy();
    expect(screen.getByRole("tabpanel").getAttribute("aria-labelledby")).toBe(readiness.id);

    await user.keyboard("{End}");
    expect(screen.getByRole("tab", { name: "Configurações" }).getAttribute("aria-selected")).toBe("true");
    expect(await screen.findByTestId("settings-save")).toBeTruthy();
  });

  it("explains a refused session and tries again on request", async () => {
    let refuse = true;
    server.use(
      http.post(url("/api/session"), () =>
        refuse
          ? HttpResponse.json(
              { error: "not_installed", message: "O app não está instalado para esta organização." },
              { status: 403 },
            )
          : HttpResponse.json({
              token: "t",
              expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
              tenantId: "x",
            }),
      ),
      http.get(url("/api/settings/connection"), () => HttpResponse.json(connection)),
    );
    const user = userEvent.setup();
    render(<Configs {...hostSession} apiBaseUrl={apiBase} />);
    expect((await screen.findByRole("alert")).textContent).toContain("não está instalado");
    expect(screen.queryByRole("tablist")).toBeNull();
    refuse = false;
    await user.click(screen.getByRole("button", { name: "Tentar de novo" }));
    await waitFor(() => expect(screen.getByRole("tablist")).toBeTruthy());
  });

  it("trades a launch code once for a page session, and says when that expired", async () => {
    const auth: (string | null)[] = [];
    const launches: unknown[] = [];
    let sessions = 0;
    server.use(
      http.post(url("/api/session"), () => {
        sessions++;
        return HttpResponse.json({}, { status: 500 });
      }),
      http.post(url("/api/session/launch"), async ({ request }) => {
        launches.push(await request.json());
        return HttpResponse.json({
          token: "page.tok",
          expiresAt: new Date(Date.now() + 1_800_000).toISOString(),
          tenantId: "t1",
        });
      }),
      http.get(url("/api/settings/readiness"), () => HttpResponse.json({ generatedAt: null, problems: [] })),
      http.get(url("/api/settings/connection"), ({ request }) => {
        auth.push(request.headers.get("authorization"));
        return auth.length === 1
          ? HttpResponse.json(connection)
          : HttpResponse.json(
              { error: "session_expired", message: "Sua sessão expirou. Recarregue a página no App Center." },
              { status: 401 },
            );
      }),
    );
    const user = userEvent.setup();
    render(<Configs launchToken="launch.tok" apiBaseUrl={apiBase} />);
    expect((await screen.findByTestId("connection-state")).dataset.state).toBe("connected");
    await user.click(screen.getByRole("tab", { name: "Prontidão" }));
    await user.click(screen.getByRole("tab", { name: "Conexão" }));
    expect((await screen.findByRole("alert")).textContent).toContain("Sua sessão expirou");
    // The launch code itself never authorizes a call; it was traded exactly once.
    expect(auth).toEqual(["Bearer page.tok", "Bearer page.tok"]);
    expect(launches).toEqual([{ launchToken: "launch.tok" }]);
    expect(sessions).toBe(0);
  });

  it("reads the standalone session from the fragment only, never the query", () => {
    const dev = { allowHostSessionLink: true };
    expect(readStandaloneSession({ hash: "#org=o1&token=t%2B1", search: "" }, dev)).toEqual({
      organizationId: "o1",
      accessToken: "t+1",
    });
    expect(readStandaloneSession({ hash: "", search: "?organizationId=o2&accessToken=t2" }, dev)).toBeNull();
    expect(readStandaloneSession({ hash: "#org=o1", search: "" }, dev)).toBeNull();
    expect(readStandaloneSession({ hash: "#launch=abc.def", search: "" })).toEqual({
      launchToken: "abc.def",
    });
  });
});
