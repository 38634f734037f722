import { createHash } from "node:crypto";
import { type BlingWebhookEvent, BlingWebhookPayloadError, parseBlingWebhook } from "@zb/bling";
import type { OAuthProvider, Tenant } from "@zb/db";
import {
  type BlingInboxPayload,
  blingInboxPayload,
  safeJobId,
  ZYDON_ORDER_UPDATED_EVENT,
  type ZydonOrderInboxPayload,
  type ZydonOrderUpdateInboxPayload,
  zydonOrderInboxPayload,
  zydonOrderUpdateInboxPayload,
} from "@zb/sync";
import type { AppDeps } from "../deps.js";
import { stripNul } from "../http/nul.js";
import { repos } from "./repos.js";

type Deps = Pick<AppDeps, "db" | "secretBox" | "producer" | "logger" | "bling" | "zydon">;

export type IngestResult =
  | { status: 401; reason: string }
  | { status: 400; reason: string }
  | {
      status: 200;
      outcome: "accepted" | "duplicate" | "stored_paused" | "unknown_tenant" | "ignored_uninstalled";
    };

/**
 * An uninstalled tenant's deliveries are answered 200 (a refusal would be retried for days) but not stored
 * (issue 21 #6: its inbox would grow forever); a reinstall catches up through the changes poll.
 */
function ignoredUninstalled(
  deps: Deps,
  provider: OAuthProvider,
  tenant: { id: string; uninstalledAt: Date | null } | undefined,
): IngestResult | undefined {
  if (!tenant?.uninstalledAt) return undefined;
  deps.logger.info(
    { tenantId: tenant.id, provider },
    "webhook for an uninstalled tenant answered, not stored",
  );
  return { status: 200, outcome: "ignored_uninstalled" };
}

/**
 * One inbox row per provider event; the job id is derived from the row, so a redelivery can re-enqueue a
 * job that an earlier attempt failed to enqueue (Redis blip) without ever creating a second one.
 */
async function storeAndEnqueue(
  deps: Deps,
  input: {
    provider: OAuthProvider;
    eventId: string;
    tenantId: string;
    tenantActive: boolean;
    eventType: string;
    payload: BlingInboxPayload | ZydonOrderInboxPayload | ZydonOrderUpdateInboxPayload;
    occurredAt: Date | null;
    job: "bling-webhook" | "zydon-order-webhook";
  },
): Promise<"accepted" | "duplicate" | "stored_paused"> {
  const { inbox } = repos(deps);
  let inboxId = await inbox.insertOnce({
    provider: input.provider,
    eventId: input.eventId,
    tenantId: input.tenantId,
    eventType: input.eventType,
    payload: input.payload,
    occurredAt: input.occurredAt,
  });
  const duplicate = inboxId === undefined;
  if (duplicate) {
    const row = await inbox.findByEvent(input.provider, input.tenantId, input.eventId);
    if (!row || row.processedAt) return "duplicate";
    inboxId = row.id;
  }
  if (!input.tenantActive) return duplicate ? "duplicate" : "stored_paused";
  await deps.producer.enqueue(
    input.job,
    { tenantId: input.tenantId, inboxId: inboxId as number },
    { jobId: safeJobId(input.job, inboxId as number) },
  );
  return duplicate ? "duplicate" : "accepted";
}

export async function ingestBlingWebhook(
  deps: Deps,
  input: { rawBody: Buffer; signature: string | undefined },
): Promise<IngestResult> {
  if (!deps.bling.verifyWebhookSignature(input.rawBody, input.signature)) {
    return { status: 401, reason: "invalid signature" };
  }
  let json: unknown;
  try {
    // Verified already: cleaning NULs (Postgres cannot store them) no longer touches what was signed.
    json = stripNul(JSON.parse(input.rawBody.toString("utf8")));
  } catch {
    return { status: 400, reason: "body is not valid JSON" };
  }
  let env: BlingWebhookEvent;
  try {
    // The shared parser (also the worker's): known events must carry their ids; unknown events pass.
    env = parseBlingWebhook(json);
  } catch (err) {
    if (err instanceof BlingWebhookPayloadError)
      return { status: 400, reason: err.issues.slice(0, 5).join("; ") };
    throw err;
  }
  const eventName = env.kind === "unknown" ? env.event : env.kind;
  const { credentials, tenants } = repos(deps);
  const tenantId = await credentials.findTenantIdByBlingCompany(env.companyId);
  if (!tenantId) {
    deps.logger.info(
      { blingCompanyId: env.companyId, event: eventName },
      "Bling webhook for an unknown company ignored",
    );
    return { status: 200, outcome: "unknown_tenant" };
  }
  const tenant = await tenants.findById(tenantId);
  const ignored = ignoredUninstalled(deps, "bling", tenant);
  if (ignored) return ignored;
  const outcome = await storeAndEnqueue(deps, {
    provider: "bling",
    eventId: env.eventId,
    tenantId,
    tenantActive: tenant?.state === "active",
    eventType: eventName,
    // The parsed delivery (ids checked, event name normalised); the worker reads it with the same schema.
    payload: blingInboxPayload(env),
    occurredAt: env.date,
    job: "bling-webhook",
  });
  return { status: 200, outcome };
}

