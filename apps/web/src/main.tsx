import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Configs } from "./configs.js";
import { hostSessionLinksAllowed, readStandaloneSession } from "./runtime.js";
import { clearStandaloneSession, loadStandaloneSession, saveStandaloneSession } from "./session-store.js";

// Standalone entry (index.html): the install callback opens it with `#launch=<code>`; in development (the
// demo, the browser test, on a loopback address) also `#org=<organizationId>&token=<accessToken>`.
const root = document.getElementById("root");

function notice(message: string, tone: "info" | "error") {
  if (!root) return;
  const page = document.createElement("div");
  page.className = "zb-app";
  const p = document.createElement("p");
  p.className = tone === "error" ? "zb-notice zb-notice--error" : "zb-empty";
  p.setAttribute("role", tone === "error" ? "alert" : "status");
  p.textContent = message;
  const inner = document.createElement("div");
  inner.className = "zb-page";
  inner.append(p);
  page.append(inner);
  root.replaceChildren(page);
}

// The API's Bling callback returns to this page with ?bling=connected. In the popup opened by "Conectar ao
// Bling" (it still has an opener), close it: the settings page notices and reloads its state.
const blingResult = new URLSearchParams(window.location.search).get("bling");
const session = readStandaloneSession(window.location, {
  allowHostSessionLink: hostSessionLinksAllowed(window.location.hostname),
});
// F5 on the standalone page: the fragment is gone (taken out below), the page session kept in this tab is not.
const kept = session ? null : loadStandaloneSession();

if (blingResult && !session) {
  if (window.opener) window.close();
  notice(
    blingResult === "connected"
      ? "Bling conectado. Pode fechar esta janela e voltar às configurações no App Center."
      : "Conexão com o Bling não concluída. Feche esta janela e tente de novo nas configurações.",
    blingResult === "connected" ? "info" : "error",
  );
} else if (root && session) {
  // Keep the access token out of the address bar, history and any screenshot of it.
  history.replaceState(null, "", window.location.pathname);
  createRoot(root).render(
    <StrictMode>
      {"launchToken" in session ? (
        <Configs
          launchToken={session.launchToken}
          onSession={saveStandaloneSession}
          onSessionLost={clearStandaloneSession}
        />
      ) : (
        <Configs
          organizationId={session.organizationId}
          accessToken={session.accessToken}
          onSession={saveStandaloneSession}
          onSessionLost={clearStandaloneSession}
        />
      )}
    </StrictMode>,
  );
} else if (root && kept) {
  createRoot(root).render(
    <StrictMode>
      <Configs resume={kept} onSession={saveStandaloneSession} onSessionLost={clearStandaloneSession} />
    </StrictMode>,
  );
} else {
  notice("Abra esta página pelo App Center do Zydon (Integrações → App Center → Bling).", "error");
}
