import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";

export interface WatchdogRestart {
  /** ISO time of the restart. */
  at: string;
  /** Consecutive health probes that failed before it. */
  failedProbes: number;
}

const KEEP = 10;

/**
 * The last few watchdog restarts per tenant, in the store: every supervisor sharing it (and a restarted
 * one) shows the same history in the admin API.
 */
export class WatchdogHistory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async record(tenant: string, restart: WatchdogRestart): Promise<void> {
    const key = `${this.prefix}watchdog:${tenant}`;
    await this.redis.multi().lpush(key, JSON.stringify(restart)).ltrim(key, 0, KEEP - 1).exec();
  }

  /** Newest first. */
  async recent(tenant: string): Promise<WatchdogRestart[]> {
    try {
      const items = await this.redis.lrange(`${this.prefix}watchdog:${tenant}`, 0, KEEP - 1);
      return items.map((i) => JSON.parse(i) as WatchdogRestart);
    } catch {
      throw new StoreUnavailableError("the watchdog history (Redis)");
    }
  }
}
