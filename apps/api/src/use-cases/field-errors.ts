import type { z } from "zod";

/**
 * A zod error as the page's field map (`{ "price.blingStoreId": "pt-BR message" }`): the first message per
 * field, an unknown key named as such. A Map, not an object literal: a field named `constructor` or
 * `toString` would find the inherited member already "set" and get no message at all.
 */
export function fieldErrors(error: z.ZodError): Record<string, string> {
  const errors = new Map<string, string>();
  const add = (k: string, m: string) => {
    if (!errors.has(k)) errors.set(k, m);
  };
  for (const issue of error.issues) {
    const key = issue.path.map(String).join(".") || "_";
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) add(key === "_" ? k : `${key}.${k}`, "Campo desconhecido.");
      continue;
    }
    add(key, issue.message);
  }
  return Object.fromEntries(errors);
}
