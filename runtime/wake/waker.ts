import { DeclaredTenant, Engine } from "../engine/engine";
import { DormerError, TenantGoneError, TooManyHeldError, WakeTimeoutError } from "../errors";
import { log } from "../observe/log";
import { Metrics } from "../observe/metrics";
import { Holds } from "./hold";
import { TenantEvents } from "../observe/tenant-events";
import { probeHealthy } from "./probe";
import { WakeLock } from "./wake-lock";

const PROBE_INTERVAL_MS = 20;
/** How often a request waiting out a hold looks whether it ended: a hold lasts seconds to minutes. */
const HOLD_POLL_MS = 250;
/** An app that never answered has nothing to finish: a short grace before it is killed. */
export const UNHEALTHY_STOP_GRACE_SECONDS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** light: a paused container thawed; deep: a stopped one started (or found starting). */
export type WakeKind = "light" | "deep";

/** Where a tenant answers, and, when this caller had to wait for a wake, which kind and for how long. */
export interface Ready {
  address: string;
  waited?: { kind: WakeKind; ms: number };
}

/**
 * Wakes tenants from a light sleep (paused: thawed) or a deep one (stopped: started): one wake per tenant
 * however many requests arrive (in-process single flight, plus a store-wide lock so two supervisors never
 * both start it), readiness by active probe, requests held meanwhile up to the plan's cap. A tenant that never gets healthy is stopped again, not left half-started.
 */
export class Waker {
  private readonly inflight = new Map<string, Promise<{ address: string; kind: WakeKind }>>();
  /** Tenants known to answer, with their address: the hot path costs no engine call. */
  private readonly awake = new Map<string, string>();
  /**
   * The address each tenant last answered on, and the start of the container that did: a paused container
   * with the same start time is that container, frozen, so a light wake probes there without asking the
   * engine. A replaced or restarted container has another start time and is looked up again.
   */
  private readonly lastAnswered = new Map<string, { address: string; startedAt: string }>();
  private readonly held = new Map<string, number>();
  /** Counts each tenant's container removals: a wake that began before one waits on a container that is gone. */
  private readonly removals = new Map<string, number>();
  private readonly errors = new Map<string, string>();

  constructor(
    private readonly engine: Engine,
    private readonly lock: WakeLock,
    private readonly metrics: Metrics,
    private readonly events: TenantEvents,
    /** Operators' holds (backups, restores): a request waits them out instead of timing out. */
    private readonly holds?: Pick<Holds, "isHeld">,
  ) {}

  /** The address of the tenant's app once it answers, waking it first if needed. */
  async ready(tenant: DeclaredTenant): Promise<Ready> {
    const known = this.awake.get(tenant.id);
    if (known) return { address: known };
    const held = this.held.get(tenant.id) ?? 0;
    if (held >= tenant.maxHeldRequests) throw new TooManyHeldError(tenant.id, tenant.maxHeldRequests);
    this.held.set(tenant.id, held + 1);
    this.metrics.heldRequests.inc();
    const since = process.hrtime.bigint();
    try {
      const { address, kind } = await this.wake(tenant);
      return { address, waited: { kind, ms: Number(process.hrtime.bigint() - since) / 1e6 } };
    } finally {
      this.held.set(tenant.id, (this.held.get(tenant.id) ?? 1) - 1);
      this.metrics.heldRequests.dec();
    }
  }

  /** Why the last wake of a tenant failed, for the waiting page; cleared by the next success. */
  lastError(id: string): string | undefined {
    return this.errors.get(id);
  }

  isAwake(id: string): boolean {
    return this.awake.has(id);
  }

  /** The address of a tenant known to answer; undefined while asleep, waking or forgotten. */
  awakeAddress(id: string): string | undefined {
    return this.awake.get(id);
  }

  /** Every tenant known to answer, with its address (a copy). */
  awakeTenants(): Map<string, string> {
    return new Map(this.awake);
  }

  /** Forget what we knew: the tenant stopped, or its address stopped answering. */
  forget(id: string): void {
    this.awake.delete(id);
  }

  /**
   * The tenant's container was removed (`dormer up` replacing it, or the tenant leaving): what we knew is
   * forgotten, and a wake waiting on that container gives up with TenantGoneError at once, so its requests
   * are held for the new container instead of timing out on the old one.
   */
  removed(id: string): void {
    this.awake.delete(id);
    this.lastAnswered.delete(id);
    this.removals.set(id, (this.removals.get(id) ?? 0) + 1);
  }

  /** Starts the wake-up without waiting for it (the waiting page and POST /warmup). */
  kick(tenant: DeclaredTenant): void {
    if (this.awake.has(tenant.id)) return;
    this.wake(tenant).catch(() => undefined);
  }

  private wake(tenant: DeclaredTenant): Promise<{ address: string; kind: WakeKind }> {
    let flight = this.inflight.get(tenant.id);
    if (!flight) {
      flight = this.wakeOnce(tenant).finally(() => this.inflight.delete(tenant.id));
      this.inflight.set(tenant.id, flight);
    }
    return flight;
  }

