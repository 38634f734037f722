import { z } from "zod";
import { type Env, type EnvKey, envSchema } from "./env-schema.js";

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.problems = problems;
  }
}

type Source = Record<string, string | undefined>;

/** The only place in the codebase that reads `process.env`. */
export function readProcessEnv(): Source {
  return process.env;
}

/**
 * Validate the variables an app needs (`keys`) and return them typed. Every problem is collected and
 * reported in one error, so a misconfigured deploy is fixed in one pass. Empty strings count as unset.
 */
export function loadConfig<K extends EnvKey>(
  keys: readonly K[],
  source: Source = readProcessEnv(),
): Pick<Env, K> {
  const mask = Object.fromEntries(keys.map((k) => [k, true])) as { [P in K]: true };
  // biome-ignore lint/suspicious/noExplicitAny: zod's pick() cannot type a generic key mask
  const schema = envSchema.pick(mask as any);
  const cleaned: Source = {};
  for (const k of keys) {
    const v = source[k];
    if (v !== undefined && v !== "") cleaned[k] = v;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.join(".") || "(root)";
      const value = cleaned[name];
      const reason =
        value === undefined && issue.code === "invalid_type" ? "is required but not set" : issue.message;
      return `${name} ${reason}`;
    });
    throw new ConfigError(problems);
  }
  return result.data as unknown as Pick<Env, K>;
}

/** Like loadConfig, but prints the problems and exits: for process entry points. */
export function loadConfigOrExit<K extends EnvKey>(keys: readonly K[], source?: Source): Pick<Env, K> {
  try {
    return loadConfig(keys, source);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

export const allEnvKeys = Object.keys(envSchema.shape) as EnvKey[];
export { z };
