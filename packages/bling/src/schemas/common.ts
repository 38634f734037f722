import { z } from "zod";

/**
 * Bling ids: integers up to ~11 digits (beyond int32, safe as JS numbers), sent as numbers or numeric strings.
 * Strict: fractions, negatives, non-numeric strings and unsafe integers are rejected.
 */
export const blingId = z
  .union([z.number(), z.string().trim().regex(/^\d+$/, "id must be digits")])
  .transform((v) => (typeof v === "string" ? Number(v) : v))
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

/** Reference id where Bling uses `0`, `null` or absence for "none": normalised to `null`. */
export const blingRefId = z
  .union([blingId, z.null(), z.literal("")])
  .optional()
  .transform((v) => (v === undefined || v === null || v === "" || v === 0 ? null : v));

/** `{id}` reference object whose id may be 0/absent. */
export const blingRef = z
  .looseObject({ id: blingRefId })
  .nullish()
  .transform((v) => v ?? null);

/**
 * Money and quantities: JSON numbers with `.` decimals; some examples send strings ("1.00"). Strict: a comma
 * decimal ("1,50"), empty strings and non-finite values are rejected rather than silently becoming 0.
 */
export const blingDecimal = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^-?\d+(\.\d+)?$/, "decimal must use '.'"),
  ])
  .transform((v) => (typeof v === "string" ? Number(v) : v))
  .pipe(z.number().finite());

export const optionalDecimal = blingDecimal.nullish().transform((v) => v ?? null);

/** Free-text fields: absent/null become null; numbers (seen for codes) become strings. */
export const looseString = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === undefined || v === null ? null : String(v)));

/** Enum-like single letters ("A", "a"): upper-cased, unknown values kept (Bling adds values over time). */
export const looseCode = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === undefined || v === null ? null : String(v).trim().toUpperCase()));

/** Small integer enums (situacao 0/1, tipoPagamento): numbers or numeric strings. */
export const looseInt = z
  .union([
    z.number().int(),
    z
      .string()
      .trim()
      .regex(/^-?\d+$/),
  ])
  .nullish()
  .transform((v) => (v === undefined || v === null ? null : Number(v)));

export const looseBool = z
  .union([z.boolean(), z.number(), z.string()])
  .nullish()
  .transform((v) => {
    if (v === undefined || v === null) return null;
    if (typeof v === "boolean") return v;
    if (typeof v === "number") return v !== 0;
    return ["1", "true", "s", "sim"].includes(v.trim().toLowerCase());
  });

/** `{"data": T}` */
export function dataEnvelope<T extends z.ZodType>(inner: T) {
  return z.looseObject({ data: inner }).transform((v) => v.data as z.output<T>);
}

/** `{"data": T[]}`; a missing/null `data` on a list is read as an empty page. */
export function listEnvelope<T extends z.ZodType>(item: T) {
  return z
    .looseObject({ data: z.array(item).nullish() })
    .transform((v) => (v.data ?? []) as Array<z.output<T>>);
}

/** `{"data":{"id":N}}` returned by create calls. */
export const createdIdSchema = dataEnvelope(z.looseObject({ id: blingId })).transform((d) => d.id);
