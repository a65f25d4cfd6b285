import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { credentialReason } from "./credentials";
import { SECRET_ENV_NAMES } from "../runtime/engine/labels";
import { CONTAINER, isGatewayContainer, isTenantContainer, known, labelValue, parentTypes, PortSpec, SECRET_ENV_LABEL } from "./resources";

/** Where a reviewer is sent when a tenant's env holds a credential. */
const SECRETS_POINTER =
  "tenants.yaml is committed and printed in every preview, so credentials never go there: put it in secretEnv (dormer secret set), see docs/security.md, \"Secrets a tenant needs\"";

const ROOT_USERS = /^(0|root)(:.*)?$/;

type Policy = ResourceValidationPolicy | StackValidationPolicy;

/** A property left out, or set to a value that fails `ok`; a value still unknown in preview is not judged. */
function missing(props: Record<string, unknown>, key: string, ok: (v: unknown) => boolean): boolean {
  return known(props[key]) ? !ok(props[key]) : !(key in props);
}

/** One mandatory rule about a tenant's container; `check` returns one message per problem found. */
function tenantRule(name: string, description: string, check: (id: string, props: Record<string, unknown>) => string[]): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
      if (!isTenantContainer(args.type, args.urn)) return;
      for (const problem of check(args.name, args.props)) reportViolation(`tenant ${args.name}: ${problem}`);
    },
  };
}

export const policies: Policy[] = [
  tenantRule("tenant-publishes-no-port", "A tenant's container publishes no port on the host: only the supervisor reaches it.", (_id, p) =>
    ((p.ports as PortSpec[] | undefined) ?? []).map((port) => `ports: publishes container port ${port.internal} on the host`),
  ),
  tenantRule("tenant-has-limits", "A tenant's container has a memory limit and a CPU limit.", (_id, p) => [
    ...(missing(p, "memory", (v) => Number(v) > 0) ? ["memory: no memory limit"] : []),
    ...(missing(p, "cpus", (v) => Number(v) > 0) ? ["cpus: no CPU limit"] : []),
  ]),
  tenantRule("tenant-runs-unprivileged", "A tenant runs as a non-root user with every capability dropped.", (_id, p) => {
    const problems: string[] = [];
    const user = p.user as string | undefined;
    if (missing(p, "user", (v) => v !== "" && !ROOT_USERS.test(String(v)))) {
      problems.push(`user: runs as root (${known(user) && user !== "" ? user : "the image's default user"}); set a numeric non-root user`);
    }
    const dropsAll = (v: unknown) => ((v as { drops?: string[] }).drops ?? []).some((d) => d.toUpperCase() === "ALL");
    if (missing(p, "capabilities", dropsAll)) problems.push("capabilities.drops: not every capability is dropped (ALL)");
    return problems;
  }),
  tenantRule("tenant-joins-only-its-network", "A tenant's container joins exactly one network: its own.", (id, p) => {
    const networks = (p.networksAdvanced as { name?: string }[] | undefined) ?? [];
    if (known(p.networkMode) && p.networkMode !== "bridge") return [`networkMode: ${String(p.networkMode)} instead of its own network`];
    if (networks.length !== 1) return [`networksAdvanced: joins ${networks.length} networks instead of only its own`];
    const name = networks[0].name;
    return known(name) && !name.endsWith(`-tenant-${id}-net`) ? [`networksAdvanced: joins ${name}, which is not its own network`] : [];
  }),
  tenantRule("tenant-env-holds-no-credential", "A tenant's env holds no credential-looking value outside secretEnv.", (_id, p) => {
    // Policies see secrets unwrapped: the variables tenants.yaml takes from stack secrets are named in a label.
    const envs = ((p.envs as string[] | undefined) ?? []).filter(known);
    // A new tenant's labels are unknown during a preview; its env names the same variables.
    const named = envs.find((e) => e.startsWith(`${SECRET_ENV_NAMES}=`))?.slice(SECRET_ENV_NAMES.length + 1);
    const fromSecrets = (labelValue(p, SECRET_ENV_LABEL) ?? named)?.split(",") ?? [];
    return envs.flatMap((entry) => {
      const eq = entry.indexOf("=");
      const name = eq < 0 ? entry : entry.slice(0, eq);
      if (fromSecrets.includes(name)) return [];
      const reason = credentialReason(name, eq < 0 ? "" : entry.slice(eq + 1));
      return reason === undefined ? [] : [`env.${name}: looks like a credential (${reason}); ${SECRETS_POINTER}`];
    });
  }),
  {
    name: "only-gateway-publishes",
    description: "Only the gateway publishes a port, and only on 127.0.0.1 where the stack has no tunnel.",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const tunnel = args.resources.some((r) => r.type === "dormer:index:Tunnel" || parentTypes(r.urn).includes("dormer:index:Tunnel"));
      for (const r of args.resources) {
        if (r.type !== CONTAINER) continue;
        const ports = ((r.props.ports as PortSpec[] | undefined) ?? []).filter((port) => known(port));
        if (ports.length === 0 || isTenantContainer(r.type, r.urn)) continue; // tenants: tenant-publishes-no-port
        if (!isGatewayContainer(r.type, r.urn)) {
          reportViolation(`${r.name}: ports: only the gateway may publish a port on the host`, r.urn);
          continue;
        }
        for (const port of ports) {
          if (!tunnel && known(port.ip) && port.ip !== "127.0.0.1") {
            reportViolation(`${r.name}: ports: published on ${port.ip}; without a tunnel the gateway listens on 127.0.0.1 only`, r.urn);
          }
          if (!tunnel && !known(port.ip)) reportViolation(`${r.name}: ports: published on every address; set ip 127.0.0.1`, r.urn);
        }
      }
    },
  },
  {
    // Advisory, not mandatory: tenants.yaml lets a tenant with its own image opt out (`rootFilesystem: writable`,
    // refused by validate for the default app), and a reviewer should see that opt-out rather than have it fail.
    name: "tenant-root-filesystem-read-only",
    description: "A tenant's root filesystem is read-only unless tenants.yaml opts its own image out (rootFilesystem: writable).",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
      if (!isTenantContainer(args.type, args.urn) || !missing(args.props, "readOnly", (v) => v === true)) return;
      reportViolation(
        `tenant ${args.name}: readOnly: the root filesystem is writable (rootFilesystem: writable); its writes go to the host's Docker disk, unbounded`,
      );
    },
  },
];
