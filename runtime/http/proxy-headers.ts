import type { IncomingHttpHeaders } from "http";
import { Identity } from "../identity/identity";
import { API_KEY_PREFIX } from "../sessions/api-keys";
import { SESSION_COOKIE } from "../sessions/session-cookie";

/**
 * Headers a client could use to claim an identity. They are dropped from every request, whatever their
 * value, and the verified X-User-ID / X-Tenant-ID are set instead: a tenant app may trust them.
 */
const IDENTITY_HEADERS = new Set([
  "x-user-id",
  "x-tenant-id",
  "x-forwarded-user",
  "x-forwarded-email",
  "x-forwarded-preferred-username",
  "x-forwarded-groups",
  "x-auth-request-user",
  "x-auth-request-email",
  "x-remote-user",
  "remote-user",
  "x-webauth-user",
  "cf-access-jwt-assertion",
  "cf-access-authenticated-user-email",
]);

// Hop-by-hop headers belong to one connection, not to the request (RFC 9110 7.6.1).
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "proxy-authorization"]);

const CREDENTIAL_COOKIES = new Set([SESSION_COOKIE, "CF_Authorization"]);

/**
 * The API key a request presents, if any: X-API-Key (the platform's header, whatever it holds) or an
 * `Authorization: Bearer` token with the platform's prefix. Any other Authorization is the tenant app's own
 * business and passes through to it untouched.
 */
export function presentedApiKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers["x-api-key"];
  if (header !== undefined) return (Array.isArray(header) ? header[0] : header).trim();
  return platformBearer(headers.authorization);
}

function platformBearer(authorization: string | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return match && match[1].startsWith(API_KEY_PREFIX) ? match[1] : undefined;
}

/**
 * Removes our session cookie (and the Access token) so the tenant never sees a token it could replay. A
 * cookie's name is read the way readCookie() (cookies.ts) reads it, trimmed: `dormer_session =t` is a
 * session the supervisor accepts, so it must not reach the tenant either.
 */
function withoutSessionCookie(cookie: string): string {
  return cookie
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c && !CREDENTIAL_COOKIES.has(c.split("=", 1)[0].trim()))
    .join("; ");
}

export function upstreamHeaders(
  incoming: IncomingHttpHeaders,
  identity: Identity,
  client: { ip: string; proto: string },
  upgrade = false,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const connectionTokens = String(incoming.connection ?? "").toLowerCase().split(",").map((t) => t.trim());
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    if (IDENTITY_HEADERS.has(name) || name.startsWith("x-dormer-")) continue;
    // An API key is the platform's credential: the tenant never sees one it could replay.
    if (name === "x-api-key" || (name === "authorization" && platformBearer(String(value)) !== undefined)) continue;
    if (HOP_BY_HOP.has(name) || connectionTokens.includes(name)) continue;
    if (name === "cookie") {
      const rest = withoutSessionCookie(String(value));
      if (rest) out.cookie = rest;
      continue;
    }
    out[name] = value;
  }
  if (upgrade) {
    out.connection = "Upgrade";
    out.upgrade = String(incoming.upgrade ?? "websocket");
  }
  out["x-user-id"] = identity.user;
  out["x-tenant-id"] = identity.tenant;
  out["x-forwarded-for"] = client.ip;
  out["x-forwarded-proto"] = client.proto;
  if (incoming.host) out["x-forwarded-host"] = incoming.host;
  return out;
}

/**
 * The name a browser will send a `Set-Cookie` value back under. A nameless cookie (`Set-Cookie:
 * =dormer_session=x`, or no `=` at all) comes back as its bare value, `dormer_session=x`, which reads as
 * our cookie: it is judged by that.
 */
function returnedName(setCookie: string): string {
  const pair = setCookie.split(";", 1)[0];
  const eq = pair.indexOf("=");
  const name = eq === -1 ? "" : pair.slice(0, eq).trim();
  const sent = name ? pair.trim() : (eq === -1 ? pair : pair.slice(eq + 1)).trim();
  return sent.split("=", 1)[0].trim();
}

/**
 * A tenant's response headers as the client may see them: its `Set-Cookie` headers for the platform's
 * credential cookies are dropped, so a tenant can neither plant nor clear a session on its origin.
 */
export function downstreamHeaders(upstream: IncomingHttpHeaders): IncomingHttpHeaders {
  const out = { ...upstream };
  const cookies = upstream["set-cookie"]?.filter((c) => !CREDENTIAL_COOKIES.has(returnedName(c)));
  if (cookies?.length) out["set-cookie"] = cookies;
  else delete out["set-cookie"];
  return out;
}

/**
 * The head of a tenant's answer to an upgrade (a WebSocket's 101), raw lines as the tenant sent them, with the
 * same rule for its `Set-Cookie` lines as downstreamHeaders: the tunnel carries bytes, so it is filtered here.
 */
export function downstreamUpgradeHead(head: string): string {
  const [status, ...lines] = head.split("\r\n");
  const kept = lines.filter((line) => {
    const colon = line.indexOf(":");
    if (colon === -1 || line.slice(0, colon).trim().toLowerCase() !== "set-cookie") return true;
    return !CREDENTIAL_COOKIES.has(returnedName(line.slice(colon + 1)));
  });
  return [status, ...kept].join("\r\n");
}
