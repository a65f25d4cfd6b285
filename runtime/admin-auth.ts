import * as crypto from "crypto";
import type { NextFunction, Request, Response } from "express";

const digest = (value: string) => crypto.createHash("sha256").update(value).digest();

/**
 * Bearer admin token, compared in constant time (digests of equal length, so neither the value nor its
 * length leaks through timing). Nothing under /admin, nor /metrics, answers without it.
 */
export function requireAdmin(token: string) {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = req.headers.authorization ?? "";
    // The auth scheme is case-insensitive (RFC 9110 11.1).
    const given = /^bearer /i.test(header) ? header.slice(7) : "";
    if (!given || !crypto.timingSafeEqual(digest(given), expected)) {
      res.status(401).set("WWW-Authenticate", 'Bearer realm="dormer-admin"').json({ error: "unauthorized", message: "a valid admin bearer token is required" });
      return;
    }
    next();
  };
}
