import { z } from "zod";

/**
 * A timestamp on the wire: an ISO string. The API may hand a `Date` (Fastify's JSON serializer writes
 * `toISOString()`), so the input side accepts both and the output is always the string the page reads.
 */
export const wireDate = z.union([z.string().min(1), z.date().transform((d) => d.toISOString())]);

/** Ids the page only displays or sends back: numbers (ledger rows, Bling ids) arrive as strings. */
export const idLike = z.union([z.string(), z.number()]).transform((v) => String(v));

/** Every non-2xx answer of the API (`sendError`): a machine code and a pt-BR message safe to show. */
export const errorBodySchema = z
  .object({
    error: z.string().optional(),
    message: z.string().optional(),
    /** A launch link that expired or was used: where to open the app again (the Zydon admin). */
    reopenUrl: z.url().optional().catch(undefined),
  })
  .loose();
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** A 400 from `PUT /api/settings`: field path ("price.blingStoreId") → pt-BR message. */
export const validationErrorBodySchema = z.object({ errors: z.record(z.string(), z.string()) });
export type ValidationErrorBody = z.infer<typeof validationErrorBodySchema>;
