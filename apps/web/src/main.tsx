import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { blingPopupName } from "./components/connection-card.js";
import { Configs } from "./configs.js";
import { readStandaloneSession } from "./runtime.js";

// Standalone entry (index.html): the iframe, the demo and the browser test open the page with
// `#org=<organizationId>&token=<accessToken>`.
const root = document.getElementById("root");

if (window.name === blingPopupName && window.opener) {
  // The Bling login popup came back to this page: the opener notices the close and reloads its state.
  window.close();
} else if (root) {
  const session = readStandaloneSession(window.location);
  if (session) {
    // Keep the access token out of the address bar, history and any screenshot of it.
    history.replaceState(null, "", window.location.pathname);
    createRoot(root).render(
      <StrictMode>
        <Configs organizationId={session.organizationId} accessToken={session.accessToken} />
      </StrictMode>,
    );
  } else {
    root.innerHTML =
      '<div class="zb-app"><div class="zb-page"><p class="zb-notice zb-notice--error" role="alert">Abra esta página pelo App Center do Zydon (Integrações → App Center → Bling).</p></div></div>';
  }
}
