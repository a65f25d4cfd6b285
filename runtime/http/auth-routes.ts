import { Router } from "express";
import express from "express";
import type { Request, Response } from "express";
import { TenantDirectory } from "../engine/directory";
import { IdentitySource } from "../identity/identity";
import { log } from "../observe/log";
import { loginPage } from "../pages/login";
import { signedInPage, signedOutPage, signInFailedPage } from "../pages/sign-in";
import { LoginThrottle } from "../sessions/login-throttle";
import { SessionRejectedError, Sessions } from "../sessions/sessions";
import { SignInCodes } from "../sessions/sign-in-codes";
import { ClientAddresses } from "./client-address";
import { fromAnotherSite } from "./gate";
import { Origins, safeNext } from "./origins";
import { SendPage } from "./page-headers";

export interface AuthDeps {
  directory: TenantDirectory & { refresh(): Promise<void> };
  sessions: Sessions;
  signInCodes: SignInCodes;
  identity: IdentitySource;
  origins: Origins;
  clients: ClientAddresses;
  loginThrottle: LoginThrottle;
  sendPage: SendPage;
}

type Handler = (req: Request, res: Response) => Promise<void>;
/** Turns a handler's failure into the app's one error answer. */
type Wrap = (fn: Handler) => (req: Request, res: Response) => void;

const body = [express.json({ limit: "16kb" }), express.urlencoded({ extended: false, limit: "16kb" })];
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/**
 * Sign-in on the platform's origin: the only place a tenant key is ever typed. A good key is answered with
 * a single-use code and the way to the tenant's origin, where the code becomes a session cookie.
 */
export function signInRouter(deps: AuthDeps, wrap: Wrap): Router {
  const router = Router();

  router.get("/", wrap(async (req, res) => {
    // Cloudflare Access proves who someone is on every request: send them straight to their tenant.
    const proven = deps.identity.fromRequest ? await deps.identity.fromRequest(req) : null;
    if (proven) res.redirect(303, deps.origins.tenantUrl(proven.tenant));
    else if (deps.identity.login) res.redirect(302, "/auth/login");
    else res.status(401).json({ error: "unauthenticated", message: "sign in through Cloudflare Access" });
  }));
  /**
   * A host name of the tenant's in the form (one it declared of its own, or a declared port's), to return
   * to after sign-in; anything else is dropped.
   */
  const returnHost = (tenant: string | undefined, host: unknown) => (tenant ? deps.origins.returnHostOf(tenant, host) : undefined);
  const formTarget = (host: string | undefined) => (host ? deps.origins.hostOrigin(host) : undefined);

  router.get("/auth/login", (req, res) => {
    res.set("Cache-Control", "no-store");
    const tenant = str(req.query.tenant);
    const host = returnHost(tenant, req.query.host);
    deps.sendPage(res, 200, loginPage({ tenant, next: safeNext(req.query.next), host }), formTarget(host));
  });
  router.post("/auth/login", ...body, wrap(async (req, res) => {
    const fromForm = Boolean(req.is("urlencoded"));
    const from = deps.clients.of(req).ip;
    // As typed (cut short): the audit line must say which tenant was tried, a made-up one included.
    const tenant = (str(req.body?.tenant) ?? "").slice(0, 128);
    const host = returnHost(str(req.body?.tenant), req.body?.host);
    const answerForm = (status: number, error: string) =>
      deps.sendPage(res, status, loginPage({ tenant: str(req.body?.tenant), next: safeNext(req.body?.next), host, error }), formTarget(host));
    const login = deps.identity.login?.bind(deps.identity);
    if (!login) {
      res.status(401).json({ error: "unauthenticated", message: "sign in through Cloudflare Access" });
      return;
    }
    // Claimed before the key is looked at: a throttled client learns nothing, a right key included.
    const attempt = await deps.loginThrottle.attempt(tenant, from);
    if (!attempt.allowed) {
      log.warn("login throttled", { tenant, from, bound: attempt.bound, retryAfterSeconds: attempt.retryAfterSeconds });
      const message = `too many failed sign-ins for this tenant${attempt.bound === "client" ? " from your address" : ""}; try again in ${attempt.retryAfterSeconds} s`;
      res.set("Retry-After", String(attempt.retryAfterSeconds));
      if (fromForm) answerForm(429, `Too many failed sign-ins; try again in ${attempt.retryAfterSeconds} s.`);
      else res.status(429).json({ error: "too_many_login_failures", message, retryAfterSeconds: attempt.retryAfterSeconds });
      return;
    }
    let result = await login(req.body);
    if ("refused" in result) {
      // A tenant declared a moment ago may not be known yet. Every failed login re-reads (concurrent reads
      // are shared), so an unknown tenant and a wrong key still cost the same.
      await deps.directory.refresh();
      result = await login(req.body);
    }
    if ("refused" in result) {
      // Never the key: the body is not logged, only the tenant as typed and why it failed.
      log.warn("login failed", { tenant, from, reason: result.refused });
      // The same answer whichever part was wrong.
      if (fromForm) answerForm(401, "Unknown tenant or wrong key.");
      else res.status(401).json({ error: "unauthorized", message: "unknown tenant or wrong key" });
      return;
    }
    const { identity } = result;
    await attempt.succeeded();
    const code = await deps.signInCodes.create({ identity, next: safeNext(req.body?.next) });
    // Back to the host name the sign-in started on when it is one of this tenant's, else its `<id>.<base>`.
    const callback = deps.origins.tenantUrl(identity.tenant, `/_dormer/auth/callback?code=${code}`, returnHost(identity.tenant, req.body?.host));
    log.info("login", { tenant: identity.tenant, user: identity.user, from });
    res.set("Cache-Control", "no-store");
    if (fromForm) res.redirect(303, callback);
    else res.json({ tenant: identity.tenant, user: identity.user, callback });
  }));
  return router;
}

