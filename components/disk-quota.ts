// A tenant's disk (runtime/volumes): its volumes' names, and the check that refuses a diskMb its files no
// longer fit in. Plain module, shared by the program and the CLI: no @pulumi/* here.
import { TenantsFileError, ValidatedTenants } from "./tenants-file";

const MIB = 1024 * 1024;

/** The disk of tenant `id`, named like its other Docker objects: one per tenant, shared by its volumes. */
export function diskName(prefix: string, id: string): string {
  return `${prefix}-tenant-${id}`;
}

/** A volume on the tenant's disk; a new name, because the plain volume of the old name keeps its files. */
export function diskVolumeName(prefix: string, id: string, kind: "files" | "data"): string {
  return `${diskName(prefix, id)}-${kind}-disk`;
}

/** What the disk driver reports for a disk (`docker volume inspect` Status). */
export interface DiskUse {
  quotaMb: number;
  capacityBytes: number;
  usedBytes: number;
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;

/**
 * Every tenant whose declared disk would not hold what is on its disk now, and every tenant that would lose
 * its disk fence while its files are on one. Each names the tenant, the field, the use and the new limit.
 */
export function diskProblems(file: ValidatedTenants, used: Map<string, DiskUse>): string[] {
  const out: string[] = [];
  file.tenants.forEach((t, index) => {
    const disk = used.get(t.id);
    if (!disk) return;
    const label = `tenants[${index}] (${t.id})`;
    const wanted = t.limits.diskMb;
    const field = wanted !== undefined && file.plans[t.plan]?.diskMb === wanted ? `diskMb (from plan ${t.plan})` : "limits.diskMb";
    if (wanted === undefined) {
      out.push(`${label}: limits.diskMb: cannot be removed: the tenant's files are on its ${disk.quotaMb} MiB disk (${mib(disk.usedBytes)} used); keep a diskMb`);
      return;
    }
    // ext4 keeps part of the disk for itself (journal, inode tables): what is left for files, as now.
    const overhead = disk.quotaMb * MIB - disk.capacityBytes;
    const room = wanted * MIB - overhead;
    if (wanted < disk.quotaMb && room < disk.usedBytes) {
      out.push(`${label}: ${field}: ${wanted} MiB is less than the tenant uses: ${mib(disk.usedBytes)} on its ${disk.quotaMb} MiB disk (a ${wanted} MiB disk holds about ${mib(Math.max(room, 0))}); free space first or keep at least ${Math.ceil((disk.usedBytes + overhead) / MIB)} MiB`);
    }
  });
  return out;
}

export function checkDiskShrink(source: string, file: ValidatedTenants, used: Map<string, DiskUse>): void {
  const problems = diskProblems(file, used);
  if (problems.length > 0) throw new TenantsFileError(source, problems);
}
