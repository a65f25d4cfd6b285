// The Docker volume driver's operations (the legacy plugin protocol's VolumeDriver.*), over disks, records
// and what the daemon says. One operation per disk at a time: a mount must never meet a resize.
import { existsSync } from "node:fs";
import { chown, mkdir, rm } from "node:fs/promises";
import * as path from "node:path";
import { LABEL } from "../engine/labels";
import { log } from "../observe/log";
import { DiskUsage, Disks, ResizeOutcome } from "./disks";
import { EngineView, MountRequest } from "./engine-view";
import { run } from "./host";
import { recordFromOptions, VolumeRecord, VolumeRecords } from "./records";

export interface VolumeInfo {
  Name: string;
  Mountpoint: string;
  Status?: Record<string, unknown>;
}

/** What `docker volume inspect` shows under Status, and what the supervisor and `dormer validate` read. */
export function statusOf(disk: string, u: DiskUsage): Record<string, unknown> {
  return { disk, quotaMb: u.quotaMb, capacityBytes: u.capacityBytes, usedBytes: u.usedBytes, mounted: u.mounted };
}

export class DiskDriver {
  private readonly locks = new Map<string, Promise<unknown>>();
  /** Mount IDs per disk: the disk is unmounted when the last one goes. */
  private readonly holders = new Map<string, Set<string>>();

  constructor(
    private readonly disks: Disks,
    private readonly records: VolumeRecords,
    private readonly engine: EngineView,
  ) {}

  async create(name: string, opts: Record<string, string> | null | undefined): Promise<void> {
    const record = recordFromOptions(name, opts);
    const existing = await this.records.get(name);
    if (existing && existing.disk !== record.disk) throw new Error(`volume ${name} already exists on disk ${existing.disk}`);
    await this.records.put(record);
  }

  async remove(name: string): Promise<void> {
    const record = await this.record(name);
    await this.exclusive(record.disk, async () => {
      const others = (await this.records.all()).filter((r) => r.disk === record.disk && r.name !== name);
      if (others.length === 0) {
        await this.disks.destroy(record.disk);
      } else if (this.disks.exists(record.disk)) {
        const wasMounted = await this.disks.isMounted(record.disk);
        const dir = await this.disks.mount(record.disk);
        await rm(path.join(dir, name), { recursive: true, force: true });
        if (!wasMounted) await this.disks.unmount(record.disk);
      }
      await this.records.delete(name);
      log.info("disk volume removed", { volume: name, disk: record.disk, diskRemoved: others.length === 0 });
    });
  }

  async mount(name: string, id: string): Promise<string> {
    const record = await this.record(name);
    return this.exclusive(record.disk, async () => {
      const started = Date.now();
      const { disk } = record;
      const exists = this.disks.exists(disk);
      // A disk that exists mounts at its size when the daemon cannot say (it is starting): resized next time.
      const want = await this.engine.mountRequest(name).catch((err: Error): MountRequest => {
        if (!exists) throw err;
        log.warn("disk size not read; mounted at its size", { disk, error: err.message });
        return {};
      });
      if (!exists) {
        if (want.sizeMb === undefined) throw new Error(`disk ${disk} has no size yet: no container mounting ${name} carries the ${LABEL.diskMb} label`);
        await this.disks.create(disk, want.sizeMb);
        log.info("disk created", { disk, sizeMb: want.sizeMb });
      } else if (want.sizeMb !== undefined && want.sizeMb !== (await this.disks.sizeMb(disk))) {
        await this.resize(disk, want.sizeMb);
      }
      const dir = path.join(await this.disks.mount(disk), name);
      if (!existsSync(dir)) await this.newVolumeDir(record, dir);
      this.holdersOf(disk).add(id);
      log.info("disk volume mounted", { volume: name, disk, ms: Date.now() - started });
      return dir;
    });
  }

