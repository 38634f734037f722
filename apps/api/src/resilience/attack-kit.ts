import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { verifySession } from "../session/session-token.js";
import type { Harness } from "../test-support/harness.js";

/**
 * Every response the suite gets from the API (status line, headers, body), captured by wrapping
 * `api.inject` — the harness's own helpers (install, session, connectBling) go through it too.
 */
export function recordResponses(h: Harness): string[] {
  const seen: string[] = [];
  const original = h.api.inject.bind(h.api) as (o: InjectOptions | string) => Promise<LightMyRequestResponse>;
  const wrapped = async (opts: InjectOptions | string): Promise<LightMyRequestResponse> => {
    const res = await original(opts);
    seen.push(`${res.statusCode}\n${JSON.stringify(res.headers)}\n${res.body}`);
    return res;
  };
  Reflect.set(h.api, "inject", wrapped);
  return seen;
}

/**
 * Secrets that must never appear in a response: Bling tokens, the Bling client secret, the Zydon plugin key
 * and installation keys, Zydon admin sessions, SECRETS_KEY and SESSION_SECRET. Our own session tokens are
 * left out (handing them to the browser is what `/api/session` and the launch redirect are for); the log
 * scan still looks for them.
 */
export function responseSecrets(h: Harness): string[] {
  const secret = h.deps.config.SESSION_SECRET;
  const ours = (s: string) =>
    verifySession(secret, s, new Date(0), "page").ok || verifySession(secret, s, new Date(0), "launch").ok;
  return h.knownSecrets().filter((s) => !ours(s));
}

/** Which secrets occur in which texts, shortened so the failure message itself leaks nothing. */
export function findSecrets(texts: string[], secrets: string[]): string[] {
  const all = texts.join("\n");
  return secrets.filter((s) => all.includes(s)).map((s) => `${s.slice(0, 4)}… (${s.length} chars)`);
}

/** Log and response scan for one test file; asserts the scan actually had material to look at. */
export function expectNoSecretLeak(h: Harness, responses: string[], extraSecrets: string[] = []): void {
  expect(h.logs.length).toBeGreaterThan(0);
  expect(responses.length).toBeGreaterThan(0);
  const forLogs = [...h.knownSecrets(), ...extraSecrets.filter((s) => s.length >= 8)];
  // The scanner itself works (a planted value is found) and has the fixed secrets to look for.
  expect(findSecrets([`x${forLogs[0]}y`], forLogs)).toHaveLength(1);
  expect(forLogs).toEqual(expect.arrayContaining([h.deps.config.SESSION_SECRET]));
  expect(findSecrets(h.logs, forLogs), "secret in a log line").toEqual([]);
  const forResponses = [...responseSecrets(h), ...extraSecrets.filter((s) => s.length >= 8)];
  expect(findSecrets(responses, forResponses), "secret in a response").toEqual([]);
}

/** Rows and jobs that an attack must leave untouched. */
export async function storedState(h: Harness): Promise<{ inbox: number; jobs: number }> {
  const r = await h.db.sql`select count(*)::int as n from webhook_inbox`;
  return { inbox: r[0]?.n as number, jobs: (await h.jobs()).length };
}

/** A 5xx body or page never shows internals: no stack frames, no error class names, no file paths. */
export function expectNoInternals(body: string): void {
  expect(body).not.toMatch(/\bat [\w.<>]+ \(|node_modules|\.ts:\d+|\.js:\d+|TypeError|ReferenceError|stack/);
}

/**
 * Every row that names the tenant, table by table (tables with a tenant_id column are found in the
 * catalog, not listed by hand, so a new table is covered), its tenants row, and its queued jobs.
 */
export async function tenantRows(h: Harness, tenantId: string) {
  const tables = await h.db.sql`
    select table_name from information_schema.columns
    where table_schema = current_schema() and column_name = 'tenant_id' order by table_name`;
  const rows: Record<string, unknown[]> = {};
  for (const { table_name } of tables) {
    const name = table_name as string;
    rows[name] = [
      ...(await h.db.sql`select * from ${h.db.sql(name)} where tenant_id = ${tenantId} order by 1`),
    ];
  }
  rows.tenants = [...(await h.db.sql`select * from tenants where id = ${tenantId}`)];
  const jobs = (await h.jobs({ tenantId })).map((j) => `${j.name} ${JSON.stringify(j.data)}`).sort();
  return { rows, jobs };
}
