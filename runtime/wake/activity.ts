import type { Redis } from "ioredis";
import { log } from "../observe/log";

const TOUCH_EVERY_MS = 1000;
// Often enough that another supervisor's reaper sees a busy tenant even with a short idle timeout.
const BUSY_HEARTBEAT_MS = 1000;
/** A busy mark outlives its last heartbeat by this much, so a late heartbeat does not let it lapse; a
 * supervisor that dies mid-request stops renewing it and it lapses by itself. */
const BUSY_MARK_MS = 3 * BUSY_HEARTBEAT_MS;

/** What the store says about one tenant right now. */
export interface TenantActivity {
  /** Last activity, ms since epoch. */
  last?: number;
  /** Some supervisor has a request or WebSocket of the tenant open until at least then (ms since epoch). */
  busyUntil?: number;
}

/**
 * Last activity per tenant, kept in the store so every supervisor (and a restarted one) sees the same
 * clock. Writes are throttled to one per tenant per second. A tenant with a request in flight or a
 * WebSocket open on any supervisor is busy: that supervisor re-touches it every second and keeps a busy
 * mark for it in the store, which every reaper honours whatever the idle clock says.
 */
export class Activity {
  private readonly lastWrite = new Map<string, number>();
  private readonly lastMark = new Map<string, number>();
  /** Requests in flight plus open WebSockets, per tenant, on this supervisor. */
  private readonly inUse = new Map<string, number>();
  private readonly busyKey: string;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {
    this.busyKey = `${key}:busy`;
    this.timer = setInterval(() => {
      for (const tenant of this.inUse.keys()) this.write(tenant, Date.now());
    }, BUSY_HEARTBEAT_MS);
    this.timer.unref();
  }

  touch(tenant: string): void {
    const now = Date.now();
    const markDue = this.inUse.has(tenant) && now - (this.lastMark.get(tenant) ?? 0) >= TOUCH_EVERY_MS;
    if (!markDue && now - (this.lastWrite.get(tenant) ?? 0) < TOUCH_EVERY_MS) return;
    this.write(tenant, now);
  }

  private write(tenant: string, now: number): void {
    this.lastWrite.set(tenant, now);
    const batch = this.redis.pipeline().zadd(this.key, now, tenant);
    if (this.inUse.has(tenant)) {
      batch.zadd(this.busyKey, now + BUSY_MARK_MS, tenant);
      this.lastMark.set(tenant, now);
    }
    batch.exec().then(
      (results) => {
        const failed = results?.find(([err]) => err)?.[0];
        if (failed) log.warn("activity not recorded", { tenant, error: failed.message });
      },
      (err: Error) => log.warn("activity not recorded", { tenant, error: err.message }),
    );
  }

  /** A request for the tenant arrived (it may be held while the tenant wakes); pair with requestEnded. */
  requestStarted(tenant: string): void {
    this.use(tenant, +1);
    this.touch(tenant);
  }

  /** The request's response is done, or its client left. Its end is activity too: the idle clock restarts. */
  requestEnded(tenant: string): void {
    this.use(tenant, -1);
    this.touch(tenant);
  }

  socketOpened(tenant: string): void {
    this.use(tenant, +1);
    this.write(tenant, Date.now());
  }

  socketClosed(tenant: string): void {
    this.use(tenant, -1);
    this.write(tenant, Date.now());
  }

  private use(tenant: string, by: 1 | -1): void {
    const left = (this.inUse.get(tenant) ?? 0) + by;
    if (left > 0) this.inUse.set(tenant, left);
    else {
      this.inUse.delete(tenant);
      this.lastMark.delete(tenant);
    }
  }

  /** Has this supervisor a request or WebSocket of the tenant open right now? */
  busyHere(tenant: string): boolean {
    return this.inUse.has(tenant);
  }

  /** Last activity (ms since epoch) of every tenant that has any. */
  async lastSeen(): Promise<Map<string, number>> {
    const flat = await this.redis.zrange(this.key, 0, -1, "WITHSCORES");
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i], Number(flat[i + 1]));
    return out;
  }

  /** Last activity (ms since epoch) of these tenants, those with any; one round trip however many there are. */
  async lastSeenOf(tenants: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (tenants.length === 0) return out;
    const scores = await this.redis.zmscore(this.key, ...tenants);
    tenants.forEach((tenant, i) => {
      const score = scores[i];
      if (score !== null && score !== undefined) out.set(tenant, Number(score));
    });
    return out;
  }

  /** Tenants some supervisor marked busy past `now`. */
  async busy(now: number): Promise<Set<string>> {
    return new Set(await this.redis.zrangebyscore(this.busyKey, `(${now}`, "+inf"));
  }

  /** One tenant's activity as the store has it now. */
  async of(tenant: string): Promise<TenantActivity> {
    const results = await this.redis.pipeline().zscore(this.key, tenant).zscore(this.busyKey, tenant).exec();
    const [last, busyUntil] = (results ?? []).map(([err, value]) => {
      if (err) throw err;
      return value === null || value === undefined ? undefined : Number(value);
    });
    return { last, busyUntil };
  }

  /** Seeds activity for a tenant found running with no record (after a restart) without moving newer ones. */
  async seed(tenant: string, at: number): Promise<void> {
    await this.redis.zadd(this.key, "NX", at, tenant);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
