import type { IncomingHttpHeaders } from "node:http";
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { readCookie } from "../sessions/cookies";
import type { TenantDirectory } from "../engine/directory";
import { DormerError } from "../errors";
import { hostnameOf } from "../http/origins";
import { log } from "../observe/log";
import type { Identity, IdentitySource } from "./identity";

export interface CloudflareAccessOptions {
  /** `<team>.cloudflareaccess.com` (a leading `https://` is tolerated). */
  teamDomain: string;
  /** The Access application's AUD tag (the platform's host and every `<id>.<base>`). */
  audience: string;
  directory: TenantDirectory;
  /** Where the signing keys are published; defaults to `https://<teamDomain>/cdn-cgi/access/certs`. */
  jwksUrl?: string | URL;
  /** Expected `iss`; defaults to `https://<teamDomain>`. */
  issuer?: string;
}

/** Access's signing keys could not be fetched: 503, not 401, and nobody gets in. */
export class AccessUnavailableError extends DormerError {
  constructor(readonly cause: unknown) {
    super(503, "identity_unavailable", "Cloudflare Access signing keys cannot be fetched; try again shortly");
  }
}

/**
 * Production: Cloudflare Access authenticates people at the edge and puts a signed JWT on every request.
 * The token is verified here anyway, because anything that reaches the origin without passing Access (a
 * misrouted tunnel, a direct connection) could carry a forged header.
 */
export class CloudflareAccess implements IdentitySource {
  readonly name = "cloudflare-access";
  private readonly issuer: string;
  private readonly keys: JWTVerifyGetKey;

  constructor(private readonly opts: CloudflareAccessOptions) {
    const origin = `https://${opts.teamDomain.replace(/^https?:\/\//, "").replace(/\/+$/, "")}`;
    this.issuer = opts.issuer ?? origin;
    const remote = createRemoteJWKSet(new URL(opts.jwksUrl ?? `${origin}/cdn-cgi/access/certs`));
    this.keys = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        // A kid Access never published is the token's fault; anything else means we could not get the keys.
        if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
        throw new AccessUnavailableError(err);
      }
    };
  }

  async fromRequest(req: { headers: IncomingHttpHeaders }): Promise<Identity | null> {
    const header = req.headers["cf-access-jwt-assertion"];
    const token = (typeof header === "string" && header) || readCookie(req.headers.cookie, "CF_Authorization");
    if (!token) return null;

    let email: unknown;
    try {
      const { payload } = await jwtVerify(token, this.keys, {
        algorithms: ["RS256"],
        issuer: this.issuer,
        audience: this.audienceFor(req.headers.host),
        requiredClaims: ["exp"],
      });
      email = payload.email;
    } catch (err) {
      if (err instanceof AccessUnavailableError) {
        log.error("cloudflare access keys unavailable", { error: err.cause instanceof Error ? err.cause.message : String(err.cause) });
        throw err;
      }
      log.warn("cloudflare access token rejected", {
        reason: err instanceof errors.JOSEError ? err.code : "unreadable token",
        claim: err instanceof errors.JWTClaimValidationFailed ? err.claim : undefined,
      });
      return null;
    }

    if (typeof email !== "string" || !email.includes("@")) {
      log.warn("cloudflare access token rejected", { reason: "no email claim" });
      return null;
    }
    const user = email.toLowerCase();
    const tenant = this.opts.directory.byMember(user);
    if (!tenant) {
      log.warn("cloudflare access token rejected", { reason: "email belongs to no tenant" });
      return null;
    }
    return { tenant: tenant.id, user };
  }

  /**
   * A tenant's own host name sits behind an Access application of its own (components/tunnel.ts), whose
   * audience that tenant's labels carry; a token of the main application is no good there, nor the reverse.
   */
  private audienceFor(host: string | undefined): string {
    const name = hostnameOf(host ?? "");
    const owner = this.opts.directory.byHostname(name);
    // A declared host whose audience is not known yet gets one no token has: refused, never the main one.
    return owner ? (owner.accessAudiences[name] ?? `unknown audience of ${name}`) : this.opts.audience;
  }
}
