// Tenants' own host names against the stack's names. tenants.yaml alone checks their form and that no two
// tenants share one; whether one collides with the platform's host or a tenant's `<id>.<base>` depends on the
// stack, so it is checked here, by the program and by `dormer validate` alike. No @pulumi/* here.
import type { TenantSpec } from "./tenants-file";

export class HostnameError extends Error {
  constructor(readonly problems: string[]) {
    super(`${problems.length === 1 ? "1 host name" : `${problems.length} host names`} cannot be served\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "HostnameError";
  }
}

/** One line per host name that would take the platform's origin or be read as a tenant's `<id>.<base>`. */
export function hostnameProblems(tenants: readonly TenantSpec[], platformHost: string, tenantBaseDomain: string): string[] {
  const base = tenantBaseDomain.toLowerCase();
  return tenants.flatMap((t) =>
    t.hostnames.flatMap((host, i) => {
      const where = `${t.id}: hostnames[${i}]: ${host}`;
      if (host === platformHost.toLowerCase()) return [`${where} is the platform's own host name`];
      if (host === base) return [`${where} is the tenants' base domain`];
      if (host.endsWith(`.${base}`) && !host.slice(0, -base.length - 1).includes(".")) {
        return [`${where} is the origin of tenant "${host.slice(0, -base.length - 1)}" (one label under ${base}); pick a name outside it or deeper`];
      }
      return [];
    }),
  );
}

export function checkHostnames(tenants: readonly TenantSpec[], platformHost: string, tenantBaseDomain: string): void {
  const problems = hostnameProblems(tenants, platformHost, tenantBaseDomain);
  if (problems.length > 0) throw new HostnameError(problems);
}
