import { TenantDirectory } from "../engine/directory";
import { DeclaredTenant, Engine, TenantDisk } from "../engine/engine";
import { log } from "./log";
import { Metrics } from "./metrics";
import { TenantEvents } from "./tenant-events";

/** Percentages of a disk at which the operator is warned, once per crossing, lowest first. */
export const DISK_WARNING_THRESHOLDS = [80, 95] as const;

/** What the admin API shows of a tenant's disk: the last reading. */
export interface DiskReading extends TenantDisk {
  percent: number;
  at: string;
}

/**
 * Reads every fenced tenant's disk use now and then (the disk driver answers for sleeping tenants too):
 * the metric, the admin API's figure, and a warning to the log (an audit line: who, action, tenant) and the
 * tenant's events when it passes 80 % and 95 %. A disk that falls back below a threshold is warned of
 * again when it passes it once more; a supervisor that restarts warns once of a disk already past one.
 */
export class DiskWatch {
  private readonly readings = new Map<string, DiskReading>();
  private readonly warned = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly engine: Engine,
    private readonly directory: TenantDirectory,
    private readonly metrics: Metrics,
    private readonly events: TenantEvents,
  ) {}

  start(intervalMs: number): void {
    const tick = () => {
      this.running ??= this.check().finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  reading(tenant: string): DiskReading | undefined {
    return this.readings.get(tenant);
  }

  async check(): Promise<void> {
    const fenced = this.directory.all().filter((t) => t.disk !== undefined);
    // One at a time: each is a volume inspect answered by the driver, cheap, and a thousand at once are not.
    for (const t of fenced) await this.read(t);
    const ids = new Set(fenced.map((t) => t.id));
    for (const id of [...this.readings.keys()]) {
      if (ids.has(id)) continue;
      this.readings.delete(id);
      this.warned.delete(id);
      this.metrics.diskUsedBytes.remove({ tenant: id });
      this.metrics.diskCapacityBytes.remove({ tenant: id });
    }
  }

  private async read(t: DeclaredTenant): Promise<void> {
    let disk: TenantDisk | undefined;
    try {
      disk = await this.engine.disk(t);
    } catch (err) {
      log.warn("tenant disk use not read", { tenant: t.id, error: String(err) });
      return;
    }
    if (!disk) return;
    const percent = disk.capacityBytes > 0 ? (disk.usedBytes / disk.capacityBytes) * 100 : 0;
    this.readings.set(t.id, { ...disk, percent: Math.round(percent * 10) / 10, at: new Date().toISOString() });
    this.metrics.diskUsedBytes.set({ tenant: t.id }, disk.usedBytes);
    this.metrics.diskCapacityBytes.set({ tenant: t.id }, disk.capacityBytes);
    const threshold = [...DISK_WARNING_THRESHOLDS].reverse().find((p) => percent >= p) ?? 0;
    const before = this.warned.get(t.id) ?? 0;
    this.warned.set(t.id, threshold);
    if (threshold <= before) return;
    const fields = { threshold, percent: Math.round(percent), usedBytes: disk.usedBytes, capacityBytes: disk.capacityBytes };
    log.warn("tenant disk nearly full", { who: "disk-watch", action: "disk_warning", tenant: t.id, quotaMb: disk.quotaMb, ...fields });
    this.events.record(t.id, { type: "disk_warning", ...fields });
  }
}
