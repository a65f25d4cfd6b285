import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";

export interface ThrottleLimits {
  /** Failed sign-ins allowed per (tenant, client address) within a window. */
  perClient: number;
  /** Failed sign-ins allowed per tenant, from all addresses together, within a window: the looser bound. */
  perTenant: number;
  windowSeconds: number;
}

export type Attempt =
  /** Go ahead: counted as a failure unless `succeeded()` is called. */
  | { allowed: true; succeeded(): Promise<void> }
  | { allowed: false; retryAfterSeconds: number; bound: "client" | "tenant" };

// Check and count in one step, so parallel guesses cannot all slip in under the bound. A refused attempt
// is not counted: a client already refused cannot use up the tenant's bound for everyone else. Each window
// starts at its first failure and is not extended by later ones, so the wait named is the real one.
const CLAIM = `
local client = tonumber(redis.call("GET", KEYS[1]) or "0")
local tenant = tonumber(redis.call("GET", KEYS[2]) or "0")
if client >= tonumber(ARGV[1]) then return {1, redis.call("PTTL", KEYS[1])} end
if tenant >= tonumber(ARGV[2]) then return {2, redis.call("PTTL", KEYS[2])} end
for i = 1, 2 do
  redis.call("INCR", KEYS[i])
  if redis.call("PTTL", KEYS[i]) < 0 then redis.call("PEXPIRE", KEYS[i], ARGV[3]) end
end
return {0, 0}
`;

// A good key gives back what its attempt took: this client starts afresh, and the tenant's bound counts
// failures only.
const RELEASE = `
redis.call("DEL", KEYS[1])
if tonumber(redis.call("GET", KEYS[2]) or "0") > 0 then redis.call("DECR", KEYS[2]) end
return 0
`;

/**
 * Slows down guessing a tenant's access key, in Redis so the bound holds across supervisors and restarts.
 * An attempt is counted as failed until it proves otherwise, so it is claimed before the key is checked.
 * When Redis is down no attempt is allowed (503): an unthrottled sign-in is not offered.
 */
export class LoginThrottle {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limits: ThrottleLimits,
  ) {}

  async attempt(tenant: string, client: string): Promise<Attempt> {
    // Tenant ids are short DNS labels (a login body allows up to 128 characters); the cut keeps a made-up
    // name from making a big key.
    const keys = [`${this.prefix}login-failures:${tenant.slice(0, 128)}:${client}`, `${this.prefix}login-failures:${tenant.slice(0, 128)}`];
    const window = String(this.limits.windowSeconds * 1000);
    const [bound, ttl] = (await this.store(() => this.redis.eval(CLAIM, 2, ...keys, this.limits.perClient, this.limits.perTenant, window))) as [number, number];
    if (bound !== 0) {
      return { allowed: false, bound: bound === 1 ? "client" : "tenant", retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
    }
    return {
      allowed: true,
      succeeded: async () => {
        await this.store(() => this.redis.eval(RELEASE, 2, ...keys));
      },
    };
  }

  private async store<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch {
      throw new StoreUnavailableError("the sign-in attempt store (Redis)");
    }
  }
}
