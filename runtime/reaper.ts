import { Activity } from "./activity";
import { TenantDirectory } from "./directory";
import { DeclaredTenant, Engine } from "./engine/engine";
import { log } from "./log";
import { Metrics } from "./metrics";
import { probeHealthy } from "./probe";
import { WakeLock } from "./wake-lock";
import { UNHEALTHY_STOP_GRACE_SECONDS, Waker } from "./waker";

/**
 * Puts idle tenants to sleep (stops their containers; volumes and data stay) and stops tenants left
 * running but unhealthy with nobody waking them, e.g. by a supervisor that died mid-wake. Everything it
 * decides on lives in the store and the engine, so it picks up where a restarted supervisor left off.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly engine: Engine,
    private readonly directory: TenantDirectory,
    private readonly activity: Activity,
    private readonly lock: WakeLock,
    private readonly waker: Waker,
    private readonly metrics: Metrics,
    private readonly maxIdleTimeoutSeconds?: number,
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the running tenants; exposed for tests and for a prompt first pass at start. */
  async sweep(now = Date.now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const running = await this.engine.running();
      this.metrics.tenantsAwake.set(running.size);
      const lastSeen = await this.activity.lastSeen();
      for (const id of running) {
        const tenant = this.directory.get(id);
        if (!tenant) continue;
        const last = lastSeen.get(id);
        if (last === undefined) {
          // Running with no record: woken by hand or before a restart. Its idle clock starts now.
          await this.activity.seed(id, now);
          continue;
        }
        const timeout = Math.min(tenant.idleTimeoutSeconds, this.maxIdleTimeoutSeconds ?? Infinity) * 1000;
        const idle = now - last > timeout && !this.activity.hasOpenSockets(id);
        const stuck = !idle && !this.waker.isAwake(id) && now - last > tenant.wakeTimeoutSeconds * 1000 && !(await this.healthy(tenant));
        if (!idle && !stuck) continue;
        // The wake lock keeps us from stopping a tenant another supervisor is waking right now.
        if (!(await this.lock.acquire(id, 30_000))) continue;
        try {
          log.info(idle ? "putting idle tenant to sleep" : "stopping a tenant left unhealthy", { tenant: id, idleSeconds: Math.round((now - last) / 1000) });
          this.waker.forget(id);
          await this.engine.stop(tenant, idle ? undefined : UNHEALTHY_STOP_GRACE_SECONDS);
          this.metrics.sleeps.inc({ tenant: id, reason: idle ? "idle" : "unhealthy" });
        } finally {
          await this.lock.release(id);
        }
      }
    } catch (err) {
      log.warn("reaper pass failed; will retry", { error: String(err) });
    } finally {
      this.sweeping = false;
    }
  }

  private async healthy(tenant: DeclaredTenant): Promise<boolean> {
    const address = await this.engine.address(tenant).catch(() => undefined);
    return address !== undefined && (await probeHealthy(address));
  }
}
