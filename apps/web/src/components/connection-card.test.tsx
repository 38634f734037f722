import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse, http } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderWithApi } from "../test/render.js";
import { apiBase, appToken, server, url } from "../test/server.js";
import { blingPopupName, ConnectionCard } from "./connection-card.js";

// Wire shapes as apps/api's connectionView sends them.
const notConnected = {
  tenant: { id: "t1", state: "awaiting_bling", paused: false, installedAt: "2025-03-01T10:00:00.000Z" },
  bling: { state: "not_connected", label: "Não conectado", companyName: null, blingCompanyId: null },
  token: { state: "none", label: "Sem token do Bling.", accessExpiresAt: null, refreshFailures: 0 },
};
const connected = {
  tenant: { id: "t1", state: "active", paused: false, installedAt: "2025-03-01T10:00:00.000Z" },
  bling: {
    state: "connected",
    label: "Conectado como Distribuidora Exemplo Ltda",
    companyName: "Distribuidora Exemplo Ltda",
    blingCompanyId: "8f1c",
  },
  token: {
    state: "valid",
    label: "Token válido.",
    accessExpiresAt: "2025-03-10T20:00:00.000Z",
    refreshFailures: 0,
  },
};
const needsReauth = {
  tenant: { id: "t1", state: "needs_reauth", paused: false, installedAt: "2025-03-01T10:00:00.000Z" },
  bling: {
    state: "needs_reauth",
    label: "Reconexão necessária",
    companyName: "Distribuidora Exemplo Ltda",
    blingCompanyId: "8f1c",
  },
  token: {
    state: "needs_reauth",
    label: "O Bling recusou a renovação do token. Clique em Reconectar.",
    accessExpiresAt: null,
    refreshFailures: 3,
  },
};
type Wire = { tenant: object; bling: object; token: object };

function serveConnection(get: () => Wire) {
  server.use(http.get(url("/api/settings/connection"), () => HttpResponse.json(get())));
}

/** The API's connect start: the session in the header, a nonce URL back. */
function serveConnectStart(starts: Array<string | null> = []) {
  server.use(
    http.post(url("/bling/connect"), ({ request }) => {
      starts.push(request.headers.get("authorization"));
      return HttpResponse.json({ url: `${apiBase}/bling/connect?nonce=nonce-${starts.length}` });
    }),
  );
  return starts;
}

