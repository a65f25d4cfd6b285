import * as http from "http";
import type { Duplex } from "stream";
import express from "express";
import type { NextFunction, Request, Response } from "express";
import type { Redis } from "ioredis";
import { Activity } from "./activity";
import { adminRouter } from "./admin";
import { requireAdmin } from "./admin-auth";
import { TenantDirectory } from "./directory";
import { DeclaredTenant, Engine } from "./engine/engine";
import { DormerError, toHttp } from "./errors";
import { clientOf, identify, wantsHtml } from "./gate";
import { checkHealth } from "./health";
import { Identity, IdentitySource } from "./identity/identity";
import { log } from "./log";
import { Metrics } from "./metrics";
import { loginPage } from "./pages/login";
import { waitingPage } from "./pages/waiting";
import { TenantProxy } from "./proxy";
import { DailyQuota } from "./quota";
import { SessionRejectedError, Sessions } from "./sessions";
import { WakeLock } from "./wake-lock";
import { Waker } from "./waker";

export interface AppDeps {
  adminToken: string;
  redis: Redis;
  engine: Engine;
  directory: TenantDirectory & { refresh(): Promise<void> };
  sessions: Sessions;
  identity: IdentitySource;
  waker: Waker;
  proxy: TenantProxy;
  activity: Activity;
  quota: DailyQuota;
  lock: WakeLock;
  metrics: Metrics;
}

function sendError(res: Response, err: unknown): void {
  if (!(err instanceof DormerError)) log.error("request failed", { error: String((err as Error)?.stack ?? err) });
  const { status, body } = toHttp(err);
  if (!res.headersSent) res.status(status).json(body);
  else res.destroy();
}

