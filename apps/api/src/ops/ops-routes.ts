import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import type { ZbMetrics } from "@zb/metrics";
import type { Queue } from "bullmq";
import type { FastifyInstance } from "fastify";
import { requireOpsToken } from "./ops-auth.js";
import { type OpsTenantView, opsTenantsHtml } from "./ops-tenants.js";

/** Everything the operator routes need; absent (no OPS_TOKEN) → none of them exists. */
export interface OpsDeps {
  token: string;
  metrics: ZbMetrics;
  queues: readonly Queue[];
  tenants(now: Date): Promise<OpsTenantView[]>;
}

export const OPS_QUEUES_PATH = "/ops/queues";

// Bull Board's page uses inline styles and Google Fonts; still no inline script, no framing.
const opsCsp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline' https://fonts.googleapis.com",
  "font-src 'self' https://fonts.gstatic.com",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
].join("; ");

/**
 * `/metrics` (Prometheus), `/ops/queues` (Bull Board over every queue) and `/ops/tenants` (HTML, or JSON
 * with `?format=json` / `Accept: application/json`), all behind the operator token.
 */
export async function opsRoutes(app: FastifyInstance, ops: OpsDeps, now: () => Date): Promise<void> {
  app.addHook("onRequest", requireOpsToken(ops.token));
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("content-security-policy", opsCsp);
    reply.header("cache-control", "no-store");
    reply.header("x-robots-tag", "noindex");
    return payload;
  });

  app.get("/metrics", async (_req, reply) => {
    const { contentType, body } = await ops.metrics.expose();
    return reply.type(contentType).send(body);
  });

  app.get("/ops/tenants", async (req, reply) => {
    const at = now();
    const view = await ops.tenants(at);
    const q = req.query as { format?: string };
    const wantsJson = q.format === "json" || (req.headers.accept ?? "").includes("application/json");
    if (wantsJson) return reply.send({ generatedAt: at.toISOString(), tenants: view });
    return reply.type("text/html; charset=utf-8").send(opsTenantsHtml(view, at));
  });

  const serverAdapter = new FastifyAdapter();
  createBullBoard({
    queues: ops.queues.map((q) => new BullMQAdapter(q)),
    serverAdapter,
    options: { uiConfig: { boardTitle: "zydon-bling queues" } },
  });
  serverAdapter.setBasePath(OPS_QUEUES_PATH);
  await app.register(serverAdapter.registerPlugin(), { prefix: OPS_QUEUES_PATH });
}
