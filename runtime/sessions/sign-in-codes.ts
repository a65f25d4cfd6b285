import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";
import type { Identity } from "../identity/identity";
import { log } from "../observe/log";

/** What a sign-in code stands for: who proved themselves on the platform's origin, and where they go next. */
export interface SignIn {
  identity: Identity;
  /** A path on the tenant's origin (already checked by safeNext). */
  next: string;
}

/**
 * Short-lived, single-use codes that carry a sign-in from the platform's origin (where the credential is
 * typed) to the tenant's origin (where the session cookie must live). The code is the only thing that
 * crosses, in a URL the tenant's own code may see: it is good once, for 30 s, for that one tenant, and
 * worth nothing but a session on that tenant's origin. Redis holds only its hash, so a dump of Redis
 * cannot be replayed.
 */
export class SignInCodes {
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    stack: string,
    private readonly ttlSeconds = 30,
  ) {
    this.prefix = `dormer:${stack}:sign-in:`;
  }

  async create(signIn: SignIn): Promise<string> {
    const code = randomBytes(32).toString("base64url");
    await this.call("create", () => this.redis.set(this.key(code), JSON.stringify(signIn), "EX", this.ttlSeconds));
    return code;
  }

  /** The sign-in a code stands for, removed in the same step (GETDEL), or undefined: used, expired or made up. */
  async consume(code: string): Promise<SignIn | undefined> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(code)) return undefined;
    const raw = await this.call("consume", () => this.redis.getdel(this.key(code)));
    return raw ? (JSON.parse(raw) as SignIn) : undefined;
  }

  private key(code: string): string {
    return this.prefix + createHash("sha256").update(code).digest("hex");
  }

  private async call<T>(operation: string, command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      log.warn("sign-in code store unavailable", { operation, error: err instanceof Error ? err.message : String(err) });
      throw new StoreUnavailableError("the sign-in store (Redis)");
    }
  }
}
