import { Readable } from "node:stream";
import {
  type activitySchema,
  type connectionSchema,
  type DisconnectResponse,
  type EnqueuedResponse,
  type GuardReleaseResponse,
  guardKinds,
  type healthResponseSchema,
  type ledgerPageResponseSchema,
  ledgerQuerySchema,
  type PageStateResponse,
  type PauseResponse,
  type PurgeDataResponse,
  priceHoldRequestSchema,
  type progressSchema,
  purgeDataRequestSchema,
  type RetryFailedResponse,
  resyncItemRequestSchema,
  type SettingsPreviewResponse,
  type settingsOptionsResponseSchema,
  type settingsSchema,
} from "@zb/contract";
import { readTenantSettings, syncEntitySchema } from "@zb/sync";
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../deps.js";
import { BODY_LIMITS } from "../http/limits.js";
import { sendError } from "../http/pages.js";
import { reissueSession, requireTenant, tenantOf } from "../http/tenant-auth.js";
import { disconnectBling } from "../use-cases/bling-connection.js";
import { ledgerCsv } from "../use-cases/ledger-csv.js";
import { pageStateView } from "../use-cases/page-state.js";
import { purgeMyData } from "../use-cases/purge-data.js";
import { repos } from "../use-cases/repos.js";
import {
  decidePriceHoldEntry,
  refreshReadiness,
  releaseHeldPass,
  resyncEntity,
  resyncItem,
  retryAllFailed,
  retryLedgerEntry,
  retryStoppedStep,
  saveSettings,
  setMerchantPause,
} from "../use-cases/settings-actions.js";
import { optionsView } from "../use-cases/settings-options.js";
import { previewSettings } from "../use-cases/settings-preview.js";
import {
  activityView,
  connectionView,
  healthView,
  ledgerItem,
  progressView,
  readinessView,
} from "../use-cases/settings-views.js";
import { alertRoutes } from "./alerts.js";

/**
 * What a handler hands Fastify to serialize, typed by the page's contract (@zb/contract): the schema's input
 * side, so a `Date` is fine where the wire carries an ISO string.
 */
type Answer<S extends z.ZodType> = Promise<z.input<S>>;

const enqueued: EnqueuedResponse = { status: "enqueued" };

const yes = (v: string | undefined) => v === "true" || v === "1";

function ledgerFilters(tenantId: string, q: z.infer<typeof ledgerQuerySchema>) {
  return {
    tenantId,
    entity: q.entity,
    outcome: q.outcome,
    search: q.search,
    onlyOpen: yes(q.onlyOpen),
    resolved: yes(q.resolved),
    since: q.since ? new Date(q.since) : undefined,
  };
}

const ledgerId = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/**
 * The settings page's API. Every route here sits behind `requireTenant` (one encapsulated scope, so a new
 * route cannot forget it) and reads or writes only `request.tenant`'s rows.
 */
