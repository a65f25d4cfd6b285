import type { Redis } from "ioredis";
import { DeclaredTenant } from "../engine/engine";
import { QuotaExceededError, StoreUnavailableError } from "../errors";

/** Requests per tenant per UTC day, counted in the store so every supervisor shares the count. */
export class DailyQuota {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(tenant: DeclaredTenant, now: Date): string {
    return `${this.prefix}quota:${tenant.id}:${now.toISOString().slice(0, 10)}`;
  }

  /** Today's count against the quota, and what is left of it; undefined for an unlimited plan. */
  async today(tenant: DeclaredTenant, now = new Date()): Promise<{ limit: number; used: number; remaining: number } | undefined> {
    if (tenant.dailyRequestQuota === "unlimited") return undefined;
    let used: number;
    try {
      used = Number((await this.redis.get(this.key(tenant, now))) ?? 0);
    } catch {
      throw new StoreUnavailableError("the request counter (Redis)");
    }
    return { limit: tenant.dailyRequestQuota, used, remaining: Math.max(0, tenant.dailyRequestQuota - used) };
  }

  async charge(tenant: DeclaredTenant, now = new Date()): Promise<void> {
    if (tenant.dailyRequestQuota === "unlimited") return;
    const key = this.key(tenant, now);
    let used: number;
    try {
      const results = await this.redis.multi().incr(key).expire(key, 2 * 86_400).exec();
      used = Number(results?.[0]?.[1]);
    } catch {
      throw new StoreUnavailableError("the request counter (Redis)");
    }
    if (used > tenant.dailyRequestQuota) throw new QuotaExceededError(tenant.id, tenant.dailyRequestQuota);
  }
}
