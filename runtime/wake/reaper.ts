import { Activity, TenantActivity } from "./activity";
import { TenantDirectory } from "../engine/directory";
import { DeclaredTenant, Engine } from "../engine/engine";
import { UpStates } from "../engine/up-states";
import { log } from "../observe/log";
import { Metrics } from "../observe/metrics";
import { TenantEvents } from "../observe/tenant-events";
import { nextRung, overCap } from "./ladder";
import { probeHealthy } from "./probe";
import { WakeLock } from "./wake-lock";
import { UNHEALTHY_STOP_GRACE_SECONDS, Waker } from "./waker";

export interface ReaperSettings {
  /** Caps every tenant's idle timeout (a stack setting). */
  maxIdleTimeoutSeconds?: number;
  /** The most memory (sum of limits, MiB) paused tenants may hold; past it the least recently used are stopped. */
  pausedMemoryMb?: number;
}

type Action = "pause" | "idle" | "unhealthy" | "paused_memory_cap";

/**
 * Puts idle tenants to sleep along the ladder: paused after the plan's light-sleep time (memory kept, no
 * CPU), stopped after its idle timeout (volumes and data stay), paused ones stopped early, least recently
 * used first, while they hold more memory than the stack's cap. Also stops tenants left running but
 * unhealthy with nobody waking them, e.g. by a supervisor that died mid-wake. Everything it decides on
 * lives in the store and the engine, so it picks up where a restarted supervisor left off.
 */
export class Reaper {
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(
    private readonly engine: Engine,
    /** Which tenants are up; kept from the engine's events (runtime/engine/up-states.ts). */
    private readonly up: UpStates,
    private readonly directory: TenantDirectory,
    private readonly activity: Activity,
    private readonly lock: WakeLock,
    private readonly waker: Waker,
    private readonly metrics: Metrics,
    private readonly events: TenantEvents,
    private readonly settings: ReaperSettings = {},
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.sweep(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass over the running and paused tenants; exposed for tests and for a prompt first pass at start. */
  async sweep(now = Date.now()): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const up = await this.up.current();
      // Only the tenants that are up: a pass reads as much of the store as there are tenants awake, not declared.
      const [lastSeen, busy] = await Promise.all([this.activity.lastSeenOf([...up.keys()]), this.activity.busy(now)]);
      const paused = new Map<string, { last: number; memoryMb: number }>();
      let running = 0;
      for (const [id, state] of up) {
        const tenant = this.directory.get(id);
        if (!tenant) continue;
        const last = lastSeen.get(id);
        if (last === undefined) {
          // Up with no record: woken by hand or before a restart. Its idle clock starts now.
          await this.activity.seed(id, now);
          continue;
        }
        const free = !busy.has(id) && !this.activity.busyHere(id);
        const rung = free ? nextRung(tenant, state, now - last, this.settings.maxIdleTimeoutSeconds) : undefined;
        // A paused tenant cannot answer a probe: it is asleep, not stuck.
        const stuck = !rung && state === "running" && !this.waker.isAwake(id) && now - last > tenant.wakeTimeoutSeconds * 1000 && !(await this.healthy(tenant));
        const action: Action | undefined = rung === "pause" ? "pause" : rung === "stop" ? "idle" : stuck ? "unhealthy" : undefined;
        // One tenant the engine fails on (a freeze refused under load) must not hold up the rest of the pass.
        const after = action
          ? await this.act(tenant, action, last, now).catch((err) => {
              log.warn("could not put tenant to sleep; the next pass tries again", { tenant: id, action, error: String(err) });
              return undefined;
            })
          : state;
        if (after === "paused") paused.set(id, { last, memoryMb: tenant.memoryMb ?? 0 });
        if (after === "running") running++;
      }
      if (this.settings.pausedMemoryMb !== undefined) {
        for (const id of overCap(paused, this.settings.pausedMemoryMb)) {
          const tenant = this.directory.get(id)!;
          const after = await this.act(tenant, "paused_memory_cap", paused.get(id)!.last, now).catch((err) => {
            log.warn("could not stop a paused tenant over the cap; the next pass tries again", { tenant: id, error: String(err) });
            return undefined;
          });
          if (after === "stopped") paused.delete(id);
        }
      }
      this.metrics.tenantsAwake.set(running);
      this.metrics.tenantsPaused.set(paused.size);
      this.metrics.pausedMemoryMb.set([...paused.values()].reduce((sum, p) => sum + p.memoryMb, 0));
    } catch (err) {
      log.warn("reaper pass failed; will retry", { error: String(err) });
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Pauses or stops one tenant under the wake lock, after a second look at its activity; returns the state
   * it is left in (undefined: not known, e.g. the lock was taken).
   */
  private async act(tenant: DeclaredTenant, action: Action, last: number, now: number): Promise<"running" | "paused" | "stopped" | undefined> {
    const id = tenant.id;
    // The wake lock keeps us from acting on a tenant another supervisor is waking right now.
    if (!(await this.lock.acquire(id, 30_000))) return undefined;
    try {
      // A request may have arrived, here or on another supervisor, since the pass read the store.
      // Anything since then leaves the tenant to the next pass.
      if (this.activeSince(id, last, await this.activity.of(id))) {
        log.info("tenant became active; leaving it awake", { tenant: id, action });
        return undefined;
      }
      const idleSeconds = Math.round((now - last) / 1000);
      this.waker.forget(id);
      if (action === "pause") {
        log.info("putting idle tenant to light sleep (paused)", { tenant: id, idleSeconds });
        await this.engine.pause(tenant);
        // A request that got the tenant's address just before we forgot it would hang on a frozen app:
        // one that arrived while we paused it thaws it again at once.
        if (this.activeSince(id, last, await this.activity.of(id))) {
          log.info("a request arrived while pausing; thawing the tenant", { tenant: id });
          await this.engine.unpause(tenant);
          return "running";
        }
        this.metrics.sleeps.inc({ tenant: id, reason: "light" });
        this.events.record(id, { type: "sleep", reason: "light" });
        return "paused";
      }
      const why = action === "idle" ? "putting idle tenant to sleep" : action === "unhealthy" ? "stopping a tenant left unhealthy" : "stopping a paused tenant: paused tenants hold more than the stack's cap";
      log.info(why, { tenant: id, idleSeconds, ...(action === "paused_memory_cap" ? { capMb: this.settings.pausedMemoryMb } : {}) });
      await this.engine.stop(tenant, action === "unhealthy" ? UNHEALTHY_STOP_GRACE_SECONDS : undefined);
      this.metrics.sleeps.inc({ tenant: id, reason: action });
      this.events.record(id, { type: "sleep", reason: action });
      return "stopped";
    } finally {
      await this.lock.release(id);
    }
  }

  /** Did the tenant see activity after `last`, or has any supervisor a request or WebSocket of it open? */
  private activeSince(id: string, last: number, fresh: TenantActivity): boolean {
    if (this.activity.busyHere(id)) return true;
    return (fresh.last ?? last) > last || (fresh.busyUntil ?? 0) > Date.now();
  }

  private async healthy(tenant: DeclaredTenant): Promise<boolean> {
    const address = await this.engine.address(tenant).catch(() => undefined);
    return address !== undefined && (await probeHealthy(address));
  }
}
