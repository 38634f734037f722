import { createHash } from "node:crypto";
import { launchExchangeRequestSchema, type SessionResponse, sessionRequestSchema } from "@zb/contract";
import type { FastifyInstance, FastifyReply } from "fastify";
import { type AppDeps, defaultRateLimits } from "../deps.js";
import { BODY_LIMITS, rateLimit } from "../http/limits.js";
import { sendError } from "../http/pages.js";
import { tenantFromSession } from "../http/tenant-auth.js";
import { signSession } from "../session/session-token.js";
import { repos } from "../use-cases/repos.js";

/**
 * The page trades the Zydon admin session (organization + user token, handed over by the App Center host)
 * for our own short-lived session scoped to one tenant. Zydon verifies the user token (adapter).
 */
export async function sessionRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  /**
   * The launch session of the install callback (`/app#launch=`) is a single-use code: the page trades it
   * here, once, for a page session. A copied or leaked launch link opens nothing afterwards, and a launch
   * session is refused as a Bearer token everywhere else.
   */
  app.post(
    "/api/session/launch",
    { config: rateLimit(deps, "public"), bodyLimit: BODY_LIMITS.json },
    async (req, reply): Promise<SessionResponse | FastifyReply> => {
      const parsed = launchExchangeRequestSchema.safeParse(req.body);
      if (!parsed.success) return sendError(reply, 400, "bad_request", "Informe launchToken.");
      const auth = await tenantFromSession(deps, parsed.data.launchToken, "launch");
      // An expired or used launch link cannot be retried: the page says to reopen from the App Center, linked.
      const reopenUrl = deps.config.ZYDON_ADMIN_URL ? new URL(deps.config.ZYDON_ADMIN_URL).origin : undefined;
      if (!auth.ok)
        return reply.code(auth.status).send({ error: auth.error, message: auth.message, reopenUrl });
      const now = deps.now?.() ?? new Date();
      const digest = createHash("sha256").update(parsed.data.launchToken, "utf8").digest("base64url");
      // SET NX: of two tabs racing one launch link, exactly one gets a session.
      const first = await deps.redis.set(
        `${deps.config.REDIS_PREFIX}:launch-used:${digest}`,
        "1",
        "PX",
        Math.max(1_000, auth.session.exp * 1000 - now.getTime() + 1_000),
        "NX",
      );
      if (first !== "OK") {
        req.log.warn({ tenantId: auth.tenant.id }, "launch session replayed");
        return reply.code(401).send({
          error: "launch_used",
          message: "Este link de abertura já foi usado. Abra o app de novo pelo App Center da Zydon.",
          reopenUrl,
        });
      }
      const s = signSession(
        deps.config.SESSION_SECRET,
        {
          tenantId: auth.tenant.id,
          organizationId: auth.session.organizationId,
          generation: auth.tenant.sessionGeneration,
        },
        now,
      );
      return { token: s.token, expiresAt: s.expiresAt.toISOString(), tenantId: auth.tenant.id };
    },
  );

  /**
   * The answer to anyone who cannot prove membership: the same status and body whether the organization
   * never installed the app or the token is wrong (issue 21 #5: no probing which organizations are ours).
   */
  const refused = (reply: FastifyReply) =>
    sendError(reply, 401, "unauthorized", "Sessão da Zydon inválida. Recarregue a página no App Center.");

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
      // Per organization besides per client address: many addresses (or a spoofed X-Forwarded-For) cannot
      // guess at one organization's sessions, nor make us call Zydon for it without end.
      if (!(await withinOrganizationLimit(deps, organizationId))) {
        req.log.warn("session attempts over the organization's limit");
        return sendError(
          reply,
          429,
          "too_many_attempts",
          "Muitas tentativas de abrir o app nesta organização. Aguarde um minuto e tente de novo.",
        );
      }
      const tenant = await repos(deps).tenants.findByOrganization(organizationId);
      // Uninstalled: no call to Zydon for it at all, and to the caller the same refusal as a bad token (an
      // outsider cannot tell an organization that uninstalled from one that never installed).
      if (tenant?.state === "paused") return refused(reply);
      // Zydon next, for known and unknown organizations alike: what follows only tells a real member.
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
        // A user of the organization who is not its staff (e.g. a portal buyer): issue 21 #7.
        if (v.reason === "not_admin") {
          return sendError(
            reply,
            403,
            "not_admin",
            "Só a equipe da organização na Zydon (administradores e vendedores) pode abrir as configurações deste app.",
          );
        }
        return refused(reply);
      }
      if (!tenant) {
        return sendError(
          reply,
          404,
          "not_installed",
          "O app não está instalado nesta organização. Instale-o pelo App Center.",
        );
      }
      // The name the Bling confirmation shows ("… à organização Y da Zydon?"), from Zydon's own answer.
      if (v.organizationName && v.organizationName !== tenant.zydonOrganizationName) {
        await repos(deps).tenants.setOrganizationName(tenant.id, v.organizationName);
      }
      const s = signSession(
        deps.config.SESSION_SECRET,
        { tenantId: tenant.id, organizationId, generation: tenant.sessionGeneration },
        deps.now?.() ?? new Date(),
      );
      return { token: s.token, expiresAt: s.expiresAt.toISOString(), tenantId: tenant.id };
    },
  );
}

/** Fixed one-minute window per organization (keyed by a hash: the id is the caller's input). */
async function withinOrganizationLimit(
  deps: Pick<AppDeps, "redis" | "config" | "rateLimits">,
  organizationId: string,
): Promise<boolean> {
  const max = deps.rateLimits?.sessionPerOrganization ?? defaultRateLimits.sessionPerOrganization;
  const digest = createHash("sha256").update(organizationId, "utf8").digest("base64url");
  const key = `${deps.config.REDIS_PREFIX}:session-org:${digest}`;
  const [[, n]] = (await deps.redis.multi().incr(key).pexpire(key, 60_000, "NX").exec()) as [
    [Error | null, number],
    [Error | null, number],
  ];
  return n <= max;
}