export async function settingsRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.decorateRequest("tenant", null);
  app.decorateRequest("tenantSession", null);
  app.addHook("onRequest", requireTenant(deps));
  const json = { bodyLimit: BODY_LIMITS.json };
  alertRoutes(app, deps);

  app.get(
    "/api/settings/connection",
    async (req): Answer<typeof connectionSchema> => connectionView(deps, tenantOf(req)),
  );

  app.post("/api/settings/bling/disconnect", json, async (req): Promise<DisconnectResponse> => {
    const r = await disconnectBling(deps, tenantOf(req).id);
    const session = r.wasConnected ? await reissueSession(deps, req) : undefined;
    return {
      ...r,
      ...(session ? { session } : {}),
      message: r.wasConnected
        ? r.revokedAtBling
          ? "Bling desconectado. O acesso foi revogado no Bling."
          : "Bling desconectado aqui. Não conseguimos confirmar a revogação no Bling; revise os apps autorizados na sua conta Bling."
        : "O Bling já estava desconectado.",
    };
  });

  app.get(
    "/api/settings/state",
    async (req): Promise<PageStateResponse> => pageStateView(deps, tenantOf(req)),
  );

  app.post("/api/settings/guards/:guard/release", json, async (req, reply) => {
    const g = z.enum(guardKinds).safeParse((req.params as { guard?: string }).guard);
    if (!g.success) return sendError(reply, 404, "not_found", "Retenção desconhecida.");
    const r: GuardReleaseResponse = await releaseHeldPass(deps, tenantOf(req), g.data);
    return reply.code(r.released ? 200 : 409).send(r);
  });

  app.get(
    "/api/settings/health",
    async (req): Answer<typeof healthResponseSchema> => healthView(deps, tenantOf(req)),
  );

  app.get("/api/settings/readiness", async (req, reply) => {
    const report = await readinessView(deps, tenantOf(req).id);
    if (!report) {
      return sendError(
        reply,
        404,
        "readiness_not_available",
        "O relatório de prontidão ainda não foi gerado. Ele aparece logo após a conexão com o Bling.",
      );
    }
    return report;
  });

  app.post("/api/settings/readiness/refresh", json, async (req, reply) => {
    const r = await refreshReadiness(deps, tenantOf(req));
    if (r === "not_active") {
      return sendError(reply, 409, "not_active", "Conecte o Bling antes de verificar a prontidão.");
    }
    return reply.code(202).send(enqueued);
  });

  app.get(
    "/api/settings/progress",
    async (req): Answer<typeof progressSchema> => progressView(deps, tenantOf(req)),
  );

  app.get(
    "/api/settings/activity",
    async (req): Answer<typeof activitySchema> => activityView(deps, tenantOf(req)),
  );

  app.get(
    "/api/settings",
    async (req): Answer<typeof settingsSchema> => readTenantSettings(tenantOf(req).settings),
  );

  app.get(
    "/api/settings/options",
    async (req): Answer<typeof settingsOptionsResponseSchema> => optionsView(deps, tenantOf(req)),
  );

  app.put(
    "/api/settings",
    json,
    async (req, reply): Promise<z.input<typeof settingsSchema> | FastifyReply> => {
      const r = await saveSettings(deps, tenantOf(req), req.body);
      if (!r.ok) return reply.code(400).send({ errors: r.errors });
      return r.settings;
    },
  );

  app.post(
    "/api/settings/preview",
    json,
    async (req, reply): Promise<SettingsPreviewResponse | FastifyReply> => {
      const r = await previewSettings(deps, tenantOf(req), req.body);
      if ("errors" in r) return reply.code(400).send({ errors: r.errors });
      return r;
    },
  );

  app.get(
    "/api/settings/ledger",
    async (req, reply): Promise<z.input<typeof ledgerPageResponseSchema> | FastifyReply> => {
      const q = ledgerQuerySchema.safeParse(req.query);
      if (!q.success) return sendError(reply, 400, "bad_request", "Filtros do histórico inválidos.");
      const r = await repos(deps).ledger.list({
        ...ledgerFilters(tenantOf(req).id, q.data),
        page: q.data.page,
        pageSize: q.data.pageSize,
      });
      return { items: r.items.map(ledgerItem), total: r.total, page: r.page, pageSize: r.pageSize };
    },
  );

  // Histórico as CSV (same filters as the list; ledger-csv.ts): streamed page by page.
  app.get("/api/settings/ledger/export.csv", async (req, reply) => {
    const q = ledgerQuerySchema.safeParse(req.query);
    if (!q.success) return sendError(reply, 400, "bad_request", "Filtros do histórico inválidos.");
    const ledger = repos(deps).ledger;
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="historico-${day}.csv"`)
      .header("cache-control", "no-store")
      .send(Readable.from(ledgerCsv((lq) => ledger.list(lq), ledgerFilters(tenantOf(req).id, q.data))));
  });

  app.post(
    "/api/settings/ledger/retry-failed",
    json,
    async (req): Promise<RetryFailedResponse> => retryAllFailed(deps, tenantOf(req).id),
  );

  app.post("/api/settings/ledger/:id/retry", json, async (req, reply) => {
    const p = ledgerId.safeParse(req.params);
    if (!p.success) return sendError(reply, 404, "not_found", "Registro não encontrado.");
    const r = await retryLedgerEntry(deps, tenantOf(req).id, p.data.id);
    if (r === "not_found") return sendError(reply, 404, "not_found", "Registro não encontrado.");
    if (r === "not_failed") return sendError(reply, 409, "not_failed", "Este registro não está com falha.");
    return reply.code(202).send(enqueued);
  });

  app.post("/api/settings/ledger/:id/price-hold", json, async (req, reply) => {
    const p = ledgerId.safeParse(req.params);
    if (!p.success) return sendError(reply, 404, "not_found", "Registro não encontrado.");
    // The record is looked up before the body is read: another tenant's id is a 404 whatever is sent.
    const body = priceHoldRequestSchema.safeParse(req.body);
    const r = await decidePriceHoldEntry(deps, tenantOf(req).id, p.data.id, body.data?.decision);
    if (r === "not_found") return sendError(reply, 404, "not_found", "Registro não encontrado.");
    if (r === "bad_request")
      return sendError(reply, 400, "bad_request", "Escolha aplicar ou descartar o novo preço.");
    if (r === "not_held")
      return sendError(reply, 409, "not_held", "Este preço não está mais retido: atualize o histórico.");
    return reply.code(202).send(enqueued);
  });

  app.post("/api/settings/resync-item", json, async (req, reply) => {
    const body = resyncItemRequestSchema.safeParse(req.body);
    if (!body.success)
      return sendError(reply, 400, "bad_request", body.error.issues[0]?.message ?? "Item inválido.");
    const r = await resyncItem(deps, tenantOf(req), body.data);
    if (r.kind === "not_active")
      return sendError(reply, 409, "not_active", "Conecte o Bling antes de sincronizar.");
    if (r.kind === "paused")
      return sendError(reply, 409, "paused", "A integração está pausada. Retome para sincronizar.");
    return reply.code(202).send({ status: "enqueued", requestedAt: r.requestedAt });
  });

  app.post("/api/settings/resync/:entity", json, async (req, reply) => {
    const e = syncEntitySchema.safeParse((req.params as { entity?: string }).entity);
    if (!e.success) return sendError(reply, 400, "bad_request", "Entidade desconhecida.");
    const r = await resyncEntity(deps, tenantOf(req), e.data);
    if (r === "not_active") {
      return sendError(reply, 409, "not_active", "Conecte o Bling antes de sincronizar.");
    }
    return reply.code(202).send(enqueued);
  });

  // "Tentar de novo" on a step that stopped: its pass continues from where it stopped.
  app.post("/api/settings/resync/:entity/retry", json, async (req, reply) => {
    const e = syncEntitySchema.safeParse((req.params as { entity?: string }).entity);
    if (!e.success) return sendError(reply, 400, "bad_request", "Entidade desconhecida.");
    const r = await retryStoppedStep(deps, tenantOf(req), e.data);
    if (r === "not_active")
      return sendError(reply, 409, "not_active", "Conecte o Bling antes de sincronizar.");
    if (r === "not_stopped")
      return sendError(
        reply,
        409,
        "not_stopped",
        "Esta etapa não está parada: atualize a página para ver o andamento.",
      );
    return reply.code(202).send(enqueued);
  });

  // "Excluir meus dados" (issue 17 #7): the body must carry the typed confirmation word.
  app.post("/api/settings/data/purge", json, async (req, reply) => {
    if (!purgeDataRequestSchema.safeParse(req.body).success)
      return sendError(
        reply,
        400,
        "confirmation_required",
        "Digite EXCLUIR para confirmar a exclusão dos dados.",
      );
    const purged = await purgeMyData(deps, tenantOf(req).id);
    const session = await reissueSession(deps, req);
    const answer: PurgeDataResponse = { ...purged, ...(session ? { session } : {}) };
    return answer;
  });

  app.post("/api/settings/pause", json, async (req): Promise<PauseResponse> => {
    await setMerchantPause(deps, tenantOf(req), true);
    return { paused: true };
  });

  app.post("/api/settings/resume", json, async (req): Promise<PauseResponse> => {
    const r = await setMerchantPause(deps, tenantOf(req), false);
    return { paused: false, catchUp: r.ok ? r.catchUp : "none" };
  });
}
