import type { Logger } from "@zb/config";
import {
  CursorsRepository,
  type Database,
  LedgerRepository,
  type Tenant,
  TenantsRepository,
  WebhookInboxRepository,
} from "@zb/db";
import {
  advanceNfe,
  auditDrift,
  type BlingLane,
  buildReadinessReport,
  customersPipeline,
  type EntityPipeline,
  exportOrder,
  guardTenant,
  InitialSyncOrchestrator,
  type JobName,
  type JobProducer,
  mirrorOrderStatus,
  type NfeStepResult,
  nfeJobId,
  parseJob,
  paymentMethodsPipeline,
  pollNewZydonOrders,
  pollProductChanges,
  pollProductsCursor,
  pricesPipeline,
  productsPipeline,
  reconcileStock,
  refreshStock,
  type SyncContext,
  type SyncEntity,
  safeJobId,
  schedulerIntervals,
  stockPipeline,
  syncCustomer,
  syncProduct,
  syncProductImages,
  type TenantSettings,
} from "@zb/sync";
import { DelayedError, type Job, type Processor, UnrecoverableError } from "bullmq";
import type { Redis } from "ioredis";
import { dispatchBlingWebhook, dispatchZydonOrderWebhook } from "./webhook-dispatch.js";

export interface WorkerDeps {
  db: Database;
  redis: Redis;
  producer: JobProducer;
  prefix: string;
  log: Logger;
  /** A tenant-bound context: Bling client with the per-account budget for `lane`, Zydon client, settings. */
  contextFor(tenant: Tenant, settings: TenantSettings, lane: BlingLane): Promise<SyncContext>;
  /** Keep-alive refresh for idle Bling connections; secret purge. */
  maintenance: { keepAliveAll(): Promise<void>; purgeSecrets(): Promise<void> };
  onInitialSyncFinished?(tenantId: string): Promise<void>;
}

const pipelines: Record<SyncEntity, EntityPipeline<SyncContext>> = {
  payment_methods: paymentMethodsPipeline,
  products: productsPipeline,
  stock: stockPipeline,
  prices: pricesPipeline,
  customers: customersPipeline,
};

const laneOf: Record<JobName, BlingLane> = {
  "export-order": "orders",
  "nfe-step": "orders",
  "order-status": "status",
  "zydon-order-webhook": "orders",
  "refresh-stock": "stock_price",
  "reconcile-stock": "stock_price",
  "drift-audit": "catalog",
  "bling-webhook": "stock_price",
  // A product webhook is a merchant edit (usually a price): served ahead of catalog polling and syncs.
  "refresh-product": "stock_price",
  "product-images": "catalog",
  "poll-changes": "catalog",
  "initial-sync-step": "catalog",
  "initial-sync-start": "catalog",
  "retry-ledger": "catalog",
  "token-keepalive": "catalog",
  "purge-secrets": "catalog",
};

/** Wait without failing: move the job back to delayed, no attempt burned (BullMQ step-job pattern). */
async function delay(job: Job, token: string | undefined, ms: number): Promise<never> {
  await job.moveToDelayed(Date.now() + Math.max(250, ms), token);
  throw new DelayedError();
}

/**
 * Errors say what to do through their `action`: wait (rate limit, budget) → delay the job; reconnect →
 * stop quietly (the page shows "Reconectar"); give_up → fail without retries; anything else → BullMQ retry.
 */
async function mapError(
  err: unknown,
  job: Job,
  token: string | undefined,
  deps: WorkerDeps,
  tenantId?: string,
): Promise<never> {
  const e = err as { action?: string; retryAfterMs?: number; period?: string; retryAt?: Date; name?: string };
  if (err instanceof DelayedError) throw err;
  if (e?.action === "wait") {
    if (e.period === "day" && tenantId) {
      const until = e.retryAt ?? nextSaoPauloMidnight(new Date());
      await new TenantsRepository(deps.db).setBlingPausedUntil(tenantId, until);
      deps.log.warn(
        { tenantId, until },
        "Bling daily limit reached: tenant's Bling work paused until tomorrow",
      );
      return delay(job, token, until.getTime() - Date.now());
    }
    return delay(job, token, e.retryAfterMs ?? 1_000);
  }
  if (e?.action === "reconnect") {
    deps.log.warn({ tenantId, job: job.name, err: e.name }, "tenant needs to reconnect: job stopped");
    throw new UnrecoverableError(`reconnect required (${e.name ?? "auth"})`);
  }
  if (e?.action === "give_up") throw new UnrecoverableError((err as Error).message);
  throw err;
}