function fakePopup() {
  return { closed: false, location: { href: "" }, close: vi.fn() };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("connection card", () => {
  it("not connected: opens Bling's login in a top-level popup and refreshes when it closes", async () => {
    let state: Wire = notConnected;
    serveConnection(() => state);
    const starts = serveConnectStart();
    const popup = fakePopup();
    const open = vi.spyOn(window, "open").mockReturnValue(popup as unknown as Window);
    const onChanged = vi.fn();
    const user = userEvent.setup();
    renderWithApi(<ConnectionCard refreshKey={0} onChanged={onChanged} />);

    expect((await screen.findByTestId("connection-state")).dataset.state).toBe("not_connected");
    expect(screen.getByText("Não conectado")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Conectar ao Bling" }));

    expect(open).toHaveBeenCalledWith("", blingPopupName, expect.stringContaining("popup"));
    await waitFor(() => expect(popup.location.href).toBe(`${apiBase}/bling/connect?nonce=nonce-1`));
    // The session went in the start's header, never into the window's URL.
    expect(starts).toEqual([`Bearer ${appToken}`]);
    expect(popup.location.href).not.toContain(appToken);
    expect(screen.getByRole("status").textContent).toContain("Conclua o login na janela do Bling");

    state = connected;
    popup.closed = true;
    await waitFor(() => expect(screen.getByTestId("connection-state").dataset.state).toBe("connected"), {
      timeout: 3000,
    });
    expect(onChanged).toHaveBeenCalled();
  });

  it("connected: shows the company and disconnects only after confirmation", async () => {
    let state: Wire = connected;
    const disconnects: string[] = [];
    serveConnection(() => state);
    server.use(
      http.post(url("/api/settings/bling/disconnect"), ({ request }) => {
        disconnects.push(request.headers.get("authorization") ?? "");
        state = notConnected;
        return HttpResponse.json({
          wasConnected: true,
          revokedAtBling: true,
          message: "Bling desconectado. O acesso foi revogado no Bling.",
        });
      }),
    );
    const user = userEvent.setup();
    renderWithApi(<ConnectionCard refreshKey={0} onChanged={() => {}} />);

    const card = await screen.findByTestId("connection-state");
    expect(card.dataset.state).toBe("connected");
    expect(card.textContent).toContain("Conectado como Distribuidora Exemplo Ltda");
    expect(card.textContent).toContain("Ativa");

    await user.click(screen.getByRole("button", { name: "Desconectar" }));
    // Cancel is the safe default and gets the focus.
    const cancel = screen.getByRole("button", { name: "Cancelar" });
    expect(document.activeElement).toBe(cancel);
    await user.click(cancel);
    expect(disconnects).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Desconectar" }));
    await user.click(screen.getByRole("button", { name: "Confirmar desconexão" }));
    await waitFor(() => expect(screen.getByTestId("connection-state").dataset.state).toBe("not_connected"));
    expect(disconnects).toEqual([`Bearer ${appToken}`]);
    expect(screen.getByText("Bling desconectado. O acesso foi revogado no Bling.")).toBeTruthy();
  });

  it("needs reauth: explains and offers Reconectar", async () => {
    serveConnection(() => needsReauth);
    vi.spyOn(window, "open").mockReturnValue(fakePopup() as unknown as Window);
    renderWithApi(<ConnectionCard refreshKey={0} onChanged={() => {}} />);
    const card = await screen.findByTestId("connection-state");
    expect(card.dataset.state).toBe("needs_reauth");
    expect(card.textContent).toContain("Reconexão necessária");
    expect(card.textContent).toContain("O Bling recusou a renovação do token. Clique em Reconectar.");
    expect(screen.getByRole("button", { name: "Reconectar ao Bling" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Conectar ao Bling" })).toBeNull();
  });

  it("a blocked popup falls back to a link", async () => {
    serveConnection(() => notConnected);
    serveConnectStart();
    vi.spyOn(window, "open").mockReturnValue(null);
    const user = userEvent.setup();
    renderWithApi(<ConnectionCard refreshKey={0} onChanged={() => {}} />);
    await user.click(await screen.findByRole("button", { name: "Conectar ao Bling" }));
    const link = await screen.findByRole("link", { name: "Abrir o login do Bling" });
    expect(link.getAttribute("href")).toBe(`${apiBase}/bling/connect?nonce=nonce-1`);
    expect(link.getAttribute("target")).toBe(blingPopupName);
  });

  it("a refused start (too many attempts) closes the window and shows the API's pt-BR reason", async () => {
    serveConnection(() => notConnected);
    server.use(
      http.post(url("/bling/connect"), () =>
        HttpResponse.json(
          {
            error: "too_many_attempts",
            message:
              "Muitas tentativas de conexão com o Bling nos últimos minutos. Aguarde 10 minutos e tente de novo.",
          },
          { status: 429 },
        ),
      ),
    );
    const popup = fakePopup();
    vi.spyOn(window, "open").mockReturnValue(popup as unknown as Window);
    const user = userEvent.setup();
    renderWithApi(<ConnectionCard refreshKey={0} onChanged={() => {}} />);
    await user.click(await screen.findByRole("button", { name: "Conectar ao Bling" }));
    await waitFor(() =>
      expect(screen.getByRole("alert").textContent).toContain("Muitas tentativas de conexão com o Bling"),
    );
    expect(popup.close).toHaveBeenCalled();
    expect(popup.location.href).toBe("");
  });

  it("shows the API's error and loads again on retry", async () => {
    let fail = true;
    server.use(
      http.get(url("/api/settings/connection"), () =>
        fail
          ? HttpResponse.json(
              { error: "internal", message: "Falha ao consultar a conexão." },
              { status: 500 },
            )
          : HttpResponse.json(connected),
      ),
    );
    const user = userEvent.setup();
    renderWithApi(<ConnectionCard refreshKey={0} onChanged={() => {}} />);
    expect((await screen.findByRole("alert")).textContent).toContain("Falha ao consultar a conexão.");
    fail = false;
    await user.click(screen.getByRole("button", { name: "Tentar de novo" }));
    expect((await screen.findByTestId("connection-state")).dataset.state).toBe("connected");
  });
});
