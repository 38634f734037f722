/**
 * NUL (U+0000) cannot be stored in Postgres text or jsonb: a value carrying one fails the query with a 500.
 * Requests are checked for it at the door (400); signed provider payloads are cleaned instead (their
 * sender retries a refusal for days, and a NUL inside a product name changes nothing we act on).
 */
const NUL = "\u0000";

export function containsNul(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (typeof value === "string") return value.includes(NUL);
  if (Array.isArray(value)) return value.some((v) => containsNul(v, depth + 1));
  if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
    return Object.entries(value).some(([k, v]) => k.includes(NUL) || containsNul(v, depth + 1));
  }
  return false;
}

export function stripNul<T>(value: T): T {
  if (typeof value === "string") return value.replaceAll(NUL, "") as T;
  if (Array.isArray(value)) return value.map((v) => stripNul(v)) as T;
  if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k.replaceAll(NUL, ""), stripNul(v)]),
    ) as T;
  }
  return value;
}
