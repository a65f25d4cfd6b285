// The shape of tenants.yaml. Messages set here are domain-specific; generic ones (ranges, types) come from
// the error map in tenants-file.ts so every problem reads the same way.
import { z } from "zod";
import { TENANT_APP_PORT } from "../runtime/engine/labels";
import { PORT_SEPARATOR } from "../runtime/http/origins";
import { SECRET_NAME, SECRET_NAME_RULE } from "./tenant-secrets";

/**
 * Variables the tenant component sets on every container (components/tenant.ts); a tenant's own value would be
 * silently overwritten, so setting one is an error instead.
 */
export const RESERVED_ENV_PREFIX = "DORMER_";
export const RESERVED_ENV_NAMES: readonly string[] = ["PORT", "FILES_DIR", "DATA_DIR"];

/** The gateway's read timeout is derived from this, so the tenant's own limit is always the one that cuts. */
export const MAX_REQUEST_TIMEOUT_SECONDS = 1800;

/** Below this, ext4's own metadata and journal would take most of a tenant's disk. */
export const MIN_DISK_MB = 16;

const limitFields = {
  /** CPU cores (0.5 = half a core). */
  cpus: z.number().min(0.05).max(16),
  /** Memory limit in MiB. */
  memoryMb: z.int().min(128).max(65536),
  /** Swap in MiB on top of memoryMb; 0 (the default) means none: the tenant is killed at memoryMb. */
  swapMb: z.int().min(0).max(65536),
  /** Processes and threads the tenant may run at once; a fork loop stops here. */
  pidsLimit: z.int().min(16).max(32768),
  /**
   * The tenant's disk in MiB: its files and data volumes together, a hard limit (writes past it fail with
   * "no space left"). ext4 keeps about 1.5 MiB of small disks for itself. Unset: no disk fence (plain volumes).
   */
  diskMb: z.int().min(MIN_DISK_MB).max(1_048_576),
  /** Size in MiB of the writable /tmp (in memory) a read-only root filesystem gets. */
  tmpMb: z.int().min(1).max(4096),
  /** Minutes without a request before the tenant is put to sleep. */
  idleTimeoutMinutes: z.int().min(1).max(1440),
  /**
   * Minutes without a request before the tenant is paused (light sleep: memory kept, no CPU, woken in
   * milliseconds); below idleTimeoutMinutes, when the deep sleep follows. Unset: deep sleep only.
   */
  lightSleepAfterMinutes: z.int().min(1).max(1439),
  /** Whether the tenant may reach the internet; without it only the platform network is reachable. */
  egress: z.boolean(),
  /** Requests per UTC day, or "unlimited". 0 is refused: it would read as either "none" or "no limit". */
  dailyRequestQuota: z.union([z.int().min(1), z.literal("unlimited")], {
    error: 'must be a whole number or "unlimited"',
  }),
  /** Requests held while the tenant wakes; the next one gets a 503. */
  maxHeldRequests: z.int().min(1).max(10000),
  /** Seconds a held request waits for the tenant to become healthy before a 504. */
  wakeTimeoutSeconds: z.int().min(1).max(600),
  /**
   * Connections the tenant may hold in the supervisor at once: requests waiting or being answered, plus
   * open WebSockets. The next one gets a 503. The sum over all tenants must fit the stack's budget.
   */
  maxConnections: z.int().min(1).max(100_000),
  /** Seconds a request to the tenant may go without a byte either way (no answer yet: a 504). */
  requestTimeoutSeconds: z.int().min(1).max(MAX_REQUEST_TIMEOUT_SECONDS),
};

export const PlanSchema = z.strictObject({
  ...limitFields,
  maxHeldRequests: limitFields.maxHeldRequests.default(100),
  wakeTimeoutSeconds: limitFields.wakeTimeoutSeconds.default(30),
  maxConnections: limitFields.maxConnections.default(100),
  requestTimeoutSeconds: limitFields.requestTimeoutSeconds.default(60),
  swapMb: limitFields.swapMb.default(0),
  pidsLimit: limitFields.pidsLimit.default(256),
  tmpMb: limitFields.tmpMb.default(64),
  lightSleepAfterMinutes: limitFields.lightSleepAfterMinutes.optional(),
  diskMb: limitFields.diskMb.optional(),
});

/** A tenant's overrides of its plan; same fields and ranges, all optional, no defaults of their own. */
export const LimitsSchema = z.strictObject(limitFields).partial();

const PlanName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, {
  error: 'name must be up to 32 lowercase letters, digits and "-", starting with a letter',
});

// 3-32 chars, a DNS label and a Docker name fragment, so names built from it are valid for containers,
// networks, volumes and hostnames. No "--": `<id>--<port>.<base>` is the host name of a tenant's extra port
// (runtime/http/origins.ts), and an id holding "--" could be read as another tenant's port.
export const TenantId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, {
    error: 'must be 3-32 lowercase letters, digits and "-", starting with a letter and not ending with "-"',
  })
  .refine((id) => !id.includes(PORT_SEPARATOR), {
    error: `must not contain "${PORT_SEPARATOR}": <id>${PORT_SEPARATOR}<port>.<tenantBaseDomain> is the host name of a tenant's extra port`,
  });

