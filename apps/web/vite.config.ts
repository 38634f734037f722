import { fileURLToPath } from "node:url";
import federation from "@originjs/vite-plugin-federation";
import react from "@vitejs/plugin-react";
import { defineConfig, loadEnv } from "vite";

/** App Center serves a plugin's front end under /store/apps/<APP_NAME>; the API serves this build there too. */
export const appName = "zydon-bling";

// Paths relative to this file, not the cwd: the root vitest run builds it from the repo root.
const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig(({ mode }) => {
  // Vite's own env loading (VITE_*/ZB_WEB_* from .env files or the shell), not process.env.
  const env = loadEnv(mode, here, ["VITE_", "ZB_WEB_"]);
  const apiTarget = env.ZB_WEB_API_PROXY ?? "http://127.0.0.1:3000";
  return {
    root: here,
    base: `/store/apps/${env.ZB_WEB_APP_NAME ?? appName}/`,
    plugins: [
      react(),
      federation({
        // The App Center host loads `configs/Configs` from remoteEntry.js (Zydon's plugin template layout).
        name: "configs",
        filename: "remoteEntry.js",
        exposes: {
          "./Configs": fileURLToPath(new URL("./src/federation/configs-remote.tsx", import.meta.url)),
        },
        shared: ["react", "react-dom"],
      }),
    ],
    build: {
      outDir: fileURLToPath(new URL("./dist", import.meta.url)),
      emptyOutDir: true,
      // Federation's runtime uses top-level await.
      target: "esnext",
      // Keep the exposed module's CSS as its own file so federation can inject it for the host.
      cssCodeSplit: true,
    },
    server: {
      // `pnpm --filter @zb/web dev`: the API (apps/api) answers /api and /bling.
      proxy: { "/api": apiTarget, "/bling": apiTarget },
    },
  };
});
