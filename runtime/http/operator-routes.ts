import { createHash } from "crypto";
import express, { Router } from "express";
import type { Request, Response } from "express";
import { log } from "../observe/log";
import { OPERATOR_SCRIPT, OPERATOR_STYLE, adminSignInPage, operatorPage } from "../pages/operator";
import { AdminSessions } from "../sessions/admin-sessions";
import { LoginThrottle } from "../sessions/login-throttle";
import { isAdminToken } from "./admin-auth";
import { ClientAddresses } from "./client-address";

export interface OperatorDeps {
  stack: string;
  adminToken: string;
  adminSessions: AdminSessions;
  loginThrottle: LoginThrottle;
  clients: ClientAddresses;
}

// Not a tenant id (those are DNS labels): the operator's sign-in has a throttle of its own.
const THROTTLE_KEY = "~admin";
const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
const HEADERS = {
  "Content-Security-Policy": [
    "default-src 'none'",
    `style-src ${hash(OPERATOR_STYLE)}`,
    `script-src ${hash(OPERATOR_SCRIPT)}`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

/**
 * The operator's page at /admin/: the admin token buys a session cookie scoped to /admin, with which the
 * page reads and acts through the admin API. Mounted before the admin API's own token check.
 */
export function operatorRouter(deps: OperatorDeps, wrap: (fn: (req: Request, res: Response) => Promise<void>) => express.RequestHandler): Router {
  const router = Router();
  const matches = isAdminToken(deps.adminToken);
  const send = (res: Response, status: number, html: string) => res.status(status).set(HEADERS).type("html").send(html);

  router.get("/", wrap(async (req, res) => {
    // /admin without the slash: the page's links and fetches are absolute, but one address is tidier.
    if (!req.originalUrl.split("?")[0].endsWith("/")) {
      res.redirect(301, "/admin/");
      return;
    }
    send(res, 200, (await deps.adminSessions.verify(req.headers.cookie)) ? operatorPage(deps.stack) : adminSignInPage());
  }));
  router.post("/sign-in", express.urlencoded({ extended: false, limit: "2kb" }), wrap(async (req, res) => {
    const from = deps.clients.of(req).ip;
    const attempt = await deps.loginThrottle.attempt(THROTTLE_KEY, from);
    if (!attempt.allowed) {
      log.warn("admin sign-in throttled", { from, retryAfterSeconds: attempt.retryAfterSeconds });
      res.set("Retry-After", String(attempt.retryAfterSeconds));
      send(res, 429, adminSignInPage(`Too many failed sign-ins; try again in ${attempt.retryAfterSeconds} s.`));
      return;
    }
    const token = typeof req.body?.token === "string" ? req.body.token : "";
    if (!matches(token)) {
      log.warn("admin sign-in failed", { from });
      send(res, 401, adminSignInPage("That is not this stack's admin token."));
      return;
    }
    await attempt.succeeded();
    log.info("admin sign-in", { who: "admin-token", from });
    res.set("Cache-Control", "no-store").append("Set-Cookie", await deps.adminSessions.issue()).redirect(303, "/admin/");
  }));
  router.post("/sign-out", wrap(async (req, res) => {
    log.info("admin sign-out", { from: deps.clients.of(req).ip });
    res.append("Set-Cookie", await deps.adminSessions.revoke(req.headers.cookie)).redirect(303, "/admin/");
  }));
  return router;
}