/** The supervisor's HTTP surface: its own routes first, everything else proxied to the caller's tenant. */
export function createServer(deps: AppDeps): http.Server {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch((err) => sendError(res, err));
  };

  /** The declared tenant a proven identity may reach; a tenant that left tenants.yaml is reachable no more. */
  const tenantOf = async (identity: Identity): Promise<DeclaredTenant | undefined> => {
    if (!deps.directory.get(identity.tenant)) await deps.directory.refresh();
    return deps.directory.get(identity.tenant);
  };

  app.get("/live", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/ready", wrap(async (_req, res) => {
    const report = await checkHealth(deps.redis, deps.engine, deps.directory);
    res.status(report.status === "ok" ? 200 : 503).json({ ready: report.status === "ok" });
  }));
  app.get("/health", wrap(async (_req, res) => {
    const report = await checkHealth(deps.redis, deps.engine, deps.directory);
    res.status(report.status === "ok" ? 200 : 503).json(report);
  }));
  app.get("/metrics", requireAdmin(deps.adminToken), wrap(async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  }));
  app.use("/admin", adminRouter(deps));

  const body = [express.json({ limit: "16kb" }), express.urlencoded({ extended: false, limit: "16kb" })];
  app.get("/auth/login", (_req, res) => {
    res.type("html").send(loginPage());
  });
  app.post("/auth/login", ...body, wrap(async (req, res) => {
    const fromForm = Boolean(req.is("urlencoded"));
    const login = deps.identity.login?.bind(deps.identity);
    let identity = login ? await login(req.body) : null;
    if (login && !identity) {
      // A tenant declared a moment ago may not be known yet. Every failed login re-reads (concurrent reads
      // are shared), so an unknown tenant and a wrong key still cost the same.
      await deps.directory.refresh();
      identity = await login(req.body);
    }
    if (!identity) {
      // The same answer whichever part was wrong.
      if (fromForm) res.status(401).type("html").send(loginPage("Unknown tenant or wrong key."));
      else res.status(401).json({ error: "unauthorized", message: "unknown tenant or wrong key" });
      return;
    }
    const issued = await deps.sessions.issue(identity);
    res.append("Set-Cookie", issued.cookie);
    log.info("login", { tenant: identity.tenant, user: identity.user });
    if (fromForm) res.redirect(303, "/");
    else res.json({ tenant: identity.tenant, user: identity.user, expiresAt: issued.expiresAt.toISOString() });
  }));
  app.post("/auth/logout", wrap(async (req, res) => {
    const token = deps.sessions.fromRequest(req);
    if (token) {
      // A rejected token has nothing to revoke; a store outage must fail (503), never pretend to log out.
      const session = await deps.sessions.verify(token).catch((err) => {
        if (err instanceof SessionRejectedError) return undefined;
        throw err;
      });
      if (session) await deps.sessions.revoke(session.jti);
    }
    res.append("Set-Cookie", deps.sessions.clearCookie()).json({ loggedOut: true });
  }));

  /** Proves who is asking, or answers for them: login redirect for browsers, 401 for API clients. */
  const gate = async (req: Request, res: Response): Promise<{ identity: Identity; tenant: DeclaredTenant } | undefined> => {
    const { identity, setCookies } = await identify(req, deps.sessions, deps.identity);
    for (const cookie of setCookies) res.append("Set-Cookie", cookie);
    if (!identity) {
      if (wantsHtml(req) && deps.identity.login) res.redirect(302, "/auth/login");
      else res.status(401).json({ error: "unauthenticated", message: "sign in first", login: deps.identity.login ? "/auth/login" : undefined });
      return undefined;
    }
    const tenant = await tenantOf(identity);
    if (!tenant) {
      res.status(403).json({ error: "tenant_unknown", message: `tenant ${identity.tenant} is not declared` });
      return undefined;
    }
    return { identity, tenant };
  };

  app.get("/session/status", wrap(async (req, res) => {
    const { identity, setCookies } = await identify(req, deps.sessions, deps.identity);
    for (const cookie of setCookies) res.append("Set-Cookie", cookie);
    res.set("Cache-Control", "no-store");
    if (!identity) {
      res.status(401).json({ authenticated: false });
      return;
    }
    const tenant = await tenantOf(identity);
    res.json({
      authenticated: true,
      tenant: identity.tenant,
      user: identity.user,
      tenantState: tenant && deps.waker.isAwake(tenant.id) ? "awake" : "asleep",
      wakeError: tenant ? deps.waker.lastError(tenant.id) : undefined,
    });
  }));
  app.post("/warmup", wrap(async (req, res) => {
    const who = await gate(req, res);
    if (!who) return;
    deps.waker.kick(who.tenant);
    deps.activity.touch(who.tenant.id);
    res.status(202).json({ tenant: who.tenant.id, state: deps.waker.isAwake(who.tenant.id) ? "awake" : "waking" });
  }));

  app.use(wrap(async (req, res) => {
    const who = await gate(req, res);
    if (!who) return;
    const { identity, tenant } = who;
    if (!deps.waker.isAwake(tenant.id)) {
      if (req.headers["x-dormer-wake"] === "manual") {
        // For clients that would rather wake the tenant themselves (POST /warmup) than be held.
        res.status(401).set("X-Wake-Required", "1").json({ error: "wake_required", message: `tenant ${tenant.id} is asleep; POST /warmup` });
        return;
      }
      if (wantsHtml(req)) {
        deps.waker.kick(tenant);
        res.status(503).set({ "Retry-After": "1", "Cache-Control": "no-store" }).type("html").send(waitingPage(tenant.displayName));
        return;
      }
    }
    // Charged only for requests that reach the tenant, not for waiting pages or wake-required answers.
    await deps.quota.charge(tenant);
    const address = await deps.waker.ready(tenant);
    deps.activity.touch(tenant.id);
    deps.proxy.forward(req, res, tenant, identity, address, clientOf(req));
  }));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => sendError(res, err));

  const server = http.createServer(app);
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(deps, tenantOf, req, socket, head);
  });
  return server;
}

async function upgrade(
  deps: AppDeps,
  tenantOf: (identity: Identity) => Promise<DeclaredTenant | undefined>,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const refuse = (status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  try {
    const { identity } = await identify(req, deps.sessions, deps.identity);
    if (!identity) return refuse(401, "Unauthorized");
    const tenant = await tenantOf(identity);
    if (!tenant) return refuse(403, "Forbidden");
    await deps.quota.charge(tenant);
    const address = await deps.waker.ready(tenant);
    deps.activity.socketOpened(tenant.id);
    await deps.proxy.upgrade(req, socket, head, tenant, identity, address, clientOf(req));
    deps.activity.socketClosed(tenant.id);
  } catch (err) {
    const { status } = toHttp(err);
    refuse(status, http.STATUS_CODES[status] ?? "Error");
  }
}
