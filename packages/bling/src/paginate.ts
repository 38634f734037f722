import { BlingRequestError } from "./errors.js";

/** Bling's page size ceiling in practice (the spec gives no maximum; 100 is the documented default). */
export const BLING_PAGE_SIZE = 100;

export interface PaginateOptions {
  /** First page to fetch (1-based), to resume from a checkpoint. Default 1. */
  startPage?: number;
  /** Page size sent as `limite` (default and max 100). */
  limite?: number;
  /** Safety stop for runaway listings. */
  maxPages?: number;
}

/**
 * Walks `pagina` = startPage, startPage+1, … and yields each page's items (the n-th yielded page is page
 * `startPage + n`, so callers can checkpoint after each). Bling returns no totals: the listing ends at an
 * empty page or one shorter than `limite`.
 */
export async function* paginate<T>(
  fetchPage: (pagina: number, limite: number) => Promise<T[]>,
  opts: PaginateOptions = {},
): AsyncGenerator<T[], void, undefined> {
  const limite = opts.limite ?? BLING_PAGE_SIZE;
  const start = opts.startPage ?? 1;
  if (!Number.isInteger(start) || start < 1) throw new BlingRequestError("startPage must be an integer >= 1");
  if (!Number.isInteger(limite) || limite < 1 || limite > BLING_PAGE_SIZE) {
    throw new BlingRequestError(`limite must be between 1 and ${BLING_PAGE_SIZE}`);
  }
  const maxPages = opts.maxPages ?? Number.POSITIVE_INFINITY;
  for (let pagina = start, fetched = 0; fetched < maxPages; pagina++, fetched++) {
    const items = await fetchPage(pagina, limite);
    if (items.length === 0) return;
    yield items;
    if (items.length < limite) return;
  }
}
