import * as crypto from "crypto";
import type { NextFunction, Request, Response } from "express";
import { AdminSessions } from "../sessions/admin-sessions";

const digest = (value: string) => crypto.createHash("sha256").update(value).digest();

/** Is this the admin token? Constant time: digests of equal length, so neither value nor length leaks. */
export function isAdminToken(expected: string): (given: string) => boolean {
  const want = digest(expected);
  return (given) => given.length > 0 && crypto.timingSafeEqual(digest(given), want);
}

/**
 * The operator's page calls the admin API with its cookie; a change it asks for carries this header, which
 * a page of another site cannot send without a CORS preflight the supervisor never grants.
 */
export const ADMIN_PAGE_HEADER = "x-dormer-admin";

/**
 * Bearer admin token, or (for the operator's page, when `sessions` is given) a live admin session cookie
 * on a same-origin request; a cookie-borne change must also carry ADMIN_PAGE_HEADER. Nothing under
 * /admin, nor /metrics, answers otherwise.
 */
export function requireAdmin(token: string, sessions?: AdminSessions) {
  const matches = isAdminToken(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization ?? "";
    // The auth scheme is case-insensitive (RFC 9110 11.1).
    if (matches(/^bearer /i.test(header) ? header.slice(7) : "")) return next();
    const refuse = () =>
      res.status(401).set("WWW-Authenticate", 'Bearer realm="dormer-admin"').json({ error: "unauthorized", message: "a valid admin bearer token is required" });
    if (!sessions || header) return void refuse();
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") return void refuse();
    sessions.verify(req.headers.cookie).then(
      (ok) => {
        if (!ok) refuse();
        else if (req.method !== "GET" && req.method !== "HEAD" && req.headers[ADMIN_PAGE_HEADER] !== "1") {
          res.status(403).json({ error: "forbidden", message: `a change from the operator's page must carry ${ADMIN_PAGE_HEADER}: 1` });
        } else next();
      },
      next,
    );
  };
}
