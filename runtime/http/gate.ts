import type { IncomingMessage } from "http";
import type { TenantDirectory } from "../engine/directory";
import type { DeclaredTenant } from "../engine/engine";
import { ApiKeyRejectedError, ApiKeyThrottledError } from "../errors";
import { log } from "../observe/log";
import { Identity, IdentitySource } from "../identity/identity";
import { keyGeneration } from "../identity/tenant-keys";
import { ApiKeys } from "../sessions/api-keys";
import { LoginThrottle } from "../sessions/login-throttle";
import { SessionRejectedError, Sessions, VerifiedSession } from "../sessions/sessions";
import { ClientAddresses } from "./client-address";
import { presentedApiKey } from "./proxy-headers";

export interface GateDeps {
  sessions: Sessions;
  identity: IdentitySource;
  directory: TenantDirectory & { refresh(): Promise<void> };
  apiKeys: ApiKeys;
  /** Refused API keys per client address (runtime/sessions/login-throttle.ts, its own counters). */
  apiKeyThrottle: LoginThrottle;
  clients: ClientAddresses;
}

export interface Identified {
  /** Undefined when nobody is proven for this origin's tenant. */
  identity?: Identity;
  /** The session behind `identity`, when it came from a cookie (what a logout revokes). */
  session?: VerifiedSession;
  /** The public id of the API key `identity` came from: it reaches the tenant, but manages no keys. */
  apiKey?: string;
  /** Set-Cookie values to send back: a re-issued session, or a first one after Access proved who it is. */
  setCookies: string[];
}

/**
 * Who is asking on tenant `tenant`'s origin. An API key (X-API-Key, or `Authorization: Bearer dormer_…`),
 * when one is presented, decides alone: good, it is the key's identity (no cookie); bad, ApiKeyRejectedError
 * (401 naming why), never a fall back to a cookie. Otherwise a valid session cookie for that tenant, else
 * whatever the identity source proves from the request itself (Cloudflare Access), which then gets a
 * session. A session or Access identity for any other tenant counts as nobody here. When a store is down
 * this throws (fail closed: never treat an unverifiable credential as good).
 */
export async function identify(req: IncomingMessage, deps: GateDeps, tenant: string): Promise<Identified> {
  const key = presentedApiKey(req.headers);
  if (key !== undefined) return { ...(await byApiKey(req, deps, key, tenant)), setCookies: [] };
  const { sessions, identity: source } = deps;
  const setCookies: string[] = [];
  // A page of another site (in prod, another tenant under the same parent domain is "same-site") must not
  // act with this tenant's session; only its top-level navigations may, as SameSite=Lax would allow.
  if (fromAnotherSite(req)) return { setCookies };
  let rejected = false;
  for (const token of sessions.allFromRequest(req)) {
    try {
      const session = await sessions.verify(token);
      // Another tenant's session (planted by a sibling origin, or a stale one) is not this origin's.
      if (session.identity.tenant !== tenant) continue;
      const declared = deps.directory.get(tenant);
      // A tenant missing for a moment (its container being replaced) is judged by tenantOf (app.ts) instead.
      if (declared && !ofCurrentKey(declared, session.identity)) {
        rejected = true;
        continue;
      }
      if (session.refreshed) setCookies.push(session.refreshed.cookie);
      return { identity: session.identity, session, setCookies };
    } catch (err) {
      if (!(err instanceof SessionRejectedError)) throw err;
      rejected = true;
    }
  }
  if (rejected) setCookies.push(sessions.clearCookie());
  const proven = source.fromRequest ? await source.fromRequest(req) : null;
  if (!proven || proven.tenant !== tenant) return { setCookies };
  const issued = await sessions.issue(proven);
  return { identity: proven, setCookies: [issued.cookie] };
}

/**
 * A session opened with the tenant's deploy-time key lives only as long as that key: once the key is rotated
 * (its hash on the tenant's container changes), every session it opened is refused on its next request.
 * Sessions of other sources (Cloudflare Access) and API keys carry no key generation.
 */
export function ofCurrentKey(declared: DeclaredTenant, identity: Identity): boolean {
  // A key session from before generations existed cannot be judged: it ends, as a rotated one would.
  if (identity.generation === undefined) return !identity.user.startsWith("key:");
  return keyGeneration(declared.accessKeySha256) === identity.generation;
}

/** Claimed before the key is looked at, as sign-ins are: a throttled client learns nothing, a good key included. */
async function byApiKey(req: IncomingMessage, deps: GateDeps, key: string, tenant: string): Promise<{ identity: Identity; apiKey: string }> {
  const from = deps.clients.of(req).ip;
  const attempt = await deps.apiKeyThrottle.attempt(tenant, from);
  if (!attempt.allowed) {
    log.warn("api key throttled", { tenant, from, retryAfterSeconds: attempt.retryAfterSeconds });
    throw new ApiKeyThrottledError(attempt.retryAfterSeconds);
  }
  try {
    const verified = await deps.apiKeys.verify(key, tenant);
    await attempt.succeeded();
    return verified;
  } catch (err) {
    // Never the key: only its public id, when it has the form of one.
    if (err instanceof ApiKeyRejectedError) log.warn("api key refused", { tenant, from, reason: err.reason, key: /^dormer_([0-9a-f]{12})_/.exec(key)?.[1] });
    throw err;
  }
}

/**
 * True for a browser request that another site's page made (Fetch Metadata): a form post, fetch, image or
 * WebSocket from elsewhere. Clients that send no Sec-Fetch-Site (curl, programs) are not browsers being
 * driven by someone else's page.
 */
export function fromAnotherSite(req: IncomingMessage): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== "cross-site" && site !== "same-site") return false;
  const navigation = req.headers["sec-fetch-mode"] === "navigate" && (req.method === "GET" || req.method === "HEAD");
  return !navigation;
}

export function wantsHtml(req: IncomingMessage): boolean {
  return (req.method === "GET" || req.method === "HEAD") && String(req.headers.accept ?? "").includes("text/html");
}
