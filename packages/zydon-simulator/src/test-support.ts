/** Test-only helpers (not exported from the package index). */
import { createServer, type IncomingHttpHeaders } from "node:http";
import { ZydonApp } from "@zb/zydon";
import { type StartedZydonSimulator, startZydonSimulator } from "./server.js";
import type { ZydonSimulatorOptions } from "./simulator.js";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
}

/** A stand-in for our app's endpoints: records every request, answers `status` (default 200). */
export async function startReceiver() {
  const received: Received[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({
        path: req.url ?? "",
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString("utf8"),
      });
      res.statusCode = status;
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return {
    url,
    received,
    setStatus: (s: number) => {
      status = s;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const PLUGIN_ID = "3f9a0c1e-0000-4000-8000-00000000b11e";
export const PLUGIN_KEY = "plugin-access-key-secret";

/** Simulator + receiver + a registered plugin + one organization + a ZydonApp pointed at the simulator. */
export async function startWorld(opts: ZydonSimulatorOptions = {}) {
  const receiver = await startReceiver();
  const started: StartedZydonSimulator = await startZydonSimulator(opts);
  const { sim, url } = started;
  const callbackUrl = `${receiver.url}/zydon/callback`;
  sim.registerPlugin({
    pluginId: PLUGIN_ID,
    accessKey: PLUGIN_KEY,
    name: "Bling",
    callbackUrls: [callbackUrl],
    installationUrl: `${receiver.url}/zydon/install`,
    uninstallUrl: `${receiver.url}/zydon/uninstall`,
    orderWebhookUrl: `${receiver.url}/zydon/orders`,
  });
  const org = sim.createOrganization({ name: "Distribuidora Alfa" });
  const app = new ZydonApp({
    pluginId: PLUGIN_ID,
    accessKey: PLUGIN_KEY,
    apiBaseUrl: url,
    adminUrl: url,
    timeoutMs: 5_000,
    // The tests' image servers listen on loopback, which tenant URLs may not reach otherwise.
    outbound: { allowHosts: ["127.0.0.1"] },
  });
  return {
    sim,
    url,
    app,
    org,
    receiver,
    callbackUrl,
    close: async () => {
      await started.close();
      await receiver.close();
    },
  };
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** An installed organization and its client. */
export async function installedClient(w: World) {
  await w.sim.install(w.org.id);
  return w.app.client(w.sim.accessKeyFor(w.org.id));
}
