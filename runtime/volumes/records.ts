// What the driver knows of each volume it was asked to create, kept on the host beside the disks so it
// outlives the driver, the Docker daemon and a reboot.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";

export interface VolumeRecord {
  name: string;
  /** The disk (one ext4 image) the volume is a directory on; a tenant's volumes share one, so one quota. */
  disk: string;
  /** uid and gid the volume's directory is given when it is made (the tenant's user). */
  owner?: { uid: number; gid: number };
  /** A plain local volume whose files are copied in the first time this one is mounted (migration). */
  migrateFrom?: string;
}

/** Create's options, checked: a typo must not quietly create a volume without its disk. */
export function recordFromOptions(name: string, opts: Record<string, string> | null | undefined): VolumeRecord {
  const { disk, owner, migrateFrom, ...rest } = opts ?? {};
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`volume ${name}: unknown option ${unknown.join(", ")} (known: disk, owner, migrateFrom)`);
  if (!disk || !DISK_NAME.test(disk)) throw new Error(`volume ${name}: option disk must be 1-128 lowercase letters, digits, "." "_" "-", got ${JSON.stringify(disk ?? "")}`);
  if (!VOLUME_NAME.test(name)) throw new Error(`volume ${name}: the name must be letters, digits, "." "_" "-"`);
  const ids = owner === undefined ? undefined : /^(\d+):(\d+)$/.exec(owner);
  if (owner !== undefined && !ids) throw new Error(`volume ${name}: option owner must be "uid:gid" in digits, got ${JSON.stringify(owner)}`);
  return {
    name,
    disk,
    ...(ids ? { owner: { uid: Number(ids[1]), gid: Number(ids[2]) } } : {}),
    ...(migrateFrom ? { migrateFrom } : {}),
  };
}

const DISK_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** One file per volume, read once into memory: the files are the truth, the map saves reading them per call. */
export class VolumeRecords {
  private loaded?: Promise<Map<string, VolumeRecord>>;

  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return path.join(this.dir, `${name}.json`);
  }

  private load(): Promise<Map<string, VolumeRecord>> {
    this.loaded ??= (async () => {
      const names = existsSync(this.dir) ? await readdir(this.dir) : [];
      const records = await Promise.all(
        names.filter((n) => n.endsWith(".json")).map(async (n) => JSON.parse(await readFile(path.join(this.dir, n), "utf8")) as VolumeRecord),
      );
      return new Map(records.map((r) => [r.name, r]));
    })();
    return this.loaded;
  }

  async get(name: string): Promise<VolumeRecord | undefined> {
    return (await this.load()).get(name);
  }

  async put(record: VolumeRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(this.file(record.name), JSON.stringify(record));
    (await this.load()).set(record.name, record);
  }

  async delete(name: string): Promise<void> {
    await rm(this.file(name), { force: true });
    (await this.load()).delete(name);
  }

  async all(): Promise<VolumeRecord[]> {
    return [...(await this.load()).values()];
  }
}
