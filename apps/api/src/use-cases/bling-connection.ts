import { createHash, randomBytes } from "node:crypto";
import { BlingInvalidGrantError, revokeTokenPair } from "@zb/bling";
import { CompanyAlreadyBoundError } from "@zb/db";
import { z } from "zod";
import { type AppDeps, type ConnectLimits, defaultConnectLimits } from "../deps.js";
import { repos } from "./repos.js";
import { type CatchUp, queueCatchUp } from "./tenant-lifecycle.js";

type Deps = Pick<
  AppDeps,
  | "db"
  | "secretBox"
  | "producer"
  | "hooks"
  | "config"
  | "logger"
  | "now"
  | "bling"
  | "redis"
  | "connectLimits"
>;

/** A state lives long enough for a Bling login with a password manager, not longer. */
export const BLING_STATE_TTL_MS = 10 * 60_000;

/** Live Bling states one tenant keeps (its newest): more open connect windows than that are not needed. */
export const BLING_STATES_PER_TENANT = 5;

/** A connect nonce: from the page's click to its Bling window opening, nothing longer. */
export const BLING_CONNECT_NONCE_TTL_MS = 60_000;

function sha256(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

function nonceKey(deps: Pick<Deps, "config">, nonce: string): string {
  return `${deps.config.REDIS_PREFIX}:bling-connect:nonce:${sha256(nonce)}`;
}

function attemptsKey(deps: Pick<Deps, "config">, tenantId: string): string {
  return `${deps.config.REDIS_PREFIX}:bling-connect:attempts:${tenantId}`;
}

function pendingKey(deps: Pick<Deps, "config">, state: string): string {
  return `${deps.config.REDIS_PREFIX}:bling-connect:pending:${sha256(state)}`;
}

/** The held tokens open only under their own state's key (secret box associated data, issue 21 #11). */
function pendingPlace(state: string) {
  return { table: "redis:bling-connect-pending", column: "pending", rowId: sha256(state) };
}

function limitsOf(deps: Pick<Deps, "connectLimits">): ConnectLimits {
  return { ...defaultConnectLimits, ...deps.connectLimits };
}

/** pt-BR, shown on the page (start) and on the callback page (exchange). */
export const TOO_MANY_CONNECT_ATTEMPTS =
  "Muitas tentativas de conexão com o Bling nos últimos minutos. Aguarde 10 minutos e tente de novo.";

/** Code exchanges this tenant already spent in the current window (a connect start only looks). */
async function attemptsUsed(deps: Deps, tenantId: string): Promise<number> {
  return Number((await deps.redis.get(attemptsKey(deps, tenantId))) ?? 0);
}

/** Count one code exchange for the tenant; false once the tenant is over its cap (nothing is sent to Bling). */
async function spendAttempt(deps: Deps, tenantId: string): Promise<boolean> {
  const { perTenant, windowMs } = limitsOf(deps);
  const key = attemptsKey(deps, tenantId);
  const [[, n]] = (await deps.redis.multi().incr(key).pexpire(key, windowMs, "NX").exec()) as [
    [Error | null, number],
    [Error | null, number],
  ];
  return n <= perTenant;
}

export type NonceResult =
  | { ok: true; nonce: string }
  | { ok: false; reason: "tenant_unavailable" | "too_many_attempts" };

/**
 * The page's "Conectar ao Bling" (a same-origin POST with the session): a single-use nonce, stored hashed
 * for a minute, that the Bling window then opens `GET /bling/connect?nonce=` with. No session in any URL.
 */
export async function issueConnectNonce(deps: Deps, tenantId: string): Promise<NonceResult> {
  const tenant = await repos(deps).tenants.findById(tenantId);
  if (!tenant || tenant.state === "paused") return { ok: false, reason: "tenant_unavailable" };
  if ((await attemptsUsed(deps, tenantId)) >= limitsOf(deps).perTenant) {
    return { ok: false, reason: "too_many_attempts" };
  }
  const nonce = randomBytes(32).toString("base64url");
  await deps.redis.set(nonceKey(deps, nonce), tenantId, "PX", BLING_CONNECT_NONCE_TTL_MS);
  return { ok: true, nonce };
}

/** Spend a nonce (GETDEL: one use, even with two tabs racing) and start the connect for its tenant. */
export async function redeemConnectNonce(
  deps: Deps,
  nonce: string,
): Promise<StartResult | { ok: false; reason: "invalid_nonce" }> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(nonce)) return { ok: false, reason: "invalid_nonce" };
  const tenantId = await deps.redis.getdel(nonceKey(deps, nonce));
  if (!tenantId) return { ok: false, reason: "invalid_nonce" };
  return startBlingConnect(deps, tenantId);
}

export type StartResult =
  | { ok: true; url: string; state: string }
  | { ok: false; reason: "tenant_unavailable" };