  async unmount(name: string, id: string): Promise<void> {
    const record = await this.record(name);
    await this.exclusive(record.disk, async () => {
      const holders = this.holdersOf(record.disk);
      holders.delete(id);
      if (holders.size > 0) return;
      // Still held by a container this driver does not know of (it restarted): it stays mounted.
      // A daemon that cannot say (stopping, starting) may still have it in use: it stays mounted.
      if (await this.engine.inUse(await this.volumesOn(record.disk)).catch(() => true)) return;
      await this.disks.unmount(record.disk).catch((err) => log.warn("disk unmount failed; it stays mounted", { disk: record.disk, error: String(err) }));
    });
  }

  async path(name: string): Promise<string> {
    const record = await this.record(name);
    return (await this.disks.isMounted(record.disk)) ? path.join(this.disks.mountPoint(record.disk), name) : "";
  }

  async get(name: string): Promise<VolumeInfo> {
    const record = await this.record(name);
    const usage = await this.disks.usage(record.disk);
    return { Name: name, Mountpoint: await this.path(name), ...(usage ? { Status: statusOf(record.disk, usage) } : {}) };
  }

  async list(): Promise<VolumeInfo[]> {
    return Promise.all((await this.records.all()).map(async (r) => ({ Name: r.name, Mountpoint: await this.path(r.name) })));
  }

  /**
   * Grows (or, when it fits, shrinks) the disk, unless a container still holds it. A resize that cannot be
   * done leaves the disk as it was and the mount goes on: the tenant starts, at its old size.
   */
  private async resize(disk: string, toMb: number): Promise<void> {
    if (await this.engine.inUse(await this.volumesOn(disk)).catch(() => true)) {
      log.warn("disk not resized", { disk, toMb, reason: "a container still holds it; tried again at its next mount" });
      return;
    }
    this.holders.delete(disk);
    const outcome = await this.disks.resize(disk, toMb).catch((err: Error): ResizeOutcome => ({ resized: false, reason: err.message }));
    if (outcome.resized) log.info("disk resized", { disk, fromMb: outcome.fromMb, toMb: outcome.toMb, ms: outcome.ms });
    else log.warn("disk not resized", { disk, toMb, reason: outcome.reason });
  }

  private async newVolumeDir(record: VolumeRecord, dir: string): Promise<void> {
    await mkdir(dir, { mode: 0o755 });
    try {
      if (record.migrateFrom) await this.migrate(record, dir);
      // After the copy, which gives the directory the old volume's owner: root, when the tenant never ran.
      if (record.owner) await chown(dir, record.owner.uid, record.owner.gid);
    } catch (err) {
      // Made again, and the copy tried again, on the next mount; the old volume is untouched.
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Copies a plain local volume's files in, once; the old volume stays as it was until removed by hand. */
  private async migrate(record: VolumeRecord, dir: string): Promise<void> {
    const from = await this.engine.localVolumePath(record.migrateFrom!);
    if (from === undefined) return;
    const started = Date.now();
    try {
      await run("cp", ["-a", "--", `${from}/.`, `${dir}/`]);
    } catch (err) {
      throw new Error(`copying the files of ${record.migrateFrom} into disk ${record.disk} failed (the old volume is untouched): ${(err as Error).message}`);
    }
    log.info("disk volume migrated", { volume: record.name, from: record.migrateFrom, disk: record.disk, ms: Date.now() - started });
  }

  private async record(name: string): Promise<VolumeRecord> {
    const record = await this.records.get(name);
    if (!record) throw new Error(`no such volume: ${name}`);
    return record;
  }

  private async volumesOn(disk: string): Promise<string[]> {
    return (await this.records.all()).filter((r) => r.disk === disk).map((r) => r.name);
  }

  private holdersOf(disk: string): Set<string> {
    let set = this.holders.get(disk);
    if (!set) this.holders.set(disk, (set = new Set()));
    return set;
  }

  private exclusive<T>(disk: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(disk) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(fn);
    this.locks.set(disk, next);
    return next.finally(() => {
      if (this.locks.get(disk) === next) this.locks.delete(disk);
    });
  }
}
