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

  constructor(
    private readonly redis: Redis,
    stack: string,
    private readonly timeoutMs = 1000,
  ) {
    this.prefix = `dormer:${stack}:revoked:`;
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    await this.call("revoke", () => this.redis.set(this.prefix + jti, "1", "EX", ttlSeconds));
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.call("isRevoked", () => this.redis.exists(this.prefix + jti))) === 1;
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
