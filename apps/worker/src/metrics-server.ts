import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@zb/config";
import type { ZbMetrics } from "@zb/metrics";

export interface MetricsServer {
  /** `http://host:port` the listener is bound to. */
  url: string;
  close(): Promise<void>;
}

/**
 * The worker's Prometheus endpoint: `GET /metrics` on its own small listener (WORKER_METRICS_PORT, bound to
 * WORKER_METRICS_HOST, 127.0.0.1 by default), anything else 404. Not public: scrape it from the private
 * network; it carries counts and queue/job names only.
 */
export async function startMetricsServer(
  metrics: ZbMetrics,
  opts: { host: string; port: number; logger: Logger },
): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    metrics.expose().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
      (err: unknown) => {
        opts.logger.warn({ err: (err as Error).message }, "metrics collection failed");
        res.writeHead(500, { "content-type": "text/plain" }).end("metrics collection failed\n");
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
