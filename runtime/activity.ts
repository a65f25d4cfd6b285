import type { Redis } from "ioredis";
import { log } from "./log";

const TOUCH_EVERY_MS = 1000;
// Often enough that another supervisor's reaper sees an open socket even with a short idle timeout.
const SOCKET_HEARTBEAT_MS = 1000;

/**
 * Last activity per tenant, kept in the store so every supervisor (and a restarted one) sees the same
 * clock. Writes are throttled to one per tenant per second; an open WebSocket counts as activity and is
 * re-touched while it stays open.
 */
export class Activity {
  private readonly lastWrite = new Map<string, number>();
  private readonly sockets = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {
    this.timer = setInterval(() => {
      for (const tenant of this.sockets.keys()) this.write(tenant, Date.now());
    }, SOCKET_HEARTBEAT_MS);
    this.timer.unref();
  }

  touch(tenant: string): void {
    const now = Date.now();
    if (now - (this.lastWrite.get(tenant) ?? 0) < TOUCH_EVERY_MS) return;
    this.write(tenant, now);
  }

  private write(tenant: string, now: number): void {
    this.lastWrite.set(tenant, now);
    this.redis.zadd(this.key, now, tenant).catch((err: Error) => log.warn("activity not recorded", { tenant, error: err.message }));
  }

  socketOpened(tenant: string): void {
    this.sockets.set(tenant, (this.sockets.get(tenant) ?? 0) + 1);
    this.write(tenant, Date.now());
  }

  socketClosed(tenant: string): void {
    const left = (this.sockets.get(tenant) ?? 1) - 1;
    if (left > 0) this.sockets.set(tenant, left);
    else this.sockets.delete(tenant);
    this.write(tenant, Date.now());
  }

  hasOpenSockets(tenant: string): boolean {
    return this.sockets.has(tenant);
  }

  /** Last activity (ms since epoch) of every tenant that has any. */
  async lastSeen(): Promise<Map<string, number>> {
    const flat = await this.redis.zrange(this.key, 0, -1, "WITHSCORES");
    const out = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i], Number(flat[i + 1]));
    return out;
  }

  /** Seeds activity for a tenant found running with no record (after a restart) without moving newer ones. */
  async seed(tenant: string, at: number): Promise<void> {
    await this.redis.zadd(this.key, "NX", at, tenant);
  }

  lastLocal(tenant: string): number | undefined {
    return this.lastWrite.get(tenant);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
