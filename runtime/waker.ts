import { DeclaredTenant, Engine } from "./engine/engine";
import { DormerError, TenantGoneError, TooManyHeldError, WakeTimeoutError } from "./errors";
import { log } from "./log";
import { Metrics } from "./metrics";
import { probeHealthy } from "./probe";
import { WakeLock } from "./wake-lock";

const PROBE_INTERVAL_MS = 20;
/** An app that never answered has nothing to finish: a short grace before it is killed. */
export const UNHEALTHY_STOP_GRACE_SECONDS = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wakes tenants: one start per tenant however many requests arrive (in-process single flight, plus a
 * store-wide lock so two supervisors never both start it), readiness by active probe, requests held
 * meanwhile up to the plan's cap. A tenant that never gets healthy is stopped again, not left half-started.
 */
export class Waker {
  private readonly inflight = new Map<string, Promise<string>>();
  /** Tenants known to answer, with their address: the hot path costs no engine call. */
  private readonly awake = new Map<string, string>();
  private readonly held = new Map<string, number>();
  private readonly errors = new Map<string, string>();

  constructor(
    private readonly engine: Engine,
    private readonly lock: WakeLock,
    private readonly metrics: Metrics,
  ) {}

  /** The address of the tenant's app once it answers, waking it first if needed. */
  async ready(tenant: DeclaredTenant): Promise<string> {
    const known = this.awake.get(tenant.id);
    if (known) return known;
    const held = this.held.get(tenant.id) ?? 0;
    if (held >= tenant.maxHeldRequests) throw new TooManyHeldError(tenant.id, tenant.maxHeldRequests);
    this.held.set(tenant.id, held + 1);
    this.metrics.heldRequests.inc();
    try {
      return await this.wake(tenant);
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

  /** Forget what we knew: the tenant stopped, or its address stopped answering. */
  forget(id: string): void {
    this.awake.delete(id);
  }

  /** Starts the wake-up without waiting for it (the waiting page and POST /warmup). */
  kick(tenant: DeclaredTenant): void {
    if (this.awake.has(tenant.id)) return;
    this.wake(tenant).catch(() => undefined);
  }

  private wake(tenant: DeclaredTenant): Promise<string> {
    let flight = this.inflight.get(tenant.id);
    if (!flight) {
      flight = this.wakeOnce(tenant).finally(() => this.inflight.delete(tenant.id));
      this.inflight.set(tenant.id, flight);
    }
    return flight;
  }

  private async wakeOnce(tenant: DeclaredTenant): Promise<string> {
    const started = process.hrtime.bigint();
    const deadline = Date.now() + tenant.wakeTimeoutSeconds * 1000;
    try {
      const address = await this.startIfAsleep(tenant, deadline);
      this.awake.set(tenant.id, address);
      this.errors.delete(tenant.id);
      this.metrics.wakes.inc({ tenant: tenant.id, result: "ok" });
      this.metrics.wakeSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      return address;
    } catch (err) {
      this.metrics.wakes.inc({ tenant: tenant.id, result: err instanceof WakeTimeoutError ? "timeout" : "error" });
      this.errors.set(tenant.id, (err as Error).message);
      log.warn("wake failed", { tenant: tenant.id, error: (err as Error).message });
      throw err;
    }
  }

  private async startIfAsleep(tenant: DeclaredTenant, deadline: number): Promise<string> {
    const state = await this.engine.state(tenant);
    if (!state) throw new TenantGoneError(tenant.id);
    if (state.running) return this.waitReady(tenant, deadline);

    if (!(await this.lock.acquire(tenant.id, deadline - Date.now() + 5000))) {
      // Another supervisor is starting it: wait for the same readiness it waits for.
      return this.waitReady(tenant, deadline);
    }
    let startedHere = false;
    try {
      // It may have been started between our look and the lock.
      if (!(await this.engine.state(tenant))?.running) {
        log.info("waking tenant", { tenant: tenant.id });
        await this.engine.start(tenant);
        startedHere = true;
        this.metrics.containerStarts.inc({ tenant: tenant.id });
      }
      return await this.waitReady(tenant, deadline);
    } catch (err) {
      if (startedHere && err instanceof DormerError) {
        log.warn("stopping a tenant that did not become healthy", { tenant: tenant.id });
        await this.engine.stop(tenant, UNHEALTHY_STOP_GRACE_SECONDS).catch((e) => log.error("could not stop unhealthy tenant", { tenant: tenant.id, error: String(e) }));
        this.metrics.sleeps.inc({ tenant: tenant.id, reason: "unhealthy" });
      }
      throw err;
    } finally {
      await this.lock.release(tenant.id);
    }
  }

  private async waitReady(tenant: DeclaredTenant, deadline: number): Promise<string> {
    while (Date.now() < deadline) {
      const address = await this.engine.address(tenant).catch(() => undefined);
      if (address && (await probeHealthy(address, Math.min(500, Math.max(50, deadline - Date.now()))))) return address;
      await sleep(PROBE_INTERVAL_MS);
    }
    throw new WakeTimeoutError(tenant.id, tenant.wakeTimeoutSeconds);
  }
}
