import { Router } from "express";
import type { Request, Response } from "express";
import { Activity } from "./activity";
import { requireAdmin } from "./admin-auth";
import { TenantDirectory } from "./directory";
import { DeclaredTenant, Engine } from "./engine/engine";
import { DormerError, StoreUnavailableError, toHttp } from "./errors";
import { log } from "./log";
import { Metrics } from "./metrics";
import { WakeLock } from "./wake-lock";
import { Waker } from "./waker";

export interface AdminDeps {
  adminToken: string;
  engine: Engine;
  directory: TenantDirectory;
  waker: Waker;
  activity: Activity;
  lock: WakeLock;
  metrics: Metrics;
}

/** Every admin action is logged with who (the admin token, from which address) and what. */
function audit(req: Request, action: string, tenant?: string): void {
  log.info("admin action", { who: "admin-token", from: req.ip, action, tenant });
}

function limits(t: DeclaredTenant) {
  return {
    plan: t.plan,
    idleTimeoutSeconds: t.idleTimeoutSeconds,
    dailyRequestQuota: t.dailyRequestQuota,
    maxHeldRequests: t.maxHeldRequests,
    wakeTimeoutSeconds: t.wakeTimeoutSeconds,
    egress: t.egress,
  };
}

/** The admin API: list, status, wake, sleep, logs, stats. It acts only on declared tenants. */
export function adminRouter(deps: AdminDeps): Router {
  const router = Router();
  router.use(requireAdmin(deps.adminToken));

  const tenantOr404 = (req: Request, res: Response): DeclaredTenant | undefined => {
    const tenant = deps.directory.get(String(req.params.id));
    if (!tenant) res.status(404).json({ error: "unknown_tenant", message: `no tenant ${req.params.id} is declared` });
    return tenant;
  };
  const status = async (t: DeclaredTenant, running: Set<string>, lastSeen: Map<string, number>) => ({
    id: t.id,
    displayName: t.displayName,
    state: running.has(t.id) ? (deps.waker.isAwake(t.id) ? "awake" : "running") : "asleep",
    lastActivity: lastSeen.has(t.id) ? new Date(lastSeen.get(t.id)!).toISOString() : null,
    limits: limits(t),
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
  router.get("/tenants/:id", guard(async (req, res) => {
    const t = tenantOr404(req, res);
    if (!t) return;
    audit(req, "status", t.id);
    const [running, lastSeen] = await Promise.all([deps.engine.running(), readLastSeen()]);
    res.json(await status(t, running, lastSeen));
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
    if (!(await deps.lock.acquire(t.id, 30_000))) {
      res.status(409).json({ error: "busy", message: `tenant ${t.id} is being woken or put to sleep right now` });
      return;
    }
    try {
      deps.waker.forget(t.id);
      await deps.engine.stop(t);
      deps.metrics.sleeps.inc({ tenant: t.id, reason: "admin" });
    } finally {
      await deps.lock.release(t.id);
    }
    res.json({ id: t.id, state: "asleep" });
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
    const running = await deps.engine.running();
    if (!running.has(t.id)) {
      res.json({ id: t.id, state: "asleep", cpuPercent: 0, memoryBytes: 0 });
      return;
    }
    res.json({ id: t.id, state: "running", ...(await deps.engine.stats(t)) });
  }));
  router.use((req, res) => {
    res.status(404).json({ error: "not_found", message: `no admin route ${req.method} ${req.baseUrl}${req.path}` });
  });
  return router;
}
