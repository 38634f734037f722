import type { AlertsResponse, AlertTestResponse } from "@zb/contract";
import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../deps.js";
import { BODY_LIMITS } from "../http/limits.js";
import { sendError } from "../http/pages.js";
import { tenantOf } from "../http/tenant-auth.js";
import { alertsView, saveAlertSettings, sendTestAlert } from "../use-cases/alerts.js";

/** Alert settings and the list of alerts sent (issue 18 #1). Registered inside settingsRoutes' tenant scope. */
export function alertRoutes(app: FastifyInstance, deps: AppDeps): void {
  const json = { bodyLimit: BODY_LIMITS.json };

  app.get("/api/settings/alerts", async (req): Promise<AlertsResponse> => alertsView(deps, tenantOf(req)));

  app.put("/api/settings/alerts", json, async (req, reply) => {
    const r = await saveAlertSettings(deps, tenantOf(req), req.body);
    if (!r.ok) return reply.code(400).send({ errors: r.errors });
    return r.settings;
  });

  app.post("/api/settings/alerts/test", json, async (req, reply) => {
    const r = await sendTestAlert(deps, tenantOf(req));
    if (r.kind === "no_channel")
      return sendError(
        reply,
        409,
        "no_channel",
        "Informe pelo menos um e-mail ou um webhook e salve antes de enviar o teste.",
      );
    if (r.kind === "too_soon")
      return sendError(
        reply,
        429,
        "too_soon",
        "Um alerta de teste já foi enviado neste minuto. Aguarde um pouco.",
      );
    const body: AlertTestResponse = { status: "enqueued", alertId: r.alertId };
    return reply.code(202).send(body);
  });
}
