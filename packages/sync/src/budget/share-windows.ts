/** "At most `limit` requests in any `windowMs` window". */
export interface RateWindow {
  limit: number;
  windowMs: number;
}

/**
 * Turns a per-second share into sliding windows that all must hold. An integer share is one window
 * (share per 1000 ms). A fractional share cannot be met within a single second (you cannot send half a
 * request), so it becomes ceil(share) per 1000 ms plus share×k per k seconds for the smallest k ≤ 10 that
 * makes it whole (1.5 → 2/1 s and 3/2 s); other fractions round down over 10 s (conservative).
 */
export function shareWindows(share: number): RateWindow[] {
  if (!Number.isFinite(share) || share <= 0) throw new RangeError(`budget share must be > 0, got ${share}`);
  const perSecond: RateWindow = { limit: Math.max(1, Math.ceil(share - 1e-9)), windowMs: 1000 };
  if (Math.abs(share - Math.round(share)) < 1e-9) return [{ limit: Math.round(share), windowMs: 1000 }];
  for (let k = 2; k <= 10; k++) {
    const n = share * k;
    if (Math.abs(n - Math.round(n)) < 1e-9) return [perSecond, { limit: Math.round(n), windowMs: 1000 * k }];
  }
  return [perSecond, { limit: Math.max(1, Math.floor(share * 10)), windowMs: 10_000 }];
}
