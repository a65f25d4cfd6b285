import type { Redis } from "ioredis";
import { StoreUnavailableError } from "../errors";
import { log } from "./log";
import { Metrics } from "./metrics";

/** What a tenant used on one UTC day, summed over every supervisor sharing the store. */
export interface DayUsage {
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Requests and WebSockets that reached the tenant (the ones its daily quota counts). */
  requests: number;
  /** Wakes that started or thawed its container. */
  wakes: number;
  /** Time it was running and not paused, in seconds. */
  awakeSeconds: number;
  /** Bytes from clients to the tenant, and back, bodies and WebSocket traffic included. */
  bytesIn: number;
  bytesOut: number;
}

export type UsageField = Exclude<keyof DayUsage, "day">;
const FIELDS: UsageField[] = ["requests", "wakes", "awakeSeconds", "bytesIn", "bytesOut"];
const DAY_MS = 86_400_000;

export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/**
 * Per-tenant, per-day counters in the store. A request adds to memory only; a flush every few seconds adds
 * the sums with HINCRBY, so two supervisors count into the same day without a round trip per request, and a
 * day's hash expires after the retention. Readers flush this process's part first; another supervisor's
 * last few seconds show on its next flush.
 */
export class UsageLedger {
  private pending = new Map<string, number>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly retentionDays: number,
    private readonly metrics: Metrics,
  ) {}

  private key(tenant: string, day: string): string {
    return `${this.prefix}usage:${tenant}:${day}`;
  }

  /** Counts into today's (or `at`'s) sums; requests and bytes also into the Prometheus series. */
  add(tenant: string, field: UsageField, amount: number, at = Date.now()): void {
    if (amount <= 0) return;
    if (field === "requests") this.metrics.tenantRequests.inc({ tenant }, amount);
    else if (field === "bytesIn" || field === "bytesOut") this.metrics.tenantBytes.inc({ tenant, direction: field === "bytesIn" ? "in" : "out" }, amount);
    const slot = `${tenant}\n${dayOf(at)}\n${field}`;
    this.pending.set(slot, (this.pending.get(slot) ?? 0) + amount);
  }

  /** Adds awake time from `since` to `until`, each part on its own day. */
  addAwake(tenant: string, since: number, until: number): void {
    for (let from = since; from < until; ) {
      const dayEnd = Math.min(until, (Math.floor(from / DAY_MS) + 1) * DAY_MS);
      this.add(tenant, "awakeSeconds", (dayEnd - from) / 1000, from);
      from = dayEnd;
    }
  }

  /** Writes what this process counted; on a store error the counts stay pending for the next flush. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const multi = this.redis.multi();
    for (const [slot, amount] of batch) {
      const [tenant, day, field] = slot.split("\n");
      const key = this.key(tenant, day);
      // Whole numbers stay whole; awake time keeps its milliseconds.
      if (Number.isInteger(amount)) multi.hincrby(key, field, amount);
      else multi.hincrbyfloat(key, field, amount);
      multi.expire(key, this.retentionDays * 86_400);
    }
    try {
      await multi.exec();
    } catch (err) {
      for (const [slot, amount] of batch) this.pending.set(slot, (this.pending.get(slot) ?? 0) + amount);
      throw err;
    }
  }

  /** Flushes every intervalMs until the returned function is called (which flushes once more). */
  start(intervalMs: number): () => Promise<void> {
    const timer = setInterval(() => void this.flush().catch((err) => log.warn("usage not written to the store; kept for the next flush", { error: String(err) })), intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.flush().catch((err) => log.warn("usage lost at shutdown: the store did not take it", { error: String(err) }));
    };
  }

  /** The last `days` days, oldest first, today included; days with nothing used are zeros. */
  async days(tenant: string, days: number, now = Date.now()): Promise<DayUsage[]> {
    const wanted = Array.from({ length: days }, (_, i) => dayOf(now - (days - 1 - i) * DAY_MS));
    try {
      await this.flush();
      const multi = this.redis.multi();
      for (const day of wanted) multi.hgetall(this.key(tenant, day));
      const replies = (await multi.exec()) ?? [];
      return wanted.map((day, i) => {
        const hash = (replies[i]?.[1] ?? {}) as Record<string, string>;
        const usage: DayUsage = { day, requests: 0, wakes: 0, awakeSeconds: 0, bytesIn: 0, bytesOut: 0 };
        for (const field of FIELDS) usage[field] = Number(hash[field] ?? 0);
        usage.awakeSeconds = Math.round(usage.awakeSeconds * 1000) / 1000;
        return usage;
      });
    } catch {
      throw new StoreUnavailableError("the usage store (Redis)");
    }
  }
}

/** A tenant awake right now has not slept yet: its running part counts on the days it covers. */
export function withOngoingAwake(days: DayUsage[], since: number | undefined, now = Date.now()): DayUsage[] {
  if (since === undefined || since >= now) return days;
  return days.map((d) => {
    const start = Date.parse(`${d.day}T00:00:00Z`);
    const overlap = Math.min(now, start + DAY_MS) - Math.max(since, start);
    return overlap > 0 ? { ...d, awakeSeconds: Math.round((d.awakeSeconds + overlap / 1000) * 1000) / 1000 } : d;
  });
}
