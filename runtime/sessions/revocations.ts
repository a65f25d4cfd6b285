import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";
import { log } from "../observe/log";
import { ConnectionEpoch, epochOf } from "./connection-epoch";

/** Session ids that were logged out before they expired. */
export interface RevocationStore {
  /** Remembers `jti` as revoked for `ttlSeconds`; throws StoreUnavailableError when it cannot. */
  revoke(jti: string, ttlSeconds: number): Promise<void>;
  /** Throws StoreUnavailableError rather than answer "no" when the store cannot be asked. */
  isRevoked(jti: string): Promise<boolean>;
  /** Resolves when the store answers; throws StoreUnavailableError when it does not. */
  check(): Promise<void>;
}

export interface RedisRevocationOptions {
  /** How long a command may take before the store counts as unavailable. Default 1000 ms. */
  timeoutMs?: number;
  /**
   * How long a "not revoked" answer is reused: a logout on another supervisor takes effect here within this
   * time (on this one, at once). Default 1000 ms.
   */
  recheckMs?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

/** What Redis last said about a session id that was not revoked, and under which connection. */
interface ClearAnswer {
  /** When the question was sent: Redis was certainly up then. */
  askedAt: number;
  epoch: number;
}

/**
 * Revocations in Redis, one key per session id with the session's remaining lifetime as TTL, so the set
 * cleans itself up. Give it a client made with `enableOfflineQueue: false` so commands fail at once while
 * Redis is down; the timeout also covers a Redis that accepts the connection but never answers.
 *
 * The bound (docs/security.md): a "not revoked" answer is reused for at most recheckMs after it was asked,
 * and only while the connection has stayed up since, with no command failing on it. So no session is
 * accepted on a cached answer more than recheckMs after Redis went away, whether or not the client has
 * noticed; past that every check asks Redis, and without an answer within timeoutMs it fails closed.
 */
export class RedisRevocationStore implements RevocationStore {
  private readonly prefix: string;
  private readonly clear = new Map<string, ClearAnswer>();
  private readonly epoch: ConnectionEpoch;
  private readonly timeoutMs: number;
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    stack: string,
    opts: RedisRevocationOptions = {},
  ) {
    this.prefix = `dormer:${stack}:revoked:`;
    this.epoch = epochOf(redis);
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.recheckMs = opts.recheckMs ?? 1000;
    this.now = opts.now ?? Date.now;
  }

  async revoke(jti: string, ttlSeconds: number): Promise<void> {
    this.clear.delete(jti);
    await this.call("revoke", () => this.redis.set(this.prefix + jti, "1", "EX", ttlSeconds));
  }

  async isRevoked(jti: string): Promise<boolean> {
    const known = this.clear.get(jti);
    if (known && this.now() - known.askedAt < this.recheckMs && this.epoch.unchangedSince(known.epoch)) return false;
    const asked = { askedAt: this.now(), epoch: this.epoch.current };
    const revoked = (await this.call("isRevoked", () => this.redis.exists(this.prefix + jti))) === 1;
    if (revoked) {
      this.clear.delete(jti);
    } else {
      if (this.clear.size >= 100_000) this.clear.clear();
      this.clear.set(jti, asked);
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
      // Whatever was cached may be from a store that is gone: nothing is reused until Redis answers again.
      this.epoch.bump();
      log.warn("session revocation store unavailable", { operation, error: err instanceof Error ? err.message : String(err) });
      throw new StoreUnavailableError("the session revocation store (Redis)");
    } finally {
      clearTimeout(timer);
    }
  }
}