const EnvName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'must be letters, digits and "_", not starting with a digit' })
  .refine((k) => !k.startsWith(RESERVED_ENV_PREFIX) && !RESERVED_ENV_NAMES.includes(k), {
    error: `is set by the platform (reserved: ${RESERVED_ENV_PREFIX}*, ${RESERVED_ENV_NAMES.join(", ")})`,
  });

// YAML turns unquoted `true` or `3000` into non-strings; say how to fix it.
const EnvValue = z.string({ error: 'must be a string (quote it: "3000", "true")' });

const SecretName = z.string({ error: "must be the name of a secret (dormer secret list TENANT)" }).regex(SECRET_NAME, {
  error: SECRET_NAME_RULE,
});

/** An email (`alice@acme.com`) or a whole domain (`@acme.com`, that domain only, not subdomains). */
export const Member = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^([a-z0-9._%+-]+)?@[a-z0-9-]+(\.[a-z0-9-]+)+$/, {
    error: "must be an email (alice@acme.com) or a domain (@acme.com)",
  });

const Port = z.int().min(1).max(65535).refine((p) => p !== TENANT_APP_PORT, {
  error: `must not be ${TENANT_APP_PORT}: the app port is always exposed`,
});

// registry[:port]/path[:tag][@digest], the subset of Docker's reference grammar people actually write.
const REGISTRY = String.raw`[a-z0-9.-]+(:\d+)?`;
const COMPONENT = String.raw`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`;
const TAG = String.raw`:\w[\w.-]{0,127}`;
const DIGEST = "@sha256:[a-f0-9]{64}";
const ImageRef = z
  .string()
  .regex(new RegExp(`^(${REGISTRY}/)?${COMPONENT}(/${COMPONENT})*(${TAG})?(${DIGEST})?$`), {
    error: 'must be an image reference like "ghcr.io/acme/app:1.2"',
  });

/**
 * A host name people type: lower-case labels of letters, digits and "-" (not at either end), at least two of
 * them, the last not all digits (so never an IP address), 253 characters at most. No wildcards, no port.
 */
export const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+(?!\d+$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const Hostname = z
  .string()
  .trim()
  .toLowerCase()
  .regex(HOSTNAME, { error: 'must be a DNS name like files.acme.com (labels of letters, digits and "-", no port, no wildcard)' });

/** A swarm node's hostname, as `docker node ls` shows it: it goes into a placement constraint verbatim. */
export const NODE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
export const NODE_NAME_RULE = 'must be a node\'s hostname (letters, digits, ".", "_" and "-"), as docker node ls shows it';
const NodeName = z.string().regex(NODE_NAME, { error: NODE_NAME_RULE });

/** Reports every repeated entry, naming where it first appeared. */
function unique<T>(list: T[], ctx: z.core.$RefinementCtx<T[]>, name: string): void {
  list.forEach((item, i) => {
    const first = list.indexOf(item);
    if (first < i) ctx.addIssue({ code: "custom", path: [i], message: `duplicate of ${name}[${first}]` });
  });
}

export const TenantSchema = z.strictObject({
  id: TenantId,
  /** Shown on the waiting page and in the admin API; defaults to the id. */
  displayName: z.string().trim().min(1).max(80).optional(),
  plan: z.string().min(1),
  limits: LimitsSchema.optional(),
  /** Undefined means the project's default tenant app. */
  image: ImageRef.optional(),
  /**
   * "read-only" (the default) or "writable". Only a tenant with its own image may choose "writable": the
   * default app never writes outside its volumes and /tmp.
   */
  rootFilesystem: z.enum(["read-only", "writable"]).optional(),
  env: z.record(EnvName, EnvValue).default({}),
  /**
   * Variables whose values are stack secrets, by name only (`API_TOKEN: api-token`): the value is set with
   * `dormer secret set TENANT NAME` and never appears in this file.
   */
  secretEnv: z.record(EnvName, SecretName).default({}),
  members: z
    .array(Member)
    .superRefine((list, ctx) => unique(list, ctx, "members"))
    .default([]),
  /** Host names of the tenant's own, besides `<id>.<tenantBaseDomain>`: each routes to this tenant. */
  hostnames: z
    .array(Hostname)
    .superRefine((list, ctx) => unique(list, ctx, "hostnames"))
    .default([]),
  /**
   * Swarm stacks only: the node (its hostname) the tenant runs on, where its volumes live. Unset: the stack's
   * dormer:swarmNode. A docker stack refuses it.
   */
  node: NodeName.optional(),
  /** Extra container ports, besides the app port. */
  ports: z
    .array(Port)
    .superRefine((list, ctx) => unique(list, ctx, "ports"))
    .default([]),
});

export const TenantsFileSchema = z.strictObject({
  version: z.literal(1),
  plans: z.record(PlanName, PlanSchema),
  tenants: z.array(TenantSchema),
});

/** A plan, or a tenant's resolved limits: every field present. */
export type Plan = z.output<typeof PlanSchema>;
