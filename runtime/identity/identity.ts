import type { IncomingHttpHeaders } from "http";

/** Who is asking, proven by an identity source, and which tenant they may reach. */
export interface Identity {
  tenant: string;
  /** Stable user id passed to the tenant as X-User-ID: an email for Access, `key:<tenant>` for access keys. */
  user: string;
  /**
   * For a sign-in with the tenant's deploy-time key: which key (keyGeneration, tenant-keys.ts). A session
   * carries it, and ends when the tenant's key is rotated.
   */
  generation?: string;
}

/**
 * One way to prove who you are. Each is one file under runtime/identity/; main.ts picks one from config.
 * A source either proves identity from each request (Cloudflare Access puts a JWT on every request) or
 * through an explicit login (tenant access keys), or both.
 */
export interface IdentitySource {
  readonly name: string;
  /** Identity carried by the request itself; null when the request carries none or an invalid one. */
  fromRequest?(req: { headers: IncomingHttpHeaders }): Promise<Identity | null>;
  /** Identity from a login body, or why not (for the audit log; the caller answers 401 without saying which part). */
  login?(body: unknown): Promise<LoginResult>;
}

export type LoginResult = { identity: Identity } | { refused: string };
