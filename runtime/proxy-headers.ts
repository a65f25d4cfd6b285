import type { IncomingHttpHeaders } from "http";
import { Identity } from "./identity/identity";
import { SESSION_COOKIE } from "./session-cookie";

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
