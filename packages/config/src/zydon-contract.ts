import { readFileSync } from "node:fs";
import { z } from "zod";
import type { Env } from "./env-schema.js";
import { ConfigError } from "./load-config.js";

/** A path template: starts with `/`, no query, and names each `{param}` the entry needs. */
function pathTemplate(...params: string[]) {
  return z
    .string()
    .regex(/^\/[^\s?#]*$/, "must be a path starting with /")
    .refine((v) => params.every((p) => v.includes(`{${p}}`)), {
      message: params.length ? `must contain ${params.map((p) => `{${p}}`).join(", ")}` : "",
    });
}

/**
 * The Zydon contract entries an operator may correct (`@zb/zydon` contract.ts holds the defaults and what each
 * rests on). Every key is optional; an unknown key is an error, so a typo never silently keeps a default.
 */
export const zydonContractOverridesSchema = z
  .object({
    tokenExchangePath: pathTemplate(),
    tokenExchangeGrantType: z.string().min(1),
    adminSessionVerifyPath: pathTemplate(),
    orderStatusPath: pathTemplate("orderId"),
    orderStatusField: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    stockOverridePath: pathTemplate(),
    priceTableProductsPath: pathTemplate("priceTableId"),
    productEnablePath: pathTemplate("productId"),
    productDisablePath: pathTemplate("productId"),
    productVariationsPath: pathTemplate("productId"),
    notFoundRetryWindowMs: z.number().int().min(0).max(3_600_000),
    webhookAuth: z.enum(["header", "hmac", "header_or_hmac"]),
    webhookSecretHeader: z.string().regex(/^[A-Za-z0-9-]+$/, "must be an HTTP header name"),
    orderAttributesPath: pathTemplate("orderId"),
    trackingCodeAttribute: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/),
    deliveredAtAttribute: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/),
    cancelledInvoicesAttribute: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/),
  })
  .partial()
  .strict();

export type ZydonContractOverridesConfig = z.infer<typeof zydonContractOverridesSchema>;

type ContractEnv = Pick<Env, "ZYDON_CONTRACT_FILE" | "ZYDON_TOKEN_EXCHANGE_PATH" | "ZYDON_WEBHOOK_AUTH">;

/**
 * The deployment's contract overrides: the JSON file named by ZYDON_CONTRACT_FILE (if any), then the
 * dedicated variables on top. Every problem is reported at once, like loadConfig.
 */
export function zydonContractOverrides(
  env: ContractEnv,
  readFile: (path: string) => string = (p) => readFileSync(p, "utf8"),
): ZydonContractOverridesConfig {
  let fromFile: unknown = {};
  if (env.ZYDON_CONTRACT_FILE) {
    try {
      fromFile = JSON.parse(readFile(env.ZYDON_CONTRACT_FILE));
    } catch (err) {
      throw new ConfigError([
        `ZYDON_CONTRACT_FILE ${env.ZYDON_CONTRACT_FILE} cannot be read as JSON (${(err as Error).message})`,
      ]);
    }
  }
  const merged = {
    ...(fromFile && typeof fromFile === "object" ? fromFile : { "(root)": fromFile }),
    ...(env.ZYDON_TOKEN_EXCHANGE_PATH ? { tokenExchangePath: env.ZYDON_TOKEN_EXCHANGE_PATH } : {}),
    ...(env.ZYDON_WEBHOOK_AUTH ? { webhookAuth: env.ZYDON_WEBHOOK_AUTH } : {}),
  };
  const r = zydonContractOverridesSchema.safeParse(merged);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const keys = i.code === "unrecognized_keys" ? ` ${i.keys.join(", ")}` : "";
        return `Zydon contract ${i.path.join(".") || "(root)"}${keys}: ${i.message}`;
      }),
    );
  }
  return r.data;
}

/** The webhook secrets to accept, current first (rotation: the previous one until it is unset). */
export function zydonWebhookSecrets(
  env: Pick<Env, "ZYDON_WEBHOOK_SECRET" | "ZYDON_WEBHOOK_PREVIOUS_SECRET">,
): string[] {
  return [env.ZYDON_WEBHOOK_SECRET, env.ZYDON_WEBHOOK_PREVIOUS_SECRET].filter(
    (s): s is string => typeof s === "string" && s.length > 0,
  );
}
