import { createLogger } from "@zb/config";
import { type DbHandle, SecretBox } from "@zb/db";
import { JobProducer } from "@zb/sync";
import { testEnv } from "@zb/testing";
import type { Redis } from "ioredis";
import type { AppDeps } from "../deps.js";

function unused(name: string): never {
  throw new Error(`${name} is not available in this test`);
}

/** Deps for tests that exercise no outside system (health, routing): every port throws if touched. */
export function stubDeps(input: { db: DbHandle; redis: Redis; prefix?: string }): AppDeps {
  const env = testEnv();
  const prefix = input.prefix ?? "zbt_stub";
  return {
    config: {
      NODE_ENV: "test",
      PUBLIC_BASE_URL: "http://127.0.0.1:3000",
      SESSION_SECRET: env.SESSION_SECRET as string,
      SECRET_RETENTION_DAYS: 30,
      REDIS_PREFIX: prefix,
      BLING_RATE_SHARE: 2,
    },
    db: input.db,
    redis: input.redis,
    logger: createLogger({ level: "silent" }),
    secretBox: new SecretBox({ id: "k1", keyBase64: env.SECRETS_KEY as string }),
    producer: new JobProducer(input.redis, prefix),
    bling: {
      authorizeUrl: () => unused("bling"),
      exchangeCode: async () => unused("bling"),
      refresh: async () => unused("bling"),
      revoke: async () => unused("bling"),
      companyInfo: async () => unused("bling"),
      verifyWebhookSignature: () => false,
    },
    zydon: {
      authorizeUrl: () => unused("zydon"),
      parseCallback: () => unused("zydon"),
      exchangeCode: async () => unused("zydon"),
      verifyAdminSession: async () => unused("zydon"),
      verifyNotification: () => ({ ok: false, reason: "signature mismatch" }),
      verifyOrderWebhook: () => ({ ok: false, reason: "signature mismatch" }),
      verifyOrderUpdateWebhook: () => ({ ok: false, reason: "signature mismatch" }),
    },
    tokens: { getAccessToken: async () => unused("tokens"), forceRefresh: async () => unused("tokens") },
    choices: {
      blingDeposits: async () => unused("bling"),
      blingStoreExists: async () => unused("bling"),
      zydonChoices: async () => unused("zydon"),
    },
    hooks: { onTenantPaused: async () => {}, onTenantResumed: async () => {} },
  };
}
