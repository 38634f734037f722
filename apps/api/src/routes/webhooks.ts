import type { FastifyInstance, FastifyReply } from "fastify";
import type { AppDeps } from "../deps.js";
import { BODY_LIMITS, rateLimit } from "../http/limits.js";
import { sendError } from "../http/pages.js";
import { rawBodyOf, useRawBody } from "../http/raw-body.js";
import {
  type IngestResult,
  ingestBlingWebhook,
  ingestZydonOrderUpdateWebhook,
  ingestZydonOrderWebhook,
} from "../use-cases/webhooks.js";

function answer(reply: FastifyReply, r: IngestResult) {
  if (r.status === 401) return sendError(reply, 401, "invalid_signature", "Assinatura do webhook inválida.");
  if (r.status === 400) return sendError(reply, 400, "malformed_webhook", r.reason);
  return reply.code(200).send({ status: r.outcome });
}

/**
 * Webhooks in: verify over the raw bytes → store once in the inbox → enqueue a small job → 2xx. No sync
 * work here, so the answer comes well inside Bling's 5 s (target < 1 s).
 */
export async function webhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  useRawBody(app, BODY_LIMITS.webhook);
  const opts = { config: rateLimit(deps, "webhooks"), bodyLimit: BODY_LIMITS.webhook };

  app.post("/webhooks/bling", opts, async (req, reply) => {
    const header = req.headers["x-bling-signature-256"];
    const r = await ingestBlingWebhook(deps, {
      rawBody: rawBodyOf(req),
      signature: Array.isArray(header) ? header[0] : header,
    });
    if (r.status !== 200) req.log.warn({ status: r.status, reason: r.reason }, "Bling webhook refused");
    return answer(reply, r);
  });

  app.post("/webhooks/zydon/orders", opts, async (req, reply) => {
    const r = await ingestZydonOrderWebhook(deps, { rawBody: rawBodyOf(req), headers: req.headers });
    if (r.status !== 200) req.log.warn({ status: r.status, reason: r.reason }, "Zydon order webhook refused");
    return answer(reply, r);
  });

  // The order-update webhook our webhooks.yml declares (zydon-api.md §9 [ZS-233]).
  app.post("/webhooks/zydon/orders/updated", opts, async (req, reply) => {
    const r = await ingestZydonOrderUpdateWebhook(deps, { rawBody: rawBodyOf(req), headers: req.headers });
    if (r.status !== 200)
      req.log.warn({ status: r.status, reason: r.reason }, "Zydon order-update webhook refused");
    return answer(reply, r);
  });
}