/** "Conectar ao Bling": a single-use state bound to the tenant, then Bling's authorize URL. */
export async function startBlingConnect(deps: Deps, tenantId: string): Promise<StartResult> {
  const { tenants, states } = repos(deps);
  const tenant = await tenants.findById(tenantId);
  if (!tenant || tenant.state === "paused") return { ok: false, reason: "tenant_unavailable" };
  // Only the tenant's newest few live states survive (issue 21 #5: bounded growth under a start flood).
  const state = await states.create({
    provider: "bling",
    tenantId,
    ttlMs: BLING_STATE_TTL_MS,
    issuer: `tenant:${tenantId}`,
    maxLivePerIssuer: BLING_STATES_PER_TENANT,
  });
  return { ok: true, url: deps.bling.authorizeUrl(state), state };
}

export type CompleteResult =
  | {
      kind: "connected";
      tenantId: string;
      companyName: string | null;
      catchUp: CatchUp;
    }
  /** Tokens held (sealed, 10 minutes) until the merchant confirms which company goes to which organization. */
  | { kind: "confirm"; companyName: string | null; organizationId: string; organizationName: string | null }
  | { kind: "invalid_state" }
  | { kind: "too_many_attempts" }
  | { kind: "nothing_pending" }
  | { kind: "tenant_unavailable" }
  | { kind: "exchange_failed" }
  /** Bling said invalid_grant: a made-up, expired or already used code (the merchant's side, not Bling's). */
  | { kind: "code_rejected" }
  | { kind: "company_unreadable" }
  | { kind: "company_taken"; companyName: string | null };

const pendingSchema = z.object({
  tenantId: z.string(),
  company: z.object({ id: z.string(), name: z.string().nullable() }),
  tokens: z.object({
    accessToken: z.string(),
    refreshToken: z.string(),
    accessExpiresAt: z.coerce.date(),
    refreshExpiresAt: z.coerce.date(),
    scope: z.string().nullish(),
  }),
});
type Pending = z.infer<typeof pendingSchema>;

/**
 * Bling's callback: the state must be ours, unused, unexpired and bound to a tenant; the tenant under its
 * connect-attempt cap; then code → tokens → company id. Nothing is bound yet: the tokens wait sealed
 * (SecretBox, 10 minutes, keyed by the state's hash) for the merchant to confirm "Conectar a empresa X do
 * Bling à organização Y da Zydon?" (`confirmBlingConnect`), so a connect link someone forwarded cannot feed
 * the clicker's Bling into the sender's organization unseen. A company bound to another tenant is refused
 * here already (and the fresh tokens revoked).
 */
export async function completeBlingConnect(
  deps: Deps,
  input: { state: string; code: string },
): Promise<CompleteResult> {
  const { tenants, states, credentials } = repos(deps);
  const consumed = await states.consume(input.state, "bling");
  if (!consumed?.tenantId) return { kind: "invalid_state" };
  const tenantId = consumed.tenantId;
  const tenant = await tenants.findById(tenantId);
  if (!tenant || tenant.state === "paused") return { kind: "tenant_unavailable" };
  // Each exchange spends one of the deployment's few token calls: a tenant gets a handful per window.
  if (!(await spendAttempt(deps, tenantId))) {
    deps.logger.warn({ tenantId }, "Bling connect attempts over the tenant's cap");
    return { kind: "too_many_attempts" };
  }

  let tokens: Awaited<ReturnType<Deps["bling"]["exchangeCode"]>>;
  try {
    tokens = await deps.bling.exchangeCode(input.code);
  } catch (err) {
    deps.logger.warn({ tenantId, err: errName(err) }, "Bling code exchange failed");
    return err instanceof BlingInvalidGrantError ? { kind: "code_rejected" } : { kind: "exchange_failed" };
  }

  let company: { id: string; name: string | null };
  try {
    company = await deps.bling.companyInfo(tokens.accessToken);
  } catch (err) {
    deps.logger.warn({ tenantId, err: errName(err) }, "Bling company lookup failed");
    await revokeBoth(deps, tenantId, tokens);
    return { kind: "company_unreadable" };
  }
  const owner = await credentials.findTenantIdByBlingCompany(company.id);
  if (owner && owner !== tenantId) {
    deps.logger.warn(
      { tenantId, blingCompanyId: company.id },
      "Bling company already bound to another tenant",
    );
    await revokeBoth(deps, tenantId, tokens);
    return { kind: "company_taken", companyName: company.name };
  }
  const pending: Pending = { tenantId, company, tokens: { ...tokens, scope: tokens.scope ?? null } };
  await deps.redis.set(
    pendingKey(deps, input.state),
    deps.secretBox.encrypt(JSON.stringify(pending), pendingPlace(input.state)),
    "PX",
    BLING_STATE_TTL_MS,
  );
  return {
    kind: "confirm",
    companyName: company.name,
    organizationId: tenant.zydonOrganizationId,
    organizationName: tenant.zydonOrganizationName,
  };
}

