import type { Database, Tenant } from "@zb/db";
import type { Redis } from "ioredis";
import type { z } from "zod";
import type { AlertTransport } from "../alerts/deliver.js";
import type { SyncContext, SyncLog } from "../pipelines/context.js";
import type { BlingLane } from "../ports/bling-port.js";
import type { JobProducer } from "../queues/producer.js";
import type { QueueName } from "../queues/queues.js";

/**
 * What a job needs before its handler runs (the worker's one pipeline checks it):
 * - "bling": an active, connected tenant whose Bling day is not spent; the handler gets a
 *   `SyncContext` whose Bling client spends the job's lane of the account budget;
 * - "active-tenant": a tenant that is not paused (uninstalled or by the merchant); no Bling calls;
 * - "nothing": no tenant check at all (maintenance, or a job that only forwards work to others).
 */
export type JobNeeds = "bling" | "active-tenant" | "nothing";

/** What the worker gives every job, whatever its needs. */
export interface JobServices {
  db: Database;
  redis: Redis;
  /** Redis key prefix of this deployment. */
  prefix: string;
  producer: JobProducer;
  log: SyncLog;
  /** Keep-alive refresh for idle Bling connections; secret purge; retention of the tables that grow. */
  maintenance: {
    keepAliveAll(): Promise<void>;
    purgeSecrets(): Promise<void>;
    pruneRetention(): Promise<void>;
  };
  onInitialSyncFinished?(tenantId: string): Promise<void>;
  /** Merchant alerts' way out and the link they carry (issue 18 #1); unset = alerts stay pending. */
  alerts?: { transport: AlertTransport; pageUrl: string };
}

/** One run of one job, as its handler sees it. */
export interface JobRun extends JobServices {
  /** BullMQ job id (step jobs compare it with their own stable id). */
  jobId: string | undefined;
  /** End this run and run the job again in `ms`, without spending an attempt. */
  again(ms: number): never;
}

/** A run of a "bling" job: the tenant the guard read and the context built for the job's lane. */
export interface TenantJobRun extends JobRun {
  tenant: Tenant;
  sync: SyncContext;
  /** The tenant's initial sync has finished once (polls and audits compare against a full catalog). */
  initialSyncDone: boolean;
}

export type JobRunFor<Needs extends JobNeeds> = Needs extends "bling" ? TenantJobRun : JobRun;

/** Thrown by `JobRun.again`; the worker turns it into BullMQ's move-to-delayed. */
export class RunAgainSignal extends Error {
  constructor(readonly delayMs: number) {
    super(`run again in ${Math.round(delayMs)} ms`);
    this.name = "RunAgainSignal";
  }
}

export interface JobSpec<Name extends string, Schema extends z.ZodType, Needs extends JobNeeds> {
  name: Name;
  queue: QueueName;
  /** Which share of the Bling account budget the job's requests spend. */
  lane: BlingLane;
  /** Payload schema: checked when enqueued and again when run (payloads carry ids, never secrets). */
  schema: Schema;
  needs: Needs;
  /** Skip the job (no Bling call) until the tenant's initial sync has finished once. */
  needsInitialSync?: boolean;
  /**
   * "bling" jobs: the worker takes the job's first Bling grant before it runs, so a job whose account has
   * no slot for a while is delayed instead of waiting in a worker slot (default true). False for jobs that
   * usually make no Bling call (the grant would be spent for nothing).
   */
  prepayBudget?: boolean;
  run(payload: z.output<Schema>, job: JobRunFor<Needs>): Promise<unknown>;
  /**
   * The job failed for the last time (no attempt left, or an error never retried): record what the merchant
   * must read. `error` is what the handler threw, `attempts` how many runs it had.
   */
  onGiveUp?(payload: z.output<Schema>, failure: GiveUp, services: JobServices): Promise<void>;
}

/** A job's last failure, as `onGiveUp` receives it. */
export interface GiveUp {
  error: unknown;
  attempts: number;
}

export interface JobDefinition<
  Name extends string = string,
  Schema extends z.ZodType = z.ZodType,
  Needs extends JobNeeds = JobNeeds,
> {
  readonly name: Name;
  readonly queue: QueueName;
  readonly lane: BlingLane;
  readonly schema: Schema;
  readonly needs: Needs;
  readonly needsInitialSync: boolean;
  readonly prepayBudget: boolean;
  /** The tenant a payload belongs to (every tenant job's payload carries `tenantId`). */
  tenantIdOf(payload: z.output<Schema>): string | undefined;
  run(payload: z.output<Schema>, job: JobRunFor<Needs>): Promise<unknown>;
  onGiveUp?(payload: z.output<Schema>, failure: GiveUp, services: JobServices): Promise<void>;
}

function tenantIdOf(payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null || !("tenantId" in payload)) return undefined;
  return typeof payload.tenantId === "string" ? payload.tenantId : undefined;
}

/** Declare one job: its queue, lane, payload schema, what it needs before it runs, and its handler. */
export function defineJob<const Name extends string, Schema extends z.ZodType, const Needs extends JobNeeds>(
  spec: JobSpec<Name, Schema, Needs>,
): JobDefinition<Name, Schema, Needs> {
  return {
    name: spec.name,
    queue: spec.queue,
    lane: spec.lane,
    schema: spec.schema,
    needs: spec.needs,
    needsInitialSync: spec.needsInitialSync ?? false,
    prepayBudget: spec.prepayBudget ?? spec.needs === "bling",
    tenantIdOf,
    run: spec.run,
    ...(spec.onGiveUp ? { onGiveUp: spec.onGiveUp } : {}),
  };
}
