import { TenantDirectory } from "../engine/directory";
import { Engine } from "../engine/engine";
import { log } from "../observe/log";
import { Metrics } from "../observe/metrics";
import { TenantEvents } from "../observe/tenant-events";
import { probeHealthy } from "./probe";
import { WakeLock } from "./wake-lock";
import { WatchdogHistory } from "./watchdog-history";
import { UNHEALTHY_STOP_GRACE_SECONDS, Waker } from "./waker";

export interface WatchdogSettings {
  /** How often every awake tenant is probed, in ms. */
  intervalMs: number;
  /** A probe not answered 200 within this many ms failed. */
  timeoutMs: number;
  /** Consecutive failed probes before the tenant is restarted. */
  failures: number;
  /** Probes in flight at once, so a pass over dozens of awake tenants stays cheap and bounded. */
  concurrency: number;
}

/**
 * Finds tenants that hang while awake: probes each tenant this supervisor knows awake (GET /health, as a
 * wake does) and restarts one after repeated failures. A tenant that answers /health but hangs on one route
 * is not its business: that request gets the proxy's upstream timeout.
 */
export class Watchdog {
  private timer: NodeJS.Timeout | undefined;
  private passing = false;
  private readonly failed = new Map<string, number>();

  constructor(
    private readonly engine: Engine,
    private readonly directory: TenantDirectory,
    private readonly waker: Waker,
    private readonly lock: WakeLock,
    private readonly metrics: Metrics,
    private readonly history: WatchdogHistory,
    private readonly events: TenantEvents,
    private readonly settings: WatchdogSettings,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.pass(), this.settings.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One probe of every awake tenant; a pass still running when the next is due makes that one a no-op. */
  async pass(): Promise<void> {
    if (this.passing) return;
    this.passing = true;
    try {
      const awake = this.waker.awakeTenants();
      for (const id of this.failed.keys()) if (!awake.has(id)) this.failed.delete(id);
      const queue = [...awake];
      const worker = async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await this.check(next[0], next[1]);
      };
      await Promise.all(Array.from({ length: Math.min(this.settings.concurrency, queue.length) }, worker));
    } finally {
      this.passing = false;
    }
  }

  private async check(id: string, address: string): Promise<void> {
    const ok = await probeHealthy(address, this.settings.timeoutMs);
    this.metrics.watchdogProbes.inc({ tenant: id, result: ok ? "ok" : "failed" });
    // Put to sleep or restarted while we probed: what we saw is about a container that is gone.
    if (ok || this.waker.awakeAddress(id) !== address) {
      this.failed.delete(id);
      return;
    }
    const failures = (this.failed.get(id) ?? 0) + 1;
    this.failed.set(id, failures);
    log.warn("tenant failed a health probe", { tenant: id, failures, of: this.settings.failures });
    this.events.record(id, { type: "health_failed", failures });
    if (failures >= this.settings.failures) await this.restart(id, failures).catch((err) => log.error("watchdog could not restart tenant", { tenant: id, error: String(err) }));
  }

  private async restart(id: string, failedProbes: number): Promise<void> {
    const tenant = this.directory.get(id);
    if (!tenant) return;
    // Being woken or put to sleep by someone else right now: look again on the next pass.
    if (!(await this.lock.acquire(id, 30_000))) return;
    try {
      // Paused by the reaper since the probe: a frozen app does not answer, but it is asleep, not hung.
      if ((await this.engine.state(tenant))?.paused) {
        this.failed.delete(id);
        return;
      }
      this.waker.forget(id);
      this.failed.delete(id);
      // The audit line: who acted (the watchdog), on what, and why.
      log.warn("watchdog restarting a hung tenant", { who: "watchdog", action: "restart", tenant: id, failedProbes, timeoutMs: this.settings.timeoutMs });
      await this.engine.restart(tenant, UNHEALTHY_STOP_GRACE_SECONDS);
      this.metrics.watchdogRestarts.inc({ tenant: id });
      this.events.record(id, { type: "watchdog_restart", failedProbes });
      await this.history
        .record(id, { at: new Date().toISOString(), failedProbes })
        .catch((err) => log.warn("watchdog restart not recorded in the store", { tenant: id, error: String(err) }));
    } finally {
      await this.lock.release(id);
    }
  }
}