/** The pending connection of this state, taken (GETDEL: a confirmation is used once). */
async function takePending(deps: Deps, state: string): Promise<Pending | null> {
  const sealed = await deps.redis.getdel(pendingKey(deps, state));
  if (!sealed) return null;
  const parsed = pendingSchema.safeParse(JSON.parse(deps.secretBox.decrypt(sealed, pendingPlace(state))));
  return parsed.success ? parsed.data : null;
}

/** "Cancelar" on the confirmation: the tokens just issued are revoked, nothing is stored. */
export async function cancelBlingConnect(deps: Deps, state: string): Promise<{ cancelled: boolean }> {
  const pending = await takePending(deps, state);
  if (!pending) return { cancelled: false };
  await revokeBoth(deps, pending.tenantId, pending.tokens);
  deps.logger.info({ tenantId: pending.tenantId }, "Bling connect cancelled by the merchant");
  return { cancelled: true };
}

/**
 * "Confirmar": store the held tokens and bind the company (a company bound to another tenant meanwhile is
 * refused and the tokens revoked) → tenant active → initial sync (or a catch-up when it already ran once).
 */
export async function confirmBlingConnect(
  deps: Deps,
  state: string,
): Promise<Exclude<CompleteResult, { kind: "confirm" }>> {
  const { tenants, credentials } = repos(deps);
  const pending = await takePending(deps, state);
  if (!pending) return { kind: "nothing_pending" };
  const { tenantId, company, tokens } = pending;
  const tenant = await tenants.findById(tenantId);
  if (!tenant || tenant.state === "paused") {
    await revokeBoth(deps, tenantId, tokens);
    return { kind: "tenant_unavailable" };
  }
  const fullTokens = { ...tokens, scope: tokens.scope ?? undefined };
  try {
    await credentials.connectBling(tenantId, {
      blingCompanyId: company.id,
      companyName: company.name,
      tokens: fullTokens,
    });
  } catch (err) {
    if (err instanceof CompanyAlreadyBoundError) {
      deps.logger.warn(
        { tenantId, blingCompanyId: company.id },
        "Bling company already bound to another tenant",
      );
      await revokeBoth(deps, tenantId, tokens);
      return { kind: "company_taken", companyName: company.name };
    }
    throw err;
  }

  if (tenant.state !== "active") await tenants.setState(tenantId, "active");
  const fresh = (await tenants.findById(tenantId)) ?? tenant;
  // First activation: the sync engine runs the readiness check, then the initial sync.
  const catchUp = fresh.initialSyncDoneAt
    ? await queueCatchUp(deps, fresh)
    : await startInitial(deps, tenantId);
  deps.logger.info({ tenantId, blingCompanyId: company.id, catchUp }, "Bling connected");
  return { kind: "connected", tenantId, companyName: company.name, catchUp };
}

async function startInitial(deps: Deps, tenantId: string): Promise<"initial-sync-started"> {
  await deps.producer.enqueue("initial-sync-start", { tenantId });
  return "initial-sync-started";
}

async function revokeBoth(
  deps: Deps,
  tenantId: string,
  tokens: { accessToken: string; refreshToken: string },
): Promise<boolean> {
  const failed = await revokeTokenPair(deps.bling, tokens);
  if (failed.length > 0) {
    deps.logger.warn({ tenantId, failures: failed.map(errName) }, "Bling token revoke failed");
  }
  return failed.length === 0;
}

/**
 * "Desconectar Bling": revoke at Bling (refresh, then access token), forget the tokens locally whatever
 * Bling answered (the merchant asked us to stop), stop the recurring jobs, and end every settings session
 * of the tenant (issue 21 #8: whoever else held one — a leaked or forgotten tab — is out; the page in the
 * App Center mints a new one from the host session on its next call).
 */
export async function disconnectBling(
  deps: Deps,
  tenantId: string,
): Promise<{ wasConnected: boolean; revokedAtBling: boolean }> {
  const { tenants, credentials } = repos(deps);
  const conn = await credentials.getBlingConnection(tenantId);
  if (!conn || conn.status === "disconnected") return { wasConnected: false, revokedAtBling: false };
  const revoked = conn.tokens ? await revokeBoth(deps, tenantId, conn.tokens) : false;
  await credentials.disconnectBling(tenantId);
  await tenants.revokeSessions(tenantId);
  const tenant = await tenants.findById(tenantId);
  if (tenant && tenant.state !== "paused") await tenants.setState(tenantId, "awaiting_bling");
  await deps.hooks.onTenantPaused(tenantId);
  deps.logger.info({ tenantId, revokedAtBling: revoked }, "Bling disconnected");
  return { wasConnected: true, revokedAtBling: revoked };
}

/** Error class name only: messages of outside errors may quote request details. */
function errName(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { status?: unknown }).status;
    return typeof status === "number" ? `${err.name}(${status})` : err.name;
  }
  return "unknown";
}
