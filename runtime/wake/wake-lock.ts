import * as crypto from "crypto";
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";

/** Who may start or stop a tenant right now, across every supervisor sharing the store. */
export interface WakeLock {
  /** True when this caller now holds the tenant's lock; it expires by itself after ttlMs. */
  acquire(tenant: string, ttlMs: number): Promise<boolean>;
  release(tenant: string): Promise<void>;
}

// Delete only our own lock: one that expired and was taken by another supervisor must stay.
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export class RedisWakeLock implements WakeLock {
  private readonly owner = crypto.randomBytes(8).toString("hex");

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async acquire(tenant: string, ttlMs: number): Promise<boolean> {
    try {
      return (await this.redis.set(`${this.prefix}lock:${tenant}`, this.owner, "PX", ttlMs, "NX")) === "OK";
    } catch {
      // Without the store two supervisors could both start a tenant: refuse rather than race.
      throw new StoreUnavailableError("the wake coordinator (Redis)");
    }
  }

  async release(tenant: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, `${this.prefix}lock:${tenant}`, this.owner).catch(() => undefined);
  }
}
