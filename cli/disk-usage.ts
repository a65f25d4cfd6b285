// What each tenant's disk holds now, asked of the Docker engine this stack runs on (the disk driver answers
// through `docker volume inspect`), so validate, preview and up can refuse a diskMb the files do not fit in.
import { checkDiskShrink, DiskUse, diskVolumeName } from "../components/disk-quota";
import { ValidatedTenants } from "../components/tenants-file";
import { engineVolumes } from "./engine-volumes";

/** Disk use by tenant id, for tenants that have a disk; undefined when the engine cannot be asked. */
export async function diskUseOf(stack: string, file: ValidatedTenants): Promise<Map<string, DiskUse> | undefined> {
  const volumes = engineVolumes();
  if (!(await volumes.reachable())) return undefined;
  const found = await Promise.all(
    file.tenants.map(async (t) => {
      const status = (await volumes.status(diskVolumeName(`dormer-${stack}`, t.id, "files"))) as Partial<DiskUse> | undefined;
      if (typeof status?.usedBytes !== "number" || typeof status.quotaMb !== "number" || typeof status.capacityBytes !== "number") return undefined;
      return [t.id, { quotaMb: status.quotaMb, capacityBytes: status.capacityBytes, usedBytes: status.usedBytes }] as const;
    }),
  );
  return new Map(found.filter((f) => f !== undefined));
}

/** Refuses (a TenantsFileError) a tenants file whose diskMb would not hold a tenant's files; says when it could not look. */
export async function checkDisks(stack: string, source: string, file: ValidatedTenants): Promise<void> {
  if (!file.tenants.some((t) => t.limits.diskMb !== undefined) && !(await hasAnyDisk(stack))) return;
  const used = await diskUseOf(stack, file);
  if (used === undefined) {
    console.error(`warning: disk use not checked: no Docker engine answers here, so a diskMb below a tenant's use is not caught before up`);
    return;
  }
  checkDiskShrink(source, file, used);
}

async function hasAnyDisk(stack: string): Promise<boolean> {
  try {
    return (await engineVolumes().names(`dormer-${stack}-tenant-`)).some((name) => name.endsWith("-disk"));
  } catch {
    return false;
  }
}
