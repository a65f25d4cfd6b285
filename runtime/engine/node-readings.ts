import Docker from "dockerode";
import { DeclaredTenant, TenantDisk, TenantStats } from "./engine";

/** A container's CPU and memory, from one stats sample of the engine it runs on. */
export async function containerStats(docker: Docker, container: string): Promise<TenantStats> {
  const s = await docker.getContainer(container).stats({ stream: false });
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
  return {
    cpuPercent: systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0,
    memoryBytes: s.memory_stats.usage ?? 0,
    memoryLimitBytes: s.memory_stats.limit ?? 0,
  };
}

/** The tenant's disk as its driver reports it in the volume's status; undefined without a disk fence or before the disk is made. */
export async function tenantDisk(docker: Docker, tenant: DeclaredTenant): Promise<TenantDisk | undefined> {
  if (!tenant.disk) return undefined;
  const status = (await docker.getVolume(tenant.disk.volume).inspect()).Status as Partial<TenantDisk> | undefined;
  const { quotaMb, capacityBytes, usedBytes } = status ?? {};
  if (typeof quotaMb !== "number" || typeof capacityBytes !== "number" || typeof usedBytes !== "number") return undefined;
  return { quotaMb, capacityBytes, usedBytes };
}