export function nextSaoPauloMidnight(now: Date): Date {
  // São Paulo is UTC-3 all year (no DST since 2019): midnight there is 03:00 UTC.
  const d = new Date(now.getTime());
  d.setUTCHours(3, 0, 0, 0);
  if (d.getTime() <= now.getTime()) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

export function createProcessor(deps: WorkerDeps): Processor {
  const tenants = new TenantsRepository(deps.db);
  const orchestrator = new InitialSyncOrchestrator(deps.db, deps.producer);

  async function withTenant<T>(
    job: Job,
    token: string | undefined,
    tenantId: string,
    fn: (ctx: SyncContext) => Promise<T>,
  ): Promise<T | undefined> {
    const g = await guardTenant(tenants, tenantId, { needsBling: true });
    if (!g.run) {
      if (g.reason === "bling_daily_limit") return delay(job, token, g.until.getTime() - Date.now());
      deps.log.info({ tenantId, job: job.name, reason: g.reason }, "job skipped: tenant not active");
      return undefined;
    }
    const ctx = await deps.contextFor(g.tenant, g.settings, laneOf[job.name as JobName] ?? "catalog");
    try {
      return await fn(ctx);
    } catch (err) {
      return mapError(err, job, token, deps, tenantId);
    }
  }

  /** Poll a transmitted NF-e: this job if it is the cycle's poller, else make sure that poller exists. */
  async function pollNfe(
    job: Job,
    token: string | undefined,
    tenantId: string,
    zydonOrderId: string,
    r: Extract<NfeStepResult, { kind: "waiting" }>,
  ): Promise<NfeStepResult> {
    const pollerId = nfeJobId(tenantId, zydonOrderId, r.cycle);
    if (job.id === pollerId) return delay(job, token, r.pollInMs);
    await deps.producer.enqueue(
      "nfe-step",
      { tenantId, zydonOrderId },
      { jobId: pollerId, delay: r.pollInMs },
    );
    return r;
  }

  return async (job, token) => {
    const name = job.name as JobName;
    switch (name) {
      case "initial-sync-start": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          await buildReadinessReport(ctx).catch((err) =>
            deps.log.warn({ err: (err as Error).message }, "readiness report failed"),
          );
          // The polling fallback starts from here: the sync itself reads everything older, so the first poll
          // after it must not re-read every product edited in the minutes before (its default window).
          const cursors = new CursorsRepository(deps.db);
          if (!(await cursors.get(p.tenantId, "poll:products", pollProductsCursor).catch(() => undefined)))
            await cursors.set(p.tenantId, "poll:products", { productsSince: new Date().toISOString() });
          await orchestrator.start(p.tenantId, p.entities);
        });
      }
      case "initial-sync-step": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          const r = await orchestrator.step(p.tenantId, p, pipelines[p.entity], ctx);
          if (r === "finished") await deps.onInitialSyncFinished?.(p.tenantId);
          return r;
        });
      }
      case "refresh-product": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, (ctx) => syncProduct(ctx, p.blingProductId));
      }
      case "product-images": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, (ctx) => syncProductImages(ctx, p.blingProductId));
      }
      case "refresh-stock": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          const key = `${deps.prefix}:dirty-stock:${p.tenantId}`;
          const more = (await deps.redis.spop(key, ctx.bling.maxBalanceBatch)) ?? [];
          const written = await refreshStock(ctx, [...p.blingProductIds, ...more]);
          if ((await deps.redis.scard(key)) > 0) {
            await deps.producer.enqueue("refresh-stock", {
              tenantId: p.tenantId,
              blingProductIds: p.blingProductIds,
            });
          }
          return written;
        });
      }
      case "order-status": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, (ctx) => mirrorOrderStatus(ctx, p.blingOrderId));
      }
      case "export-order": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, (ctx) => exportOrder(ctx, p.zydonOrderId));
      }
      case "poll-changes": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          for (const orderId of await pollNewZydonOrders(ctx)) {
            await deps.producer.enqueue(
              "export-order",
              { tenantId: p.tenantId, zydonOrderId: orderId },
              { jobId: safeJobId("export", p.tenantId, orderId) },
            );
          }
          const t = await tenants.findById(p.tenantId);
          if (!t?.initialSyncDoneAt) return undefined;
          return pollProductChanges(ctx);
        });
      }
      case "reconcile-stock": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          const t = await tenants.findById(p.tenantId);
          if (!t?.initialSyncDoneAt) return undefined;
          return reconcileStock(ctx, { intervalMs: schedulerIntervals.reconcileStockMs });
        });
      }
      case "drift-audit": {
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          const t = await tenants.findById(p.tenantId);
          if (!t?.initialSyncDoneAt) return undefined;
          return auditDrift(ctx);
        });
      }
      case "bling-webhook": {
        const p = parseJob(name, job.data);
        const inbox = new WebhookInboxRepository(deps.db);
        const row = await inbox.get(p.inboxId);
        if (!row || row.processedAt) return undefined;
        const g = await guardTenant(tenants, p.tenantId, { needsBling: false });
        if (!g.run) return undefined;
        await dispatchBlingWebhook(deps, p.tenantId, row);
        await inbox.markProcessed(row.id);
        return undefined;
      }
      case "zydon-order-webhook": {
        const p = parseJob(name, job.data);
        const inbox = new WebhookInboxRepository(deps.db);
        const row = await inbox.get(p.inboxId);
        if (!row || row.processedAt) return undefined;
        await dispatchZydonOrderWebhook(deps, p.tenantId, row);
        await inbox.markProcessed(row.id);
        return undefined;
      }
      case "retry-ledger": {
        const p = parseJob(name, job.data);
        const entry = await new LedgerRepository(deps.db).get(p.tenantId, p.ledgerId);
        if (!entry) return undefined;
        const details = (entry.details ?? {}) as Record<string, unknown>;
        return withTenant(job, token, p.tenantId, async (ctx) => {
          if (entry.entity === "order") return exportOrder(ctx, entry.entityKey);
          if (entry.entity === "nfe") {
            const r = await advanceNfe(ctx, entry.entityKey, { retry: true });
            return r.kind === "waiting" ? pollNfe(job, token, p.tenantId, entry.entityKey, r) : r;
          }
          if (entry.entity === "order_status" && typeof details.blingOrderId === "string")
            return mirrorOrderStatus(ctx, details.blingOrderId);
          if (entry.entity === "image" && typeof details.blingId === "string")
            return syncProductImages(ctx, details.blingId);
          if (entry.entity === "stock" && typeof details.blingId === "string")
            return refreshStock(ctx, [details.blingId]);
          if (entry.entity === "product" && typeof details.blingId === "string")
            return syncProduct(ctx, details.blingId);
          if (entry.entity === "customer" && typeof details.blingId === "string") {
            const c = await ctx.bling.getContact(details.blingId);
            if (c) return syncCustomer(ctx, c);
          }
          deps.log.info(
            { tenantId: p.tenantId, ledgerId: p.ledgerId, entity: entry.entity },
            "nothing to retry for this entry",
          );
          return undefined;
        });
      }
      case "token-keepalive":
        return deps.maintenance.keepAliveAll();
      case "purge-secrets":
        return deps.maintenance.purgeSecrets();
      case "nfe-step": {
        // NF-e of one approved order (issue 10): advance it; while SEFAZ has not answered, the poller of
        // this transmission (job id per cycle) delays itself, the webhook makes it finish sooner.
        const p = parseJob(name, job.data);
        return withTenant(job, token, p.tenantId, async (ctx) => {
          const r = await advanceNfe(ctx, p.zydonOrderId);
          return r.kind === "waiting" ? pollNfe(job, token, p.tenantId, p.zydonOrderId, r) : r;
        });
      }
      default:
        throw new UnrecoverableError(`unknown job ${job.name}`);
    }
  };
}

export { safeJobId };
