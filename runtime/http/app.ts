import * as http from "http";
import type { Duplex } from "stream";
import express from "express";
import type { NextFunction, Request, Response } from "express";
import type { Redis } from "ioredis";
import { Activity } from "../wake/activity";
import { adminRouter } from "./admin";
import { apiKeyRouter } from "./api-key-routes";
import { operatorRouter } from "./operator-routes";
import { AdminSessions } from "../sessions/admin-sessions";
import { signInRouter, tenantAuthRouter } from "./auth-routes";
import { requireAdmin } from "./admin-auth";
import { LiveDirectory } from "../engine/directory";
import { DeclaredTenant, Engine } from "../engine/engine";
import { ApiKeyThrottledError, DormerError, ReplacementTimeoutError, toHttp } from "../errors";
import { ConnectionLimiter } from "./connections";
import { Drain } from "./drain";
import { ClientAddresses } from "./client-address";
import { identify, ofCurrentKey, wantsHtml } from "./gate";
import { Descriptors } from "../observe/descriptors";
import { checkHealth } from "../observe/health";
import { Identity, IdentitySource } from "../identity/identity";
import { log } from "../observe/log";
import { Metrics } from "../observe/metrics";
import { waitingPage } from "../pages/waiting";
import { Origins, PLATFORM_PREFIX, safeNext } from "./origins";
import { pageHeaders, pageSender } from "./page-headers";
import { TenantProxy } from "./proxy";
import { atPort, portOrigins, portToServe } from "./tenant-ports";
import { wakeTiming } from "./server-timing";
import { DailyQuota } from "../wake/quota";
import { ApiKeys } from "../sessions/api-keys";
import { KeyedTunnels } from "../sessions/keyed-tunnels";
import { LoginThrottle } from "../sessions/login-throttle";
import { Sessions } from "../sessions/sessions";
import { SignInCodes } from "../sessions/sign-in-codes";
import { Holds } from "../wake/hold";
import { readyThroughReplacement } from "../wake/replacement";
import { WakeLock } from "../wake/wake-lock";
import { Waker } from "../wake/waker";
import { WatchdogHistory } from "../wake/watchdog-history";
import { TenantEvents } from "../observe/tenant-events";
import { UsageLedger } from "../observe/usage";
import { daysAsked, usageReport } from "./usage-report";
import { DiskWatch } from "../observe/disk-watch";
import { SUPERVISOR_KEEPALIVE_MS } from "./keep-alive";

export interface AppDeps {
  stack: string;
  adminToken: string;
  adminSessions: AdminSessions;
  redis: Redis;
  engine: Engine;
  directory: LiveDirectory;
  sessions: Sessions;
  signInCodes: SignInCodes;
  origins: Origins;
  identity: IdentitySource;
  waker: Waker;
  proxy: TenantProxy;
  connections: ConnectionLimiter;
  activity: Activity;
  quota: DailyQuota;
  usage: UsageLedger;
  events: TenantEvents;
  usageRetentionDays: number;
  lock: WakeLock;
  holds: Holds;
  metrics: Metrics;
  watchdogHistory: WatchdogHistory;
  descriptors: Descriptors;
  clients: ClientAddresses;
  loginThrottle: LoginThrottle;
  apiKeys: ApiKeys;
  apiKeyThrottle: LoginThrottle;
  disk: DiskWatch;
  keyedTunnels: KeyedTunnels;
  drain: Drain;
}

function sendError(res: Response, err: unknown): void {
  if (!(err instanceof DormerError)) log.error("request failed", { error: String((err as Error)?.stack ?? err) });
  const { status, body } = toHttp(err);
  if (err instanceof ApiKeyThrottledError && !res.headersSent) res.set("Retry-After", String(err.retryAfterSeconds));
  if (!res.headersSent) res.status(status).json(body);
  else res.destroy();
}

/**
 * The supervisor's HTTP surface, chosen by Host: the platform's origin (health, admin API, sign-in) or a
 * tenant's origin (`/_dormer/` for the platform, everything else proxied to that tenant).
 */