  private async wakeOnce(tenant: DeclaredTenant): Promise<{ address: string; kind: WakeKind }> {
    const started = process.hrtime.bigint();
    const deadline = Date.now() + tenant.wakeTimeoutSeconds * 1000;
    const removals = this.removals.get(tenant.id) ?? 0;
    const stillThere = () => {
      if ((this.removals.get(tenant.id) ?? 0) !== removals) throw new TenantGoneError(tenant.id);
    };
    try {
      const woken = await this.startIfAsleep(tenant, deadline, stillThere);
      this.awake.set(tenant.id, woken.address);
      this.errors.delete(tenant.id);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      this.metrics.wakes.inc({ tenant: tenant.id, result: "ok" });
      this.metrics.wakeSeconds.observe({ kind: woken.kind }, seconds);
      // Only the supervisor that started or thawed it records a wake; one that found it up just learnt so.
      if (woken.acted) this.events.record(tenant.id, { type: "wake", kind: woken.kind, ms: Math.round(seconds * 1000) });
      return woken;
    } catch (err) {
      this.metrics.wakes.inc({ tenant: tenant.id, result: err instanceof WakeTimeoutError ? "timeout" : "error" });
      this.events.record(tenant.id, { type: "wake_failed", error: (err as Error).message });
      this.errors.set(tenant.id, (err as Error).message);
      log.warn("wake failed", { tenant: tenant.id, error: (err as Error).message });
      throw err;
    }
  }

  /**
   * A paused container is thawed (light), a stopped one started (deep), both under the store-wide lock and
   * judged by a look taken once it is held, so no other supervisor acts between the look and the action.
   */
  private async startIfAsleep(tenant: DeclaredTenant, deadline: number, stillThere: () => void): Promise<{ address: string; kind: WakeKind; acted: boolean }> {
    // The lock first, then one look: a light wake is a few milliseconds of engine calls, each one counts.
    let other: Promise<WakeKind> | undefined;
    while (!(await this.lock.acquire(tenant.id, deadline - Date.now() + 5000))) {
      if (await this.holds?.isHeld(tenant.id)) {
        // Held for a backup or restore: the tenant is asleep on purpose. The wake timeout counts from the
        // hold's end, and what the tenant was doing before it no longer tells how to wake it.
        deadline = Date.now() + tenant.wakeTimeoutSeconds * 1000;
        other = undefined;
        await sleep(HOLD_POLL_MS);
        continue;
      }
      // Another holder: a supervisor waking it, or a reaper that decided to stop it before this request's
      // busy mark. Wait for it to answer, or for the lock to come free and look again: a tenant stopped
      // meanwhile must be woken, not waited for.
      other ??= this.engine.state(tenant).then((state) => {
        if (!state) throw new TenantGoneError(tenant.id);
        return state.paused ? "light" : "deep";
      });
      const kind = await other;
      stillThere();
      const address = await this.readyAddress(tenant, deadline);
      if (address) return { address, kind, acted: false };
      if (Date.now() >= deadline) throw new WakeTimeoutError(tenant.id, tenant.wakeTimeoutSeconds);
      await sleep(PROBE_INTERVAL_MS);
    }
    let startedHere = false;
    try {
      const fresh = await this.engine.state(tenant);
      if (!fresh) throw new TenantGoneError(tenant.id);
      let kind: WakeKind = "deep";
      if (fresh.paused) {
        kind = "light";
        log.info("waking tenant from light sleep", { tenant: tenant.id });
        await this.engine.unpause(tenant);
        const known = this.lastAnswered.get(tenant.id);
        if (known?.startedAt === fresh.startedAt && (await probeHealthy(known.address, Math.min(500, Math.max(50, deadline - Date.now()))))) {
          return { address: known.address, kind, acted: true };
        }
      } else if (!fresh.running) {
        log.info("waking tenant", { tenant: tenant.id });
        await this.engine.start(tenant);
        startedHere = true;
        this.metrics.containerStarts.inc({ tenant: tenant.id });
      }
      const address = await this.waitReady(tenant, deadline, stillThere);
      const now = kind === "deep" ? await this.engine.state(tenant) : fresh;
      if (now) this.lastAnswered.set(tenant.id, { address, startedAt: now.startedAt });
      return { address, kind, acted: kind === "light" || startedHere };
    } catch (err) {
      // A container removed under the wake is not ours to stop: its name may already be the new container's.
      if (startedHere && err instanceof DormerError && !(err instanceof TenantGoneError)) {
        log.warn("stopping a tenant that did not become healthy", { tenant: tenant.id });
        await this.engine.stop(tenant, UNHEALTHY_STOP_GRACE_SECONDS).catch((e) => log.error("could not stop unhealthy tenant", { tenant: tenant.id, error: String(e) }));
        this.metrics.sleeps.inc({ tenant: tenant.id, reason: "unhealthy" });
        this.events.record(tenant.id, { type: "sleep", reason: "unhealthy" });
      }
      throw err;
    } finally {
      await this.lock.release(tenant.id);
    }
  }

  private async waitReady(tenant: DeclaredTenant, deadline: number, stillThere: () => void): Promise<string> {
    while (Date.now() < deadline) {
      stillThere();
      const address = await this.readyAddress(tenant, deadline);
      if (address) return address;
      await sleep(PROBE_INTERVAL_MS);
    }
    throw new WakeTimeoutError(tenant.id, tenant.wakeTimeoutSeconds);
  }

  /** The tenant's address if it answers its health check right now. */
  private async readyAddress(tenant: DeclaredTenant, deadline: number): Promise<string | undefined> {
    const address = await this.engine.address(tenant).catch(() => undefined);
    return address && (await probeHealthy(address, Math.min(500, Math.max(50, deadline - Date.now())))) ? address : undefined;
  }
}
