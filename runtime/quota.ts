import type { Redis } from "ioredis";
import { DeclaredTenant } from "./engine/engine";
import { QuotaExceededError, StoreUnavailableError } from "./errors";

/** Requests per tenant per UTC day, counted in the store so every supervisor shares the count. */
export class DailyQuota {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async charge(tenant: DeclaredTenant, now = new Date()): Promise<void> {
    if (tenant.dailyRequestQuota === "unlimited") return;
    const key = `${this.prefix}quota:${tenant.id}:${now.toISOString().slice(0, 10)}`;
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