export function createServer(deps: AppDeps): http.Server {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", false);
  // First, before any route answers: during a drain every answer closes its connection.
  app.use((_req, res, next) => {
    deps.drain.track(res);
    next();
  });
  const wrap = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch((err) => sendError(res, err));
  };

  /**
   * The declared tenant a proven identity may reach; a tenant that left tenants.yaml is reachable no more,
   * and one whose container came back (replaced) with another key is not reached by its old key's sessions.
   * With hold, a request for a tenant whose container was removed a moment ago waits for the new one
   * (`dormer up` deletes a container before it creates its replacement), up to its wake timeout.
   */
  const tenantOf = async (identity: Identity, hold = false): Promise<DeclaredTenant | undefined> => {
    if (!deps.directory.get(identity.tenant)) await deps.directory.refresh();
    let declared = deps.directory.get(identity.tenant);
    const gone = hold && !declared ? deps.directory.departed(identity.tenant) : undefined;
    if (gone) {
      declared = await deps.directory.replacement(identity.tenant, Date.now() + gone.wakeTimeoutSeconds * 1000);
      if (!declared) throw new ReplacementTimeoutError(identity.tenant, gone.wakeTimeoutSeconds);
    }
    return declared && ofCurrentKey(declared, identity) ? declared : undefined;
  };

  const platform = express.Router();
  const site = express.Router();
  const sendPage = pageSender(deps.origins);
  const auth = { ...deps, sendPage };

  // Nothing on the platform's origin is a tenant's, so every answer there gets the pages' headers.
  const platformHeaders = pageHeaders(deps.origins);
  platform.use((_req, res, next) => {
    res.set(platformHeaders);
    next();
  });

  // The container's health check asks /live: out of descriptors, or without Docker or Redis, this
  // supervisor serves no tenant, so it must not pass for alive; nor while it drains, on its way out.
  const health = (answer: (ok: boolean) => Record<string, unknown>) => wrap(async (_req, res) => {
    const report = await checkHealth(deps.redis, deps.engine, deps.directory, deps.descriptors, deps.drain.draining);
    const { status, time: _time, tenants: _tenants, ...checks } = report;
    res.status(status === "ok" ? 200 : 503).json({ ...answer(status === "ok"), ...checks });
  });
  platform.get("/live", health((ok) => ({ live: ok })));
  platform.get("/ready", health((ok) => ({ ready: ok })));
  platform.get("/health", wrap(async (_req, res) => {
    const report = await checkHealth(deps.redis, deps.engine, deps.directory, deps.descriptors, deps.drain.draining);
    res.status(report.status === "ok" ? 200 : 503).json(report);
  }));
  platform.get("/metrics", requireAdmin(deps.adminToken), wrap(async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  }));
  platform.use("/admin", operatorRouter(deps, wrap));
  platform.use("/admin", adminRouter(deps));

  // The platform's origin: health, metrics, admin API and sign-in; no tenant is ever served here.
  platform.use(signInRouter(auth, wrap));
  platform.use((_req, res) => {
    res.status(404).json({ error: "not_found", message: `tenants are served on their own origins, ${deps.origins.tenantOrigin("<id>")}` });
  });

  /**
   * Proves who is asking on a tenant's origin, or answers for them: sign-in redirect for browsers, 401
   * otherwise; on a port's host name, a port the tenant does not declare is refused (PortNotDeclaredError).
   */
  const gate = async (req: Request, res: Response): Promise<{ identity: Identity; tenant: DeclaredTenant } | undefined> => {
    const hostTenant = res.locals.tenant as string;
    const port = res.locals.port as number | undefined;
    const returnHost = (res.locals.ownHost as string | undefined) ?? (port === undefined ? undefined : deps.origins.portHost(hostTenant, port));
    const { identity, setCookies } = await identify(req, deps, hostTenant);
    for (const cookie of setCookies) res.append("Set-Cookie", cookie);
    if (!identity) {
      // On a tenant's own host name or a port's, the sign-in comes back there: its session cookie is that origin's.
      const back = { tenant: hostTenant, next: safeNext(req.originalUrl), ...(returnHost ? { host: returnHost } : {}) };
      const login = deps.identity.login
        ? deps.origins.platformUrl(`/auth/login?${new URLSearchParams(back)}`)
        : undefined;
      if (wantsHtml(req) && login) res.redirect(302, login);
      else res.status(401).json({ error: "unauthenticated", message: "sign in first", login: login && deps.origins.platformUrl("/auth/login") });
      return undefined;
    }
    const tenant = await tenantOf(identity, true);
    if (!tenant) {
      res.status(403).json({ error: "tenant_unknown", message: `tenant ${identity.tenant} is not declared` });
      return undefined;
    }
    // Before any wake or quota: a port the tenant does not declare is refused to its own members too.
    portToServe(deps.origins, tenant, port);
    return { identity, tenant };
  };

  // A tenant's origin: /_dormer/ is the platform's, everything else is the tenant's.
  site.use(tenantAuthRouter(auth, wrap));
  site.use(apiKeyRouter(deps, wrap));
  site.get("/_dormer/status", wrap(async (req, res) => {
    const { identity, setCookies } = await identify(req, deps, res.locals.tenant as string);
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
      tenantState: tenant ? await tenantState(deps, tenant) : "asleep",
      wakeError: tenant ? deps.waker.lastError(tenant.id) : undefined,
      // The container port this origin reaches, and every extra port with the origin it is reached on.
      port: tenant ? portToServe(deps.origins, tenant, res.locals.port as number | undefined) : undefined,
      ports: tenant ? portOrigins(deps.origins, tenant) : [],
    });
  }));
  // A tenant's members see what it used and what is left of today's quota (never another tenant's).
  site.get("/_dormer/usage", wrap(async (req, res) => {
    const who = await gate(req, res);
    if (!who) return;
    res.set("Cache-Control", "no-store");
    res.json(await usageReport(deps, who.tenant, daysAsked(req.query.days, deps.usageRetentionDays)));
  }));
  site.post("/_dormer/warmup", wrap(async (req, res) => {
    const who = await gate(req, res);
    if (!who) return;
    deps.waker.kick(who.tenant);
    deps.activity.touch(who.tenant.id);
    res.status(202).json({ tenant: who.tenant.id, state: deps.waker.isAwake(who.tenant.id) ? "awake" : "waking" });
  }));
  site.use(PLATFORM_PREFIX, (_req, res) => {
    res.status(404).json({ error: "not_found", message: `${PLATFORM_PREFIX} is reserved for the platform` });
  });

  site.use(wrap(async (req, res) => {
    const who = await gate(req, res);
    if (!who) return;
    const { identity, tenant } = who;
    if (!deps.waker.isAwake(tenant.id)) {
      if (req.headers["x-dormer-wake"] === "manual") {
        // For clients that would rather wake the tenant themselves (POST /_dormer/warmup) than be held.
        res.status(401).set("X-Wake-Required", "1").json({ error: "wake_required", message: `tenant ${tenant.id} is asleep; POST /_dormer/warmup` });
        return;
      }
      // A light wake takes milliseconds: a page is held for it, as any request is, not sent the waiting page.
      if (wantsHtml(req) && (await tenantState(deps, tenant)) !== "paused") {
        deps.waker.kick(tenant);
        res.set({ "Retry-After": "1", "Cache-Control": "no-store" });
        sendPage(res, 503, waitingPage(tenant.displayName));
        return;
      }
    }
    res.on("close", deps.connections.claim(tenant, "http"));
    // Charged only for requests that reach the tenant, not for waiting pages or wake-required answers.
    await deps.quota.charge(tenant);
    deps.usage.add(tenant.id, "requests", 1);
    // In flight from here (held while the tenant wakes included) until the response is done or the client
    // leaves: no reaper, on any supervisor, stops the tenant meanwhile.
    deps.activity.requestStarted(tenant.id);
    res.once("close", () => deps.activity.requestEnded(tenant.id));
    const client = deps.clients.of(req);
    const serve = async (resent: boolean): Promise<void> => {
      const { tenant: serving, ready } = await readyThroughReplacement(deps.waker, deps.directory, tenant);
      // A replacement's declaration decides again: it may have dropped the port.
      const address = atPort(ready.address, portToServe(deps.origins, serving, res.locals.port as number | undefined));
      // Sent once more, at most: the first attempt found the app gone before it read the request.
      const again = resent ? undefined : () => void serve(true).catch((err) => sendError(res, err));
      deps.proxy.forward(req, res, serving, identity, address, client, wakeTiming(ready), again);
    };
    await serve(false);
  }));

  app.use((req, res, next) => {
    const origin = deps.origins.of(req.headers.host);
    if (origin.kind === "platform") {
      platform(req, res, next);
    } else if (origin.kind === "tenant") {
      res.locals.tenant = origin.tenant;
      res.locals.ownHost = origin.ownHost;
      res.locals.port = origin.port;
      site(req, res, next);
    } else {
      res.status(421).json({ error: "unknown_host", message: "no site of this platform is served at this host name" });
    }
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => sendError(res, err));

  const server = http.createServer(app);
  server.keepAliveTimeout = SUPERVISOR_KEEPALIVE_MS;
  // A request's headers may arrive on a connection idle that long: Node wants this bound above it.
  server.headersTimeout = SUPERVISOR_KEEPALIVE_MS + 1000;
  deps.drain.watch(server);
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(deps, tenantOf, req, socket, head);
  });
  return server;
}

