import { render, screen } from "@testing-library/react";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { Configs } from "./configs.js";
import { loadStandaloneSession, saveStandaloneSession } from "./session-store.js";
import { apiBase, server, url } from "./test/server.js";

const connection = {
  bling: { state: "not_connected" },
  token: { state: "none" },
  tenant: { state: "awaiting_bling" },
};

function memoryStore() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
    size: () => m.size,
  };
}

describe("the standalone page's session across F5", () => {
  it("keeps the traded page session only while it is valid", () => {
    const store = memoryStore();
    const s = { pageToken: "page.tok", expiresAt: "2026-03-01T12:30:00.000Z", tenantId: "t1" };
    saveStandaloneSession(s, store);
    expect(loadStandaloneSession(Date.parse("2026-03-01T12:29:00.000Z"), store)).toEqual(s);
    expect(loadStandaloneSession(Date.parse("2026-03-01T12:31:00.000Z"), store)).toBeNull();
    // An expired one is forgotten.
    expect(store.size()).toBe(0);
    store.setItem("zb-page-session", "{not json");
    expect(loadStandaloneSession(0, store)).toBeNull();
  });

  it("a launch code is traded once and the page session handed over to keep; F5 reuses it without a new exchange", async () => {
    const auth: (string | null)[] = [];
    let launches = 0;
    const expiresAt = new Date(Date.now() + 1_800_000).toISOString();
    server.use(
      http.post(url("/api/session/launch"), () => {
        launches++;
        return HttpResponse.json({ token: "page.tok", expiresAt, tenantId: "t1" });
      }),
      http.get(url("/api/settings/connection"), ({ request }) => {
        auth.push(request.headers.get("authorization"));
        return HttpResponse.json(connection);
      }),
    );
    const kept: unknown[] = [];
    const first = render(
      <Configs launchToken="launch.tok" apiBaseUrl={apiBase} onSession={(s) => kept.push(s)} />,
    );
    expect((await screen.findByTestId("connection-state")).dataset.state).toBe("not_connected");
    expect(kept).toEqual([{ pageToken: "page.tok", expiresAt, tenantId: "t1" }]);
    first.unmount();
    // F5: main.tsx finds the kept session and opens the page with it.
    render(<Configs resume={kept[0] as never} apiBaseUrl={apiBase} />);
    expect((await screen.findByTestId("connection-state")).dataset.state).toBe("not_connected");
    expect(launches).toBe(1);
    expect(auth).toEqual(["Bearer page.tok", "Bearer page.tok"]);
  });

  it("an expired launch link says to reopen from the App Center, with the link, and offers no retry", async () => {
    server.use(
      http.post(url("/api/session/launch"), () =>
        HttpResponse.json(
          {
            error: "launch_used",
            message: "Este link de abertura já foi usado. Abra o app de novo pelo App Center da Zydon.",
            reopenUrl: "https://admin.zydon.com.br",
          },
          { status: 401 },
        ),
      ),
    );
    let lost = 0;
    render(<Configs launchToken="old.tok" apiBaseUrl={apiBase} onSessionLost={() => lost++} />);
    expect((await screen.findByRole("alert")).textContent).toContain("já foi usado");
    expect(screen.getByTestId("reopen-link").getAttribute("href")).toBe("https://admin.zydon.com.br");
    expect(screen.queryByRole("button", { name: "Tentar de novo" })).toBeNull();
    expect(lost).toBe(1);
  });
});
