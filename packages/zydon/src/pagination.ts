import { DEFAULT_PER_PAGE, FIRST_PAGE } from "./adapter.js";
import type { Page } from "./schemas.js";

export interface ListQuery {
  page?: number;
  perPage?: number;
  search?: string;
  sort?: string;
  dir?: "asc" | "desc";
  [extra: string]: string | number | boolean | null | undefined;
}

/**
 * Walks `{currentPage, perPage, total, items}` pages from FIRST_PAGE (0, adapter guess) until a short page or
 * `total` is reached. A hard page cap guards against a server that ignores `page` (would loop forever).
 */
export async function* paginate<T>(
  fetchPage: (page: number, perPage: number) => Promise<Page<T>>,
  opts: { perPage?: number; startPage?: number; maxPages?: number } = {},
): AsyncGenerator<T, void, undefined> {
  const perPage = opts.perPage ?? DEFAULT_PER_PAGE;
  const maxPages = opts.maxPages ?? 10_000;
  let page = opts.startPage ?? FIRST_PAGE;
  for (let n = 0; n < maxPages; n++) {
    const res = await fetchPage(page, perPage);
    for (const item of res.items) yield item;
    const size = res.perPage ?? perPage;
    if (res.items.length === 0 || res.items.length < size) return;
    if (res.total !== undefined && (page - FIRST_PAGE + 1) * size >= res.total) return;
    page++;
  }
}
