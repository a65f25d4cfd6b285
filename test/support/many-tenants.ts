import YAML from "yaml";

export interface ManyTenantsFile {
  version: 1;
  plans: Record<string, Record<string, unknown>>;
  tenants: { id: string; plan: string; limits?: Record<string, unknown> }[];
}

/** `t0001`, `t0002`, ...: ids that sort in file order and name each tenant's place in it. */
export const tenantId = (i: number): string => `t${String(i).padStart(4, "0")}`;

/**
 * A tenants.yaml of `count` sleeping tenants on one small plan, as the scale test and bench declare them. Each
 * may hold 8 connections, so a thousand fit the stack's default connection budget (9 000) that validate checks.
 */
export function manyTenants(count: number): ManyTenantsFile {
  return {
    version: 1,
    plans: {
      small: {
        cpus: 0.25,
        memoryMb: 128,
        idleTimeoutMinutes: 1440,
        egress: false,
        dailyRequestQuota: "unlimited",
        maxHeldRequests: 100,
        wakeTimeoutSeconds: 60,
        maxConnections: 8,
      },
    },
    tenants: Array.from({ length: count }, (_, i) => ({ id: tenantId(i + 1), plan: "small" })),
  };
}

export const toYaml = (file: ManyTenantsFile): string => YAML.stringify(file);