/** awake (known to answer here), paused (light sleep) or asleep (stopped, or up but not yet answering). */
async function tenantState(deps: AppDeps, tenant: DeclaredTenant): Promise<"awake" | "paused" | "asleep"> {
  if (deps.waker.isAwake(tenant.id)) return "awake";
  return (await deps.engine.state(tenant))?.paused ? "paused" : "asleep";
}

async function upgrade(
  deps: AppDeps,
  tenantOf: (identity: Identity, hold: boolean) => Promise<DeclaredTenant | undefined>,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const refuse = (status: number, body?: Record<string, unknown>) => {
    const json = body ? JSON.stringify(body) : "";
    const type = body ? "Content-Type: application/json\r\n" : "";
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
  };
  let release: (() => void) | undefined;
  let watch: { signal: AbortSignal; done: () => void } | undefined;
  try {
    const origin = deps.origins.of(req.headers.host);
    // A departing supervisor opens no tunnel it would close at once; the gateway sends the 503 elsewhere.
    if (deps.drain.draining) return refuse(503, { error: "draining", message: "this supervisor is restarting; try again" });
    if (origin.kind !== "tenant") return refuse(origin.kind === "unknown" ? 421 : 404);
    if (String(req.url ?? "").startsWith(PLATFORM_PREFIX)) return refuse(404);
    const { identity, apiKey } = await identify(req, deps, origin.tenant);
    if (!identity) return refuse(401);
    const declared = await tenantOf(identity, true);
    if (!declared) return refuse(403);
    // As gate(): an undeclared port is refused before any connection, quota or wake.
    portToServe(deps.origins, declared, origin.port);
    release = deps.connections.claim(declared, "websocket");
    await deps.quota.charge(declared);
    deps.usage.add(declared.id, "requests", 1);
    const { tenant, ready } = await readyThroughReplacement(deps.waker, deps.directory, declared);
    const address = atPort(ready.address, portToServe(deps.origins, tenant, origin.port));
    deps.activity.socketOpened(tenant.id);
    watch = apiKey === undefined ? undefined : deps.keyedTunnels.watch(apiKey);
    await deps.proxy.upgrade(req, socket, head, tenant, identity, address, deps.clients.of(req), wakeTiming(ready), watch?.signal);
    deps.activity.socketClosed(tenant.id);
  } catch (err) {
    const { status, body } = toHttp(err);
    refuse(status, body);
  } finally {
    release?.();
    watch?.done();
  }
}
