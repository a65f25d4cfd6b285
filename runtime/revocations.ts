import type { Redis } from "ioredis";
import { StoreUnavailableError } from "./errors";
import { log } from "./log";

/** Session ids that were logged out before they expired. */
export interface RevocationStore {
  /** Remembers `jti` as revoked for `ttlSeconds`; throws StoreUnavailableError when it cannot. */
  revoke(jti: string, ttlSeconds: number): Promise<void>;
  /** Throws StoreUnavailableError rather than answer "no" when the store cannot be asked. */
  isRevoked(jti: string): Promise<boolean>;
  /** Resolves when the store answers; throws StoreUnavailableError when it does not. */
  check(): Promise<void>;
}

/**
 * Revocations in Redis, one key per session id with the session's remaining lifetime as TTL, so the set
 * cleans itself up. Give it a client made with `enableOfflineQueue: false` so commands fail at once while
 * Redis is down; the timeout also covers a Redis that accepts the connection but never answers.
 */
export class RedisRevocationStore implements RevocationStore {
  private readonly prefix: string;
  /** Session ids Redis said were not revoked, and when: asked again after recheckMs. */
  private readonly clear = new Map<string, number>();

  /**
   * @param recheckMs how long a "not revoked" answer is reused while the connection stays up: a logout on
   *   another supervisor takes effect here within this time (on this one, at once). While Redis is down
   *   nothing is reused, so sessions still fail closed.
   */
  constructor(
    private readonly redis: Redis,
    stack: string,
    private readonly timeoutMs = 1000,
    private readonly recheckMs = 1000,
  ) {
    this.prefix = `dormer:${stack}:revoked:`;
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    this.clear.delete(jti);
    await this.call("revoke", () => this.redis.set(this.prefix + jti, "1", "EX", ttlSeconds));
  }

  async isRevoked(jti: string): Promise<boolean> {
    const checkedAt = this.clear.get(jti);
    if (checkedAt !== undefined && this.redis.status === "ready" && Date.now() - checkedAt < this.recheckMs) return false;
    const revoked = (await this.call("isRevoked", () => this.redis.exists(this.prefix + jti))) === 1;
    if (revoked) {
      this.clear.delete(jti);
    } else {
      if (this.clear.size >= 100_000) this.clear.clear();
      this.clear.set(jti, Date.now());
    }
    return revoked;
  }

  async check(): Promise<void> {
    await this.call("check", () => this.redis.ping());
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return await Promise.race([command(), timeout]);
    } catch (err) {
      log.warn("session revocation store unavailable", { operation, error: err instanceof Error ? err.message : String(err) });
      throw new StoreUnavailableError("the session revocation store (Redis)");
    } finally {
      clearTimeout(timer);
    }
  }
}
