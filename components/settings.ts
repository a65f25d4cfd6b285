import * as pulumi from "@pulumi/pulumi";
import { connectionBudgetFrom } from "./connection-budget";
import { LogLimits, logLimitsFrom } from "./log-limits";
import { engineSocketFrom, Orchestrator, orchestratorFrom, swarmNodeFrom } from "./orchestrator";
import { SubnetPool, subnetPoolFrom } from "./subnets";
import { StoredSecretNames, storedSecretNames, TENANT_SECRETS_KEY } from "./tenant-secrets";

/** Cloudflare settings of a prod stack; their presence is what turns the tunnel on. */
export interface CloudflareSettings {
  accountId: string;
  zoneId: string;
  /** Public hostname of the platform's origin (sign-in), routed through the tunnel to the gateway, e.g. dormer.example.com. */
  hostname: string;
  /** Zone holding the tenants' wildcard record, when the tenant base domain is in another zone (default: zoneId). */
  tenantZoneId?: string;
  /** The Access team domain whose JWTs the supervisor verifies, e.g. example.cloudflareaccess.com. */
  accessTeamDomain: string;
  /** Email domains Access lets in; tenants.yaml members then decide which tenant each person reaches. */
  accessAllowedEmailDomains: string[];
  /**
   * Zones of tenants' own host names (tenants.yaml `hostnames`), by domain: `{"acme.com": "<zone id>"}` puts
   * files.acme.com's record in that zone (the longest matching domain wins). Unlisted: tenantZoneId, else zoneId.
   */
  hostnameZones?: Record<string, string>;
}

/** Everything a stack's config says, typed and checked in one place. */
export interface PlatformSettings {
  stack: string;
  /** What runs the tenants (dormer:orchestrator, default "docker"): containers on one host, or swarm services. */
  orchestrator: Orchestrator;
  /** Swarm stacks: the node tenants without a `node` of their own run on (dormer:swarmNode). */
  swarmNode?: string;
  /** Host path of the socket of the engine the stack is declared on: the supervisor mounts it. */
  engineSocket: string;
  /** Prefix of every Docker object this stack owns, so stacks on one host never collide. */
  prefix: string;
  baseImage: string;
  gatewayPort: number;
  /** The platform's own origin: sign-in, admin API. */
  publicUrl: string;
  /**
   * Tenant `acme` is served on its own origin `acme.<tenantBaseDomain>` (publicUrl's scheme and port).
   * Default `localhost`: browsers resolve `*.localhost` to this machine with no DNS set-up.
   */
  tenantBaseDomain: string;
  tenantsFile: string;
  /** Requests per minute per client at the gateway (default 60), with this burst on top (default 20). */
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /** Largest request body the gateway accepts, in MB (default 10); larger ones get 413. */
  maxBodyMb: number;
  /** Caps every tenant's idle timeout (ci uses a short one); unset means the plans decide. */
  maxIdleTimeoutSeconds?: number;
  /**
   * The most connections all tenants together may hold (default 9 000): the sum of their maxConnections
   * caps must fit in it, and the supervisor's and the gateway's descriptor limits are sized from it.
   */
  maxConnections: number;
  /**
   * The most memory (sum of their plans' memoryMb) tenants in light sleep may hold at once; past it the
   * least recently used paused tenant is stopped. Unset: no cap. A supervisor setting, never a tenant label.
   */
  pausedMemoryMb?: number;
  /**
   * Supervisors serving side by side (dormer:supervisorReplicas, default 2, 1 to 8): a change replaces them one
   * at a time, so one always serves. With 1, a supervisor change leaves a gap.
   */
  supervisorReplicas: number;
  /** Rotation of every container's json-file logs (dormer:logMaxSizeMb, default 10; dormer:logMaxFiles, default 3). */
  logs: LogLimits;
  cloudflare?: CloudflareSettings;
  /** Where every network's explicit subnet comes from (default 10.212.0.0/16 in /28s). */
  subnetPool: SubnetPool;
  /**
   * The Docker volume driver that fences tenants with a diskMb (runtime/volumes, default "dormer-disk"): it
   * must run on the host before any such tenant starts (docs/operating.md).
   */
  diskDriver: string;
  /** cloudflared's image on stacks with a tunnel; pin a version in prod. */
  cloudflaredImage: string;
  /** What `dormer secret set` stored: the names in the clear (to check references), the values as a secret. */
  tenantSecrets: { names: StoredSecretNames; values: pulumi.Output<Record<string, Record<string, string>>> };
}

function port(value: number, key: string): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`dormer:${key}: must be a port number (1-65535), got ${value}`);
  }
  return value;
}

