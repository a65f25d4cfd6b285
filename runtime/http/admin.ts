import { Router } from "express";
import type { Request, Response } from "express";
import { Activity } from "../wake/activity";
import { requireAdmin } from "./admin-auth";
import { AdminSessions } from "../sessions/admin-sessions";
import { releaseHold, takeHold } from "./admin-hold";
import { ClientAddresses } from "./client-address";
import { ConnectionLimiter } from "./connections";
import { TenantDirectory } from "../engine/directory";
import { DeclaredTenant, Engine, UpState } from "../engine/engine";
import { DormerError, StoreUnavailableError, toHttp } from "../errors";
import { DiskWatch } from "../observe/disk-watch";
import { log } from "../observe/log";
import { ApiKeys } from "../sessions/api-keys";
import { Metrics } from "../observe/metrics";
import { Holds } from "../wake/hold";
import { WakeLock } from "../wake/wake-lock";
import { Waker } from "../wake/waker";
import { WatchdogHistory } from "../wake/watchdog-history";
import { TenantEvents } from "../observe/tenant-events";
import { UsageSources, daysAsked, usageReport } from "./usage-report";
import { Origins } from "./origins";
import { portOrigins } from "./tenant-ports";

export interface AdminDeps extends UsageSources {
  adminToken: string;
  /** The operator's page's sessions, accepted beside the bearer token. */
  adminSessions: AdminSessions;
  events: TenantEvents;
  engine: Engine;
  directory: TenantDirectory;
  waker: Waker;
  activity: Activity;
  connections: ConnectionLimiter;
  lock: WakeLock;
  holds: Holds;
  metrics: Metrics;
  watchdogHistory: WatchdogHistory;
  clients: ClientAddresses;
  apiKeys: ApiKeys;
  disk: DiskWatch;
  origins: Origins;
}

/** Tenants read at once for the overview: bounded, so a thousand tenants do not open a thousand store calls. */
const OVERVIEW_CONCURRENCY = 16;

function limits(t: DeclaredTenant) {
  return {
    plan: t.plan,
    idleTimeoutSeconds: t.idleTimeoutSeconds,
    lightSleepSeconds: t.lightSleepSeconds ?? null,
    dailyRequestQuota: t.dailyRequestQuota,
    maxHeldRequests: t.maxHeldRequests,
    wakeTimeoutSeconds: t.wakeTimeoutSeconds,
    maxConnections: t.maxConnections,
    requestTimeoutSeconds: t.requestTimeoutSeconds,
    egress: t.egress,
    diskMb: t.disk?.sizeMb ?? null,
  };
}

