import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";
import { log } from "./log";
import { UsageLedger } from "./usage";

/** What happened to a tenant's container, as the admin API and the operator see it. */
export type TenantEvent =
  | { type: "wake"; kind: "light" | "deep"; ms: number }
  | { type: "wake_failed"; error: string }
  /** reason: idle, light (paused), admin, unhealthy, paused_memory_cap. */
  | { type: "sleep"; reason: string }
  | { type: "health_failed"; failures: number }
  | { type: "watchdog_restart"; failedProbes: number }
  /** Its disk passed a warning threshold (80 or 95 % of what it holds). */
  | { type: "disk_warning"; threshold: number; percent: number; usedBytes: number; capacityBytes: number };

export type StoredEvent = TenantEvent & { at: string };

/** Per tenant; older events are dropped, so a tenant that wakes all day costs the store a bounded list. */
export const EVENTS_KEPT = 200;

// Reads and clears the tenant's awake-since mark in one step, so two supervisors never both count it.
const TAKE = "local v = redis.call('HGET', KEYS[1], ARGV[1]); redis.call('HDEL', KEYS[1], ARGV[1]); return v";

/**
 * The recent events of each tenant (a capped list in the store) and its awake time: a wake marks when it
 * woke, the sleep that follows (on any supervisor) adds the time between to the usage ledger. Recording
 * never fails a request: a store error is logged and the event is lost.
 */
export class TenantEvents {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly usage: UsageLedger,
  ) {}

  private eventsKey(tenant: string): string {
    return `${this.prefix}events:${tenant}`;
  }

  private get awakeKey(): string {
    return `${this.prefix}awake-since`;
  }

  record(tenant: string, event: TenantEvent, at = Date.now()): void {
    void this.write(tenant, event, at).catch((err) => log.warn("tenant event not recorded", { tenant, event: event.type, error: String(err) }));
  }

  private async write(tenant: string, event: TenantEvent, at: number): Promise<void> {
    const key = this.eventsKey(tenant);
    await this.redis.multi().lpush(key, JSON.stringify({ at: new Date(at).toISOString(), ...event })).ltrim(key, 0, EVENTS_KEPT - 1).exec();
    if (event.type === "wake") {
      this.usage.add(tenant, "wakes", 1, at);
      await this.redis.hsetnx(this.awakeKey, tenant, String(at));
    } else if (event.type === "sleep") {
      const since = Number(await this.redis.eval(TAKE, 1, this.awakeKey, tenant));
      if (since > 0 && since <= at) this.usage.addAwake(tenant, since, at);
    }
  }

  /** Newest first, at most `limit`. */
  async recent(tenant: string, limit = EVENTS_KEPT): Promise<StoredEvent[]> {
    try {
      const items = await this.redis.lrange(this.eventsKey(tenant), 0, Math.min(limit, EVENTS_KEPT) - 1);
      return items.map((i) => JSON.parse(i) as StoredEvent);
    } catch {
      throw new StoreUnavailableError("the tenant events (Redis)");
    }
  }

  /** Awake right now since this time (ms), as the store knows it. */
  async awakeSince(tenant: string): Promise<number | undefined> {
    const v = await this.redis.hget(this.awakeKey, tenant).catch(() => null);
    return v ? Number(v) : undefined;
  }
}