/**
 * `/_dormer/auth/*` on a tenant's origin: the sign-in code becomes a host-only session cookie there, and
 * sign-out revokes it and wipes what the origin stored.
 */
export function tenantAuthRouter(deps: AuthDeps, wrap: Wrap): Router {
  const router = Router();
  const loginUrl = (tenant: string) => deps.origins.platformUrl(`/auth/login?tenant=${encodeURIComponent(tenant)}`);

  router.get("/_dormer/auth/callback", wrap(async (req, res) => {
    const tenant = res.locals.tenant as string;
    const json = !String(req.headers.accept ?? "").includes("text/html");
    // Consumed whatever happens next: a code shown to the wrong origin is burnt, not left to be retried.
    const signIn = await deps.signInCodes.consume(str(req.query.code) ?? "");
    res.set({ "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" });
    const port = res.locals.port as number | undefined;
    const found = signIn?.identity.tenant === tenant ? deps.directory.get(tenant) : undefined;
    // A port's host name gets a session only for a port the tenant declares: no cookie for an origin that serves nothing.
    const declared = found && (port === undefined || found.ports.includes(port)) ? found : undefined;
    if (!signIn || !declared) {
      const reason = !signIn ? "unknown, used or expired" : signIn.identity.tenant !== tenant ? "for another tenant" : !found ? "tenant not declared" : "for a port the tenant does not declare";
      log.warn("sign-in code rejected", { tenant, from: deps.clients.of(req).ip, reason });
      if (json) res.status(400).json({ error: "sign_in_code_invalid", message: "the sign-in code is unknown, used, expired or for another tenant", login: loginUrl(tenant) });
      else deps.sendPage(res, 400, signInFailedPage(loginUrl(tenant)));
      return;
    }
    const issued = await deps.sessions.issue(signIn.identity);
    res.append("Set-Cookie", issued.cookie);
    if (json) res.json({ tenant, user: signIn.identity.user, expiresAt: issued.expiresAt.toISOString() });
    else deps.sendPage(res, 200, signedInPage(declared.displayName, signIn.next));
  }));

  router.post("/_dormer/auth/logout", wrap(async (req, res) => {
    const tenant = res.locals.tenant as string;
    // Another site's page may not sign this tenant's user out.
    if (fromAnotherSite(req)) {
      res.status(403).json({ error: "cross_site", message: "sign out from the tenant's own pages" });
      return;
    }
    const users: string[] = [];
    for (const token of deps.sessions.allFromRequest(req)) {
      // A rejected token has nothing to revoke; a store outage must fail (503), never pretend to log out.
      const session = await deps.sessions.verify(token).catch((err) => {
        if (err instanceof SessionRejectedError) return undefined;
        throw err;
      });
      if (session?.identity.tenant !== tenant) continue;
      await deps.sessions.revoke(session.jti);
      users.push(session.identity.user);
    }
    log.info("logout", { tenant, from: deps.clients.of(req).ip, reason: users.length ? "signed out" : "no session to revoke", users, revoked: users.length });
    res.append("Set-Cookie", deps.sessions.clearCookie());
    // Whatever the tenant left in this origin (storage, caches, service workers) goes with the session. Not
    // "cookies": that would clear every cookie of the parent domain, other tenants' sessions too.
    res.set({ "Clear-Site-Data": '"cache", "storage"', "Cache-Control": "no-store" });
    if (req.is("urlencoded") || String(req.headers.accept ?? "").includes("text/html")) deps.sendPage(res, 200, signedOutPage(loginUrl(tenant)));
    else res.json({ loggedOut: true });
  }));
  return router;
}
