import type { IncomingMessage } from "http";
import { Identity, IdentitySource } from "./identity/identity";
import { SessionRejectedError, Sessions } from "./sessions";

export interface Identified {
  /** Undefined when nobody is proven. */
  identity?: Identity;
  /** Set-Cookie values to send back: a re-issued session, or a first one after Access proved who it is. */
  setCookies: string[];
}

/**
 * Who is asking: a valid session cookie, else whatever the identity source proves from the request itself
 * (Cloudflare Access), which then gets a session. When the session store is down this throws (fail closed:
 * never treat an unverifiable session as good).
 */
export async function identify(req: IncomingMessage, sessions: Sessions, source: IdentitySource): Promise<Identified> {
  const setCookies: string[] = [];
  const token = sessions.fromRequest(req);
  if (token) {
    try {
      const session = await sessions.verify(token);
      if (session.refreshed) setCookies.push(session.refreshed.cookie);
      return { identity: session.identity, setCookies };
    } catch (err) {
      if (!(err instanceof SessionRejectedError)) throw err;
      setCookies.push(sessions.clearCookie());
    }
  }
  const proven = source.fromRequest ? await source.fromRequest(req) : null;
  if (!proven) return { setCookies };
  const issued = await sessions.issue(proven);
  return { identity: proven, setCookies: [issued.cookie] };
}

export function clientOf(req: IncomingMessage): { ip: string; proto: string } {
  // Only the gateway talks to the supervisor; it sets X-Real-IP and X-Forwarded-Proto from what it saw.
  const realIp = req.headers["x-real-ip"];
  const proto = req.headers["x-forwarded-proto"];
  return {
    ip: (typeof realIp === "string" && realIp) || req.socket.remoteAddress || "",
    proto: (typeof proto === "string" && proto) || "http",
  };
}

export function wantsHtml(req: IncomingMessage): boolean {
  return (req.method === "GET" || req.method === "HEAD") && String(req.headers.accept ?? "").includes("text/html");
}
