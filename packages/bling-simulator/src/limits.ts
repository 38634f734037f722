import { BlingHttpError, spDayNumber } from "./http-util.js";
import type { Account } from "./store.js";

export interface LimitSettings {
  perSecond: number;
  perDay: number;
  ipRequestsPer10s: number;
  ipErrorsPer10s: number;
  tokenCallsPerMinute: number;
  ipBlockMs: number;
  tokenBlockMs: number;
  enforce: boolean;
  /** Cap on `idsProdutos[]`/`codigos[]` per `GET /estoques/saldos` call (undocumented by Bling; our choice). */
  maxIdsPerStockRequest: number;
  /** Status for a blocked IP (undocumented by Bling): 403 FORBIDDEN by default, 429 also plausible. */
  blockedStatus: number;
}

export const defaultLimits: LimitSettings = {
  perSecond: 3,
  perDay: 120_000,
  ipRequestsPer10s: 600,
  ipErrorsPer10s: 300,
  tokenCallsPerMinute: 20,
  ipBlockMs: 10 * 60_000,
  tokenBlockMs: 60 * 60_000,
  enforce: true,
  maxIdsPerStockRequest: 100,
  blockedStatus: 403,
};

interface IpState {
  requests: number[];
  errors: number[];
  tokenCalls: number[];
  blockedUntil: number;
}

const prune = (xs: number[], from: number): void => {
  let i = 0;
  while (i < xs.length && (xs[i] as number) <= from) i++;
  if (i > 0) xs.splice(0, i);
};

/** Bling's per-account quotas (3/s sliding, 120k/day) and per-IP protections (request/error floods, token storms). */
export class Limiter {
  private readonly ips = new Map<string, IpState>();

  constructor(
    readonly settings: LimitSettings,
    private readonly now: () => number,
  ) {}

  private ip(addr: string): IpState {
    let s = this.ips.get(addr);
    if (!s) {
      s = { requests: [], errors: [], tokenCalls: [], blockedUntil: 0 };
      this.ips.set(addr, s);
    }
    return s;
  }

  /** Before anything else: a blocked IP gets nothing; otherwise count the request (and token calls). */
  checkIp(addr: string, isTokenCall: boolean): void {
    if (!this.settings.enforce) return;
    const now = this.now();
    const s = this.ip(addr);
    if (s.blockedUntil <= now) {
      prune(s.requests, now - 10_000);
      s.requests.push(now);
      if (s.requests.length > this.settings.ipRequestsPer10s) s.blockedUntil = now + this.settings.ipBlockMs;
      if (isTokenCall) {
        prune(s.tokenCalls, now - 60_000);
        s.tokenCalls.push(now);
        if (s.tokenCalls.length > this.settings.tokenCallsPerMinute)
          s.blockedUntil = now + this.settings.tokenBlockMs;
      }
    }
    // The request that crosses a threshold is already refused.
    if (s.blockedUntil > now) {
      throw new BlingHttpError(
        this.settings.blockedStatus,
        this.settings.blockedStatus === 429 ? "TOO_MANY_REQUESTS" : "FORBIDDEN",
        "Acesso bloqueado",
        "O seu endereço IP foi bloqueado temporariamente por excesso de requisições.",
      );
    }
  }

  /** After the response is known: errors feed the 300-errors/10 s block. */
  recordResult(addr: string, status: number): void {
    if (!this.settings.enforce || status < 400) return;
    const now = this.now();
    const s = this.ip(addr);
    prune(s.errors, now - 10_000);
    s.errors.push(now);
    if (s.errors.length > this.settings.ipErrorsPer10s)
      s.blockedUntil = Math.max(s.blockedUntil, now + this.settings.ipBlockMs);
  }

  /** Account quota; a request over it is rejected with 429 and not processed (nor counted as accepted). */
  checkAccount(acc: Account): void {
    if (!this.settings.enforce) return;
    const now = this.now();
    const day = spDayNumber(now);
    if (acc.dayNumber !== day) {
      acc.dayNumber = day;
      acc.dayCount = 0;
    }
    if (acc.dayCount >= this.settings.perDay) {
      throw new BlingHttpError(
        429,
        "TOO_MANY_REQUESTS",
        "Limite de requisições atingido.",
        "O limite de requisições por dia foi atingido, tente novamente amanhã.",
        undefined,
        { limit: this.settings.perDay, period: "day" },
      );
    }
    prune(acc.recentAccepted, now - 1000);
    if (acc.recentAccepted.length >= this.settings.perSecond) {
      throw new BlingHttpError(
        429,
        "TOO_MANY_REQUESTS",
        "Limite de requisições atingido.",
        "O limite de requisições por segundo foi atingido, tente novamente mais tarde.",
        undefined,
        { limit: this.settings.perSecond, period: "second" },
      );
    }
    acc.recentAccepted.push(now);
    acc.dayCount += 1;
  }

  isBlocked(addr: string): boolean {
    return (this.ips.get(addr)?.blockedUntil ?? 0) > this.now();
  }

  unblockAll(): void {
    this.ips.clear();
  }
}
