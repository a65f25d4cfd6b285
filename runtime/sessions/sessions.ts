import { randomUUID, webcrypto } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { errors, JWTPayload, jwtVerify, SignJWT } from "jose";
import { readCookies } from "./cookies";
import { DormerError } from "../errors";
import type { Identity } from "../identity/identity";
import type { RevocationStore } from "./revocations";
import { SESSION_COOKIE } from "./session-cookie";

export interface SessionsOptions {
  /** HMAC key for HS256, at least 32 bytes (config.sessionKey). */
  key: Uint8Array;
  /** Stack name; part of the audience, so a token from one stack is worthless on another sharing the key. */
  stack: string;
  /** Adds `Secure` to the cookie; pass `new URL(config.publicUrl).protocol === "https:"`. */
  secureCookie: boolean;
  store: RevocationStore;
  /** Lifetime of a token, and of each refresh of it. Default 1800 s. */
  ttlSeconds?: number;
  /** verify() re-issues a token with this many seconds or fewer left. Default 600 s. */
  refreshBelowSeconds?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

export interface IssuedToken {
  token: string;
  /** A complete `Set-Cookie` value. */
  cookie: string;
  expiresAt: Date;
}

export interface VerifiedSession {
  identity: Identity;
  /** Session id: stays the same across refreshes; what logout revokes. */
  jti: string;
  expiresAt: Date;
  /** Set when the token was near its end; the caller sends `refreshed.cookie` back as `Set-Cookie`. */
  refreshed?: IssuedToken;
}

/** The token cannot be used: 401, and the caller clears the cookie. */
export abstract class SessionRejectedError extends DormerError {}

export class InvalidSessionError extends SessionRejectedError {
  constructor(readonly reason: string) {
    super(401, "session_invalid", "the session is not valid; sign in again");
  }
}

export class ExpiredSessionError extends SessionRejectedError {
  constructor() {
    super(401, "session_expired", "the session expired; sign in again");
  }
}

export class RevokedSessionError extends SessionRejectedError {
  constructor() {
    super(401, "session_revoked", "the session was logged out; sign in again");
  }
}

const ISSUER = "dormer";
/** Tokens remembered as well-signed; past this many the memory is simply dropped and rebuilt. */
const VERIFIED_CACHE_SIZE = 50_000;

/**
 * Sessions as signed cookies with a sliding lifetime and server-side logout.
 *
 * What verify() does not do, and the caller must:
 * - accept a session only on its own tenant's origin: a session for tenant X is never used to reach anything
 *   but X, and is refused on any other tenant's host (runtime/http/gate.ts);
 * - check the tenant still exists in the directory: a tenant removed from tenants.yaml leaves sessions that
 *   stay cryptographically valid until they expire.
 */
export class Sessions {
  private readonly ttlSeconds: number;
  private readonly refreshBelowSeconds: number;
  private readonly audience: string;
  private readonly now: () => number;
  private readonly verified = new Map<string, JWTPayload>();
  /** Imported once as a CryptoKey: raw bytes would be re-imported on every request (twice the cost). */
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(private readonly opts: SessionsOptions) {
    // HS256 is only as strong as its key; config enforces this too, but a short key must never slip through.
    if (opts.key.length < 32) throw new Error("session key must be at least 32 bytes");
    this.ttlSeconds = opts.ttlSeconds ?? 1800;
    this.refreshBelowSeconds = opts.refreshBelowSeconds ?? 600;
    this.audience = `dormer:${opts.stack}`;
    this.now = opts.now ?? Date.now;
    this.key = webcrypto.subtle.importKey("raw", opts.key, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  }

  /**
   * A new session (fresh id) for someone who just proved who they are. Throws StoreUnavailableError when the
   * revocation store is down: verify() would refuse the session on its first use anyway, so a login then
   * answers 503 (try again) rather than hand out a cookie that only leads to 503s.
   */
  async issue(identity: Identity): Promise<IssuedToken> {
    await this.opts.store.check();
    return this.sign(identity, randomUUID());
  }

  /**
   * The session a token carries. Throws a SessionRejectedError for a token that is forged, malformed,
   * expired or revoked, and StoreUnavailableError (errors.ts, 503) when revocation cannot be checked.
   */
  async verify(token: string): Promise<VerifiedSession> {
    const payload = await this.checkSignature(token);
    const { sub, tid, jti, exp, gen } = payload;
    if (typeof sub !== "string" || typeof tid !== "string" || typeof jti !== "string" || typeof exp !== "number" || (gen !== undefined && typeof gen !== "string")) {
      throw new InvalidSessionError("missing or mistyped claims");
    }
    // Only a token with a good signature reaches the store, so garbage cannot be used to load Redis.
    if (await this.opts.store.isRevoked(jti)) throw new RevokedSessionError();

    const identity: Identity = { tenant: tid, user: sub, ...(gen === undefined ? {} : { generation: gen }) };
    const remaining = exp - Math.floor(this.now() / 1000);
    const refreshed = remaining <= this.refreshBelowSeconds ? await this.sign(identity, jti) : undefined;
    return { identity, jti, expiresAt: new Date(exp * 1000), refreshed };
  }

  /**
   * Logs a session out everywhere. Refreshes keep the jti, so the newest token of a session expires at most
   * one lifetime from now; revoking for that long covers every token the session ever had.
   */
  revoke(jti: string): Promise<void> {
    return this.opts.store.revoke(jti, this.ttlSeconds);
  }

  /** `Set-Cookie` value that removes the session cookie. */
  clearCookie(): string {
    return this.cookie("", 0);
  }

  /**
   * Every session token a request carries (a planted duplicate may sit beside the real one), at most a few:
   * each costs a verification.
   */
  allFromRequest(req: { headers: IncomingHttpHeaders }): string[] {
    return readCookies(req.headers.cookie, SESSION_COOKIE, 4);
  }

  private async checkSignature(token: string): Promise<JWTPayload> {
    // A token whose signature and claims checked out once is the same token next time: only its expiry can
    // change, and that is checked against the clock here. Saves the HMAC on every proxied request.
    const known = this.verified.get(token);
    if (known && typeof known.exp === "number" && known.exp > this.now() / 1000) return known;
    try {
      const { payload } = await jwtVerify(token, await this.key, {
        algorithms: ["HS256"],
        issuer: ISSUER,
        audience: this.audience,
        requiredClaims: ["sub", "tid", "jti", "iat", "exp"],
        currentDate: new Date(this.now()),
      });
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
      this.verified.set(token, payload);
      return payload;
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new ExpiredSessionError();
      if (err instanceof errors.JOSEError) throw new InvalidSessionError(err.code);
      throw err;
    }
  }

  private async sign(identity: Identity, jti: string): Promise<IssuedToken> {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ tid: identity.tenant, ...(identity.generation === undefined ? {} : { gen: identity.generation }) })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setSubject(identity.user)
      .setJti(jti)
      .setIssuer(ISSUER)
      .setAudience(this.audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(await this.key);
    return { token, cookie: this.cookie(token, this.ttlSeconds), expiresAt: new Date(exp * 1000) };
  }

  private cookie(value: string, maxAgeSeconds: number): string {
    // No Domain attribute: host-only, so the cookie goes back to the one tenant origin that set it and to no
    // sibling under the same base domain.
    const attrs = [`${SESSION_COOKIE}=${value}`, "Path=/", "HttpOnly", "SameSite=Strict", `Max-Age=${maxAgeSeconds}`];
    if (this.opts.secureCookie) attrs.push("Secure");
    return attrs.join("; ");
  }
}