/** Reasons from the Zydon adapter that mean "not from Zydon" (401) rather than "from Zydon but unusable". */
const ZYDON_AUTH_REASONS = new Set([
  "missing signature headers",
  "bad timestamp",
  "timestamp outside tolerance",
  "signature mismatch",
  // The declared header secret (zydon-api.md §2.4; contract webhookAuth).
  "missing webhook secret header",
  "webhook secret mismatch",
  "no webhook secret configured",
]);

/**
 * What both Zydon webhooks share: the adapter's check as an answer (401 not from Zydon, 400 unusable), the
 * organization's tenant (200 and ignored when unknown) and the uninstalled guard.
 */
async function zydonWebhookTenant<V extends { ok: true; organizationId: string }>(
  deps: Deps,
  checked: V | { ok: false; reason: string },
  what: string,
): Promise<{ done: IngestResult } | { v: V; tenant: Tenant }> {
  if (!checked.ok)
    return {
      done: ZYDON_AUTH_REASONS.has(checked.reason)
        ? { status: 401, reason: checked.reason }
        : { status: 400, reason: checked.reason },
    };
  const v = stripNul(checked);
  const tenant = await repos(deps).tenants.findByOrganization(v.organizationId);
  if (!tenant) {
    deps.logger.info({ organizationId: v.organizationId }, `${what} for an unknown organization ignored`);
    return { done: { status: 200, outcome: "unknown_tenant" } };
  }
  const ignored = ignoredUninstalled(deps, "zydon", tenant);
  if (ignored) return { done: ignored };
  return { v, tenant };
}

export async function ingestZydonOrderWebhook(
  deps: Deps,
  input: { rawBody: Buffer; headers: Record<string, string | string[] | undefined> },
): Promise<IngestResult> {
  const rawBody = input.rawBody.toString("utf8");
  const accepted = await zydonWebhookTenant(
    deps,
    deps.zydon.verifyOrderWebhook({ rawBody, headers: input.headers }),
    "Zydon order webhook",
  );
  if ("done" in accepted) return accepted.done;
  const { v, tenant } = accepted;
  const outcome = await storeAndEnqueue(deps, {
    provider: "zydon",
    // Keyed by order id: Zydon's redeliveries and duplicates of one order collapse into one row.
    eventId: `order:${v.orderId}`,
    tenantId: tenant.id,
    tenantActive: tenant.state === "active",
    eventType: "order.created",
    payload: zydonOrderInboxPayload(v),
    occurredAt: null,
    job: "zydon-order-webhook",
  });
  return { status: 200, outcome };
}

/**
 * The order-update webhook (zydon-api.md §9 [ZS-233]; contract guessed in the Zydon adapter): verified like the
 * order webhook, stored, and handed to the same inbox job, which tells the two apart by the row's event type.
 * Each change is its own row: the key is the order and the delivery's bytes, so a redelivery of the same body
 * collapses while a later change of the same order (another body) is a new row.
 */
export async function ingestZydonOrderUpdateWebhook(
  deps: Deps,
  input: { rawBody: Buffer; headers: Record<string, string | string[] | undefined> },
): Promise<IngestResult> {
  const rawBody = input.rawBody.toString("utf8");
  const accepted = await zydonWebhookTenant(
    deps,
    deps.zydon.verifyOrderUpdateWebhook({ rawBody, headers: input.headers }),
    "Zydon order-update webhook",
  );
  if ("done" in accepted) return accepted.done;
  const { v, tenant } = accepted;
  const digest = createHash("sha256").update(input.rawBody).digest("hex").slice(0, 32);
  const outcome = await storeAndEnqueue(deps, {
    provider: "zydon",
    eventId: `order-update:${v.orderId}:${digest}`,
    tenantId: tenant.id,
    tenantActive: tenant.state === "active",
    eventType: ZYDON_ORDER_UPDATED_EVENT,
    payload: zydonOrderUpdateInboxPayload(v),
    occurredAt: v.updatedAt && !Number.isNaN(Date.parse(v.updatedAt)) ? new Date(v.updatedAt) : null,
    job: "zydon-order-webhook",
  });
  return { status: 200, outcome };
}

export type NotificationOutcome =
  | { status: 401 | 400; reason: string }
  | { status: 200; event: "install" | "uninstall"; organizationId: string };

/** App Center install/uninstall notification: verified by the Zydon adapter, event must match the route. */
export function verifyNotification(
  deps: Pick<AppDeps, "zydon">,
  input: {
    rawBody: Buffer;
    headers: Record<string, string | string[] | undefined>;
    expected: "install" | "uninstall";
  },
): NotificationOutcome {
  const v = deps.zydon.verifyNotification({
    rawBody: input.rawBody.toString("utf8"),
    headers: input.headers,
  });
  if (!v.ok)
    return ZYDON_AUTH_REASONS.has(v.reason)
      ? { status: 401, reason: v.reason }
      : { status: 400, reason: v.reason };
  if (v.event !== input.expected)
    return { status: 400, reason: `event ${v.event} sent to the ${input.expected} endpoint` };
  return { status: 200, event: v.event, organizationId: v.organizationId };
}
