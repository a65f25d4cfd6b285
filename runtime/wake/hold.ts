import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";

/**
 * A hold keeps a tenant asleep for an operator's job (a backup or a restore copying its volumes): it is the
 * tenant's wake lock, taken under the job's token instead of a supervisor's, so no waker, reaper or watchdog
 * of any supervisor starts or stops the tenant meanwhile. Requests that arrive wait for it to end, not for a
 * wake timeout. It lapses by itself unless the job renews it, so a job that dies never leaves a tenant held.
 */
export interface Holds {
  /** Takes the hold, or renews it when this token already has it; "busy" while another holder has the lock. */
  take(tenant: string, token: string, ttlMs: number): Promise<"taken" | "renewed" | "busy">;
  /** Ends the hold if this token still has it; false when it had lapsed or was never taken. */
  release(tenant: string, token: string): Promise<boolean>;
  isHeld(tenant: string): Promise<boolean>;
}

const VALUE_PREFIX = "hold:";
// One script, so a renewal never takes a lock another holder got in between.
const TAKE = `local v = redis.call("get", KEYS[1])
if v == ARGV[1] then redis.call("pexpire", KEYS[1], ARGV[2]) return 2 end
if v then return 0 end
redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1`;
const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** Holds in the same Redis keys as RedisWakeLock (`<prefix>lock:<tenant>`). */
export class RedisHolds implements Holds {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(tenant: string): string {
    return `${this.prefix}lock:${tenant}`;
  }

  async take(tenant: string, token: string, ttlMs: number): Promise<"taken" | "renewed" | "busy"> {
    const result = await this.redis.eval(TAKE, 1, this.key(tenant), VALUE_PREFIX + token, String(ttlMs)).catch(() => {
      throw new StoreUnavailableError("the wake coordinator (Redis)");
    });
    return result === 1 ? "taken" : result === 2 ? "renewed" : "busy";
  }

  async release(tenant: string, token: string): Promise<boolean> {
    const result = await this.redis.eval(RELEASE, 1, this.key(tenant), VALUE_PREFIX + token).catch(() => {
      throw new StoreUnavailableError("the wake coordinator (Redis)");
    });
    return result === 1;
  }

  async isHeld(tenant: string): Promise<boolean> {
    const value = await this.redis.get(this.key(tenant)).catch(() => null);
    return value?.startsWith(VALUE_PREFIX) === true;
  }
}