/** dormer:supervisorReplicas: 2 unless set; a whole number from 1 to 8. */
export function supervisorReplicasFrom(value: number | undefined): number {
  if (value === undefined) return 2;
  if (!Number.isInteger(value) || value < 1 || value > 8) {
    throw new Error(`dormer:supervisorReplicas: must be a whole number from 1 to 8 (2 or more to change the supervisor without a gap), got ${value}`);
  }
  return value;
}

const DNS_NAME = /^(?=.{1,200}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

function tenantBaseDomain(value: string, cloudflare: CloudflareSettings | undefined): string {
  if (!DNS_NAME.test(value)) throw new Error(`dormer:tenantBaseDomain: must be a lower-case DNS name, e.g. tenants.example.net, got ${value}`);
  if (cloudflare && value === "localhost") {
    throw new Error("dormer:tenantBaseDomain: a stack with a Cloudflare tunnel needs a public base domain for its tenants, e.g. tenants.example.net");
  }
  if (cloudflare && cloudflare.hostname.endsWith(`.${value}`) && !cloudflare.hostname.slice(0, -value.length - 1).includes(".")) {
    throw new Error(`dormer:tenantBaseDomain: ${value} would make the platform's own host ${cloudflare.hostname} look like a tenant's; use a base domain of its own`);
  }
  return value;
}

export function readSettings(): PlatformSettings {
  const cfg = new pulumi.Config("dormer");
  const stack = pulumi.getStack();
  const cloudflare = cfg.getObject<CloudflareSettings>("cloudflare");
  const orchestrator = orchestratorFrom(cfg.get("orchestrator"));
  return {
    stack,
    orchestrator,
    engineSocket: engineSocketFrom(orchestrator, process.env.DOCKER_HOST),
    swarmNode: swarmNodeFrom(cfg.get("swarmNode")),
    prefix: `dormer-${stack}`,
    // An offline machine builds its own base when the stack's public one cannot be pulled (see the CLI).
    baseImage: process.env.DORMER_BASE_IMAGE ?? cfg.get("baseImage") ?? "debian:bookworm-slim",
    gatewayPort: port(cfg.getNumber("gatewayPort") ?? 8088, "gatewayPort"),
    publicUrl: cfg.get("publicUrl") ?? `http://127.0.0.1:${cfg.getNumber("gatewayPort") ?? 8088}`,
    tenantBaseDomain: tenantBaseDomain(cfg.get("tenantBaseDomain") ?? "localhost", cloudflare),
    // DORMER_TENANTS_FILE lets one run use another file (a pull request's, a test's) without editing stacks/.
    tenantsFile: process.env.DORMER_TENANTS_FILE ?? cfg.get("tenantsFile") ?? "tenants.yaml",
    rateLimitPerMinute: cfg.getNumber("rateLimitPerMinute", { min: 1 }) ?? 60,
    rateLimitBurst: cfg.getNumber("rateLimitBurst", { min: 0 }) ?? 20,
    maxBodyMb: cfg.getNumber("maxBodyMb", { min: 1 }) ?? 10,
    maxIdleTimeoutSeconds: cfg.getNumber("maxIdleTimeoutSeconds", { min: 1 }),
    maxConnections: connectionBudgetFrom(cfg.get("maxConnections")),
    pausedMemoryMb: cfg.getNumber("pausedMemoryMb", { min: 0 }),
    supervisorReplicas: supervisorReplicasFrom(cfg.getNumber("supervisorReplicas")),
    logs: logLimitsFrom(cfg.get("logMaxSizeMb"), cfg.get("logMaxFiles")),
    cloudflare,
    cloudflaredImage: cfg.get("cloudflaredImage") ?? "cloudflare/cloudflared:latest",
    diskDriver: cfg.get("diskDriver") ?? "dormer-disk",
    subnetPool: subnetPoolFrom({ subnetPool: cfg.get("subnetPool"), networkPrefixLength: cfg.getNumber("networkPrefixLength") }),
    tenantSecrets: readTenantSecrets(cfg),
  };
}

function readTenantSecrets(cfg: pulumi.Config): PlatformSettings["tenantSecrets"] {
  // The runtime's raw string is read for the names only: Config.get of a secret key would warn, and the
  // values never leave the secret Output.
  const raw = pulumi.runtime.getConfig(`dormer:${TENANT_SECRETS_KEY}`);
  return {
    names: raw === undefined ? {} : storedSecretNames(JSON.parse(raw)),
    values: cfg.getSecretObject<Record<string, Record<string, string>>>(TENANT_SECRETS_KEY) ?? pulumi.secret<Record<string, Record<string, string>>>({}),
  };
}
