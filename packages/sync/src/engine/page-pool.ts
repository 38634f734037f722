/**
 * Records of one page in flight together. A page's records used to go one at a time: each one's Bling read
 * waited for its budget grant, then its Zydon writes and Postgres rows ran while the budget sat idle, so a
 * page took Σ (grant spacing + write time) instead of Σ grant spacing. With a few records in flight the
 * next record's read waits for its grant while the previous one writes; the budget stays the bound as long
 * as a record's writes take less than `PAGE_CONCURRENCY` grant spacings (measured in `pnpm bench`).
 *
 * Two records of one page that resolve to the same natural key (a SKU two Bling products share, a document
 * two contacts share) must still not both pass the "is it already linked?" check before either writes: the
 * caller holds a `KeyedLock` on those keys from the check to the link row, so they run one after the other
 * and the second sees the first's link (and is reported as a duplicate, or linked, never created twice).
 */
export const PAGE_CONCURRENCY = 3;

/**
 * Run `fn` over `items` with at most `limit` running at once. After the first failure no new item starts;
 * the ones already running finish (their writes are whole), then that first error is thrown, so the step is
 * retried from its checkpoint like before.
 */
export async function forEachPooled<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const lane = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed) throw failed.err;
}

/**
 * In-process mutual exclusion by key (one page's records, one process). Keys are taken in sorted order, so two
 * holders of overlapping key sets cannot wait on each other.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<R>(keys: readonly string[], fn: () => Promise<R>): Promise<R> {
    const releases: Array<() => void> = [];
    try {
      for (const key of [...new Set(keys)].sort()) {
        const prev = this.tails.get(key) ?? Promise.resolve();
        let release = () => {};
        const mine = new Promise<void>((r) => {
          release = r;
        });
        const tail = prev.then(() => mine);
        this.tails.set(key, tail);
        releases.push(() => {
          release();
          if (this.tails.get(key) === tail) this.tails.delete(key);
        });
        await prev;
      }
      return await fn();
    } finally {
      for (const r of releases.reverse()) r();
    }
  }

  /** Keys currently held or waited for (tests). */
  get size(): number {
    return this.tails.size;
  }
}
