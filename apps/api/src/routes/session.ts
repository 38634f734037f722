import { type SessionResponse, sessionRequestSchema } from "@zb/contract";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { AppDeps } from "../deps.js";
import { BODY_LIMITS, rateLimit } from "../http/limits.js";
import { sendError } from "../http/pages.js";
import { signSession } from "../session/session-token.js";
import { repos } from "../use-cases/repos.js";

/**
 * The page trades the Zydon admin session (organization + user token, handed over by the App Center host)
 * for our own short-lived session scoped to one tenant. Zydon verifies the user token (adapter).
 */
export async function sessionRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.post(
    "/api/session",
    { config: rateLimit(deps, "public"), bodyLimit: BODY_LIMITS.json },
    async (req, reply): Promise<SessionResponse | FastifyReply> => {
      const parsed = sessionRequestSchema.safeParse(req.body);
      if (!parsed.success) {
        return sendError(
          reply,
          400,
          "bad_request",
          "Informe organizationId e accessToken da sessão da Zydon.",
        );
      }
      const { organizationId, accessToken } = parsed.data;
      const tenant = await repos(deps).tenants.findByOrganization(organizationId);
      if (!tenant) {
        return sendError(
          reply,
          404,
          "not_installed",
          "O app não está instalado nesta organização. Instale-o pelo App Center.",
        );
      }
      // Checked before asking Zydon: an uninstalled tenant causes no outside call at all.
      if (tenant.state === "paused") {
        return sendError(
          reply,
          403,
          "tenant_uninstalled",
          "O app foi desinstalado desta organização. Instale-o novamente pelo App Center.",
        );
      }
      const v = await deps.zydon.verifyAdminSession({ organizationId, accessToken });
      if (!v.ok) {
        req.log.warn({ reason: v.reason }, "Zydon admin session refused");
        if (v.reason === "unavailable") {
          return sendError(
            reply,
            503,
            "zydon_unavailable",
            "Não conseguimos confirmar sua sessão na Zydon. Tente de novo em instantes.",
          );
        }
        return sendError(
          reply,
          401,
          "unauthorized",
          "Sessão da Zydon inválida. Recarregue a página no App Center.",
        );
      }
      const s = signSession(
        deps.config.SESSION_SECRET,
        { tenantId: tenant.id, organizationId },
        deps.now?.() ?? new Date(),
      );
      return { token: s.token, expiresAt: s.expiresAt.toISOString(), tenantId: tenant.id };
    },
  );
}
