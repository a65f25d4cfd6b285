import * as crypto from "crypto";
import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";
import { readCookie } from "./cookies";

export const ADMIN_COOKIE = "dormer_admin";
/** An operator's page session lasts a working day, then the token is asked for again. */
const TTL_SECONDS = 8 * 3600;

const digest = (id: string) => crypto.createHash("sha256").update(id).digest("hex");

/**
 * Sessions of the operator's page: a random id in a host-only cookie scoped to /admin (never sent to a
 * tenant's origin, nor to the rest of the platform's), and only its digest in the store, so signing out
 * ends it on every supervisor and a copy of the store holds nothing to sign in with.
 */
export class AdminSessions {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly secureCookie: boolean,
  ) {}

  private key(id: string): string {
    return `${this.prefix}admin-session:${digest(id)}`;
  }

  /** A new session; the Set-Cookie value to send. */
  async issue(): Promise<string> {
    const id = crypto.randomBytes(32).toString("base64url");
    try {
      await this.redis.set(this.key(id), "1", "EX", TTL_SECONDS);
    } catch {
      throw new StoreUnavailableError("the admin sessions (Redis)");
    }
    return this.cookie(id, TTL_SECONDS);
  }

  /** Is the request's admin cookie a live session? A store error throws: fail closed. */
  async verify(cookieHeader: string | undefined): Promise<boolean> {
    const id = readCookie(cookieHeader, ADMIN_COOKIE);
    if (!id || id.length > 100) return false;
    try {
      return (await this.redis.exists(this.key(id))) === 1;
    } catch {
      throw new StoreUnavailableError("the admin sessions (Redis)");
    }
  }

  /** Ends the request's session, if any; the Set-Cookie value that clears it. */
  async revoke(cookieHeader: string | undefined): Promise<string> {
    const id = readCookie(cookieHeader, ADMIN_COOKIE);
    if (id && id.length <= 100) {
      await this.redis.del(this.key(id)).catch(() => {
        throw new StoreUnavailableError("the admin sessions (Redis)");
      });
    }
    return this.cookie("", 0);
  }

  private cookie(value: string, maxAge: number): string {
    return `${ADMIN_COOKIE}=${value}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${this.secureCookie ? "; Secure" : ""}`;
  }
}