/** The admin API: list, status, wake, sleep, pause, hold, usage, events, logs, stats. It acts only on declared tenants. */
export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  router.use(requireAdmin(deps.adminToken, deps.adminSessions));
  /** Every admin action is logged with who (the admin token, from which client address) and what. */
  const audit = (req: Request, action: string, tenant?: string) =>
    log.info("admin action", { who: "admin-token", from: deps.clients.of(req).ip, action, tenant });

  const tenantOr404 = (req: Request, res: Response): DeclaredTenant | undefined => {
    const tenant = deps.directory.get(String(req.params.id));
    if (!tenant) res.status(404).json({ error: "unknown_tenant", message: `no tenant ${req.params.id} is declared` });
    return tenant;
  };
  /**
   * Runs a sleep-side action with the tenant's wake lock held, so no wake or reaper races it; answers 409 when
   * someone else holds it. Resolves to what the action did (false when it already answered with its refusal).
   */
  const underWakeLock = async (t: DeclaredTenant, res: Response, action: () => Promise<boolean>): Promise<boolean> => {
    if (!(await deps.lock.acquire(t.id, 30_000))) {
      res.status(409).json({ error: "busy", message: `tenant ${t.id} is being woken or put to sleep right now` });
      return false;
    }
    try {
      return await action();
    } finally {
      await deps.lock.release(t.id);
    }
  };
  const stateOf = (t: DeclaredTenant, up: Map<string, UpState>) => {
    const state = up.get(t.id);
    if (state === "paused") return "paused";
    return state ? (deps.waker.isAwake(t.id) ? "awake" : "running") : "asleep";
  };
  const status = async (t: DeclaredTenant, running: Map<string, UpState>, lastSeen: Map<string, number>) => ({
    id: t.id,
    displayName: t.displayName,
    state: stateOf(t, running),
    lastActivity: lastSeen.has(t.id) ? new Date(lastSeen.get(t.id)!).toISOString() : null,
    /** Open in this supervisor right now, out of limits.maxConnections. */
    connections: deps.connections.of(t.id),
    limits: limits(t),
    /** Its own host names, served as `<id>.<base>` is. */
    hostnames: t.hostnames,
    /** Its extra ports (tenants.yaml `ports`), each with the origin it is reached on. */
    ports: portOrigins(deps.origins, t),
    /** Its disk's last reading (usedBytes of capacityBytes, percent); null without a disk fence or before the first. */
    disk: deps.disk.reading(t.id) ?? null,
  });
  // Activity lives in Redis: while it is down, say so (503 naming the store), not a bare 500.
  const readLastSeen = () =>
    deps.activity.lastSeen().catch(() => {
      throw new StoreUnavailableError("the activity store (Redis)");
    });
  const guard = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await fn(req, res);
    } catch (err) {
      // A 500 tells the admin to see the supervisor's logs, so the cause must be there.
      if (!(err instanceof DormerError)) log.error("admin request failed", { path: req.path, error: String((err as Error)?.stack ?? err) });
      const { status: code, body } = toHttp(err);
      res.status(code).json(body);
    }
  };

  router.get("/tenants", guard(async (req, res) => {
    audit(req, "list");
    const [running, lastSeen] = await Promise.all([deps.engine.running(), readLastSeen()]);
    res.json({ tenants: await Promise.all(deps.directory.all().map((t) => status(t, running, lastSeen))) });
  }));
  // What the operator's page shows, in one call: every tenant's status, its last days and its recent events.
  // Not in the audit log: an open page asks every few seconds.
  router.get("/overview", guard(async (req, res) => {
    const days = daysAsked(req.query.days, deps.usageRetentionDays);
    const [running, lastSeen] = await Promise.all([deps.engine.running(), readLastSeen()]);
    const queue = [...deps.directory.all()];
    const tenants: unknown[] = [];
    await Promise.all(
      Array.from({ length: Math.min(OVERVIEW_CONCURRENCY, queue.length) }, async () => {
        for (let t = queue.shift(); t; t = queue.shift()) {
          const [report, events] = await Promise.all([usageReport(deps, t, days), deps.events.recent(t.id, 5)]);
          tenants.push({ ...(await status(t, running, lastSeen)), days: report.days, quota: report.quota, events });
        }
      }),
    );
    res.json({ tenants: (tenants as { id: string }[]).sort((a, b) => a.id.localeCompare(b.id)) });
  }));
  router.get("/tenants/:id", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "status", t.id);
    const [running, lastSeen, watchdogRestarts] = await Promise.all([deps.engine.running(), readLastSeen(), deps.watchdogHistory.recent(t.id)]);
    res.json({ ...(await status(t, running, lastSeen)), watchdogRestarts });
  }));
  router.post("/tenants/:id/wake", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "wake", t.id);
    await deps.waker.ready(t);
    deps.activity.touch(t.id);
    res.json({ id: t.id, state: "awake" });
  }));
  router.post("/tenants/:id/sleep", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "sleep", t.id);
    const slept = await underWakeLock(t, res, async () => {
      deps.waker.forget(t.id);
      await deps.engine.stop(t);
      deps.metrics.sleeps.inc({ tenant: t.id, reason: "admin" });
      deps.events.record(t.id, { type: "sleep", reason: "admin" });
      return true;
    });
    if (slept) res.json({ id: t.id, state: "asleep" });
  }));
  router.post("/tenants/:id/pause", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "pause", t.id);
    const paused = await underWakeLock(t, res, async () => {
      if ((await deps.engine.running()).get(t.id) === undefined) {
        res.status(409).json({ error: "not_running", message: `tenant ${t.id} is asleep (stopped); only a running tenant can be paused` });
        return false;
      }
      deps.waker.forget(t.id);
      try {
        await deps.engine.pause(t);
      } catch (err) {
        // The engine refuses a freeze now and then under load; it stays running and may be asked again.
        log.warn("admin pause failed", { tenant: t.id, error: String(err) });
        res.status(503).json({ error: "pause_failed", message: `tenant ${t.id} could not be paused: ${(err as Error).message}; it is still running` });
        return false;
      }
      deps.metrics.sleeps.inc({ tenant: t.id, reason: "admin" });
      deps.events.record(t.id, { type: "sleep", reason: "admin_pause" });
      return true;
    });
    // The idle timeout still applies: the reaper stops it when that passes, as any paused tenant.
    if (paused) res.json({ id: t.id, state: "paused" });
  }));
  router.post("/tenants/:id/hold", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "hold", t.id);
    await takeHold(deps, t, req, res);
  }));
  router.delete("/tenants/:id/hold", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "release hold", t.id);
    await releaseHold(deps, t, req, res);
  }));
  router.get("/tenants/:id/usage", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "usage", t.id);
    res.json(await usageReport(deps, t, daysAsked(req.query.days, deps.usageRetentionDays)));
  }));
  router.get("/tenants/:id/events", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "events", t.id);
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 1000);
    res.json({ id: t.id, events: await deps.events.recent(t.id, limit) });
  }));
  router.get("/tenants/:id/logs", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    const lines = Math.min(Math.max(Number(req.query.lines ?? 100) || 100, 1), 5000);
    audit(req, "logs", t.id);
    res.json({ id: t.id, lines: await deps.engine.logs(t, lines) });
  }));
  router.get("/tenants/:id/stats", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "stats", t.id);
    const state = (await deps.engine.running()).get(t.id);
    if (!state) {
      res.json({ id: t.id, state: "asleep", cpuPercent: 0, memoryBytes: 0 });
      return;
    }
    // A paused tenant still holds its memory: that is what light sleep costs.
    res.json({ id: t.id, state, ...(await deps.engine.stats(t)) });
  }));
  router.get("/tenants/:id/keys", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "list api keys", t.id);
    res.json({ id: t.id, keys: await deps.apiKeys.list(t.id) });
  }));
  router.delete("/tenants/:id/keys/:key", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    const key = String(req.params.key);
    audit(req, `revoke api key ${key.slice(0, 64)}`, t.id);
    if (!(await deps.apiKeys.revoke(t.id, key))) {
      res.status(404).json({ error: "unknown_api_key", message: `tenant ${t.id} has no API key ${key.slice(0, 64)}` });
      return;
    }
    res.json({ id: t.id, key, revoked: true });
  }));
  router.use((req, res) => {
    res.status(404).json({ error: "not_found", message: `no admin route ${req.method} ${req.baseUrl}${req.path}` });
  });
  return router;
}
