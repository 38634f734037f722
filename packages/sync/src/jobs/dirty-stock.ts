import type { Redis } from "ioredis";

/**
 * The per-tenant set of Bling products whose stock changed (stock webhooks mark them; the `refresh-stock`
 * job drains them a balance request's worth at a time). The one owner of the `dirty-stock` Redis key.
 */
export class DirtyStock {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  key(tenantId: string): string {
    return `${this.prefix}:dirty-stock:${tenantId}`;
  }

  async mark(tenantId: string, blingProductId: string): Promise<void> {
    await this.redis.sadd(this.key(tenantId), blingProductId);
  }

  /** Remove and return up to `max` dirty products (any order). */
  async take(tenantId: string, max: number): Promise<string[]> {
    return (await this.redis.spop(this.key(tenantId), max)) ?? [];
  }

  async pending(tenantId: string): Promise<number> {
    return this.redis.scard(this.key(tenantId));
  }
}
