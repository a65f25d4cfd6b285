import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { LABEL, SECRET_ENV_NAMES, TENANT_APP_PORT } from "../runtime/engine/labels";
import { tenantLabels } from "../runtime/engine/declared";
import { diskName, diskVolumeName } from "./disk-quota";
import { labelList } from "./docker-labels";
import { tenantBridgeName } from "./fence";
import { TenantContainer, TenantKey, TenantNetwork, TenantVolume } from "./tenant-resources";
import { TenantSpec } from "./tenants-file";

export interface TenantArgs {
  /** Stack prefix of every Docker name, e.g. "dormer-local". */
  prefix: string;
  stack: string;
  /** The validated tenant, its plan already applied. */
  spec: TenantSpec;
  /** Image to run: the project's tenant app unless the tenant names its own. */
  image: pulumi.Input<string>;
  /** This tenant's stack secrets by name (a secret Output); secretEnv picks its variables' values from it. */
  secrets: pulumi.Output<Record<string, string>>;
  /** Prod: each of the tenant's own host names -> its Access application's audience; `{}` without a tunnel. */
  accessAudiences: pulumi.Input<Record<string, string>>;
  /** The network's explicit subnet and gateway, from the stack's pool (components/subnets.ts). */
  ipam: pulumi.Input<docker.types.input.NetworkIpamConfig[]>;
  /** The volume driver of tenants with limits.diskMb (runtime/volumes). */
  diskDriver: string;
}

function hasSecrets(spec: TenantSpec): boolean {
  return Object.keys(spec.secretEnv).length > 0;
}

/**
 * `NAME=value` for every variable: tenants.yaml's env, the platform's own, and the secretEnv ones from the
 * stack's secrets. With any secret among them the whole list is a secret, so previews, diffs and the state
 * file show "[secret]"; a tenant without secrets keeps a readable env diff.
 */
function containerEnv(id: string, spec: TenantSpec, secrets: pulumi.Output<Record<string, string>>): pulumi.Input<string[]> {
  const plain = Object.entries({
    ...spec.env,
    DORMER_TENANT_ID: id,
    PORT: String(TENANT_APP_PORT),
    FILES_DIR: "/data/files",
    DATA_DIR: "/data/state",
    // The extra ports the default app also serves; set only when there are some, so no other tenant changes.
    ...(spec.ports.length ? { DORMER_PORTS: spec.ports.join(",") } : {}),
  }).map(([k, v]) => `${k}=${v}`);
  if (!hasSecrets(spec)) return plain;
  // checkSecretsSet (Platform) has made sure every name is there.
  // The names (never values) also travel in the env: a new tenant's labels are unknown during a preview, and
  // the policy pack must still tell a secret's variable from a credential pasted into tenants.yaml.
  const names = `${SECRET_ENV_NAMES}=${Object.keys(spec.secretEnv).join(",")}`;
  return pulumi.secret(secrets.apply((values) => [...plain, names, ...Object.entries(spec.secretEnv).map(([k, name]) => `${k}=${values[name]}`)]));
}

/** The names (never the values) of the variables that come from secrets, for readers of `docker inspect` and the policy pack. */
function secretEnvLabel(spec: TenantSpec): Record<string, string> {
  return hasSecrets(spec) ? { [LABEL.secretEnv]: Object.keys(spec.secretEnv).join(",") } : {};
}

/** The uid:gid every tenant runs as; the volumes' files belong to it. */
const TENANT_USER = "10001:10001";
const MIB = 1024 * 1024;

/**
 * One tenant: its own network, its files and data volumes (kept when the tenant leaves tenants.yaml), and a
 * container created asleep. Nothing is published on the host: only the supervisor reaches it.
 */
export class Tenant extends pulumi.ComponentResource {
  readonly containerName: pulumi.Output<string>;
  readonly networkName: pulumi.Output<string>;
  readonly volumeNames: pulumi.Output<string[]>;
  /** The key people of this tenant log in with on local stacks (a stack secret). */
  readonly accessKey: pulumi.Output<string>;

  constructor(id: string, args: TenantArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:index:Tenant", id, {}, opts);
    const { spec } = args;
    const limits = spec.limits;
    const base = `${args.prefix}-tenant-${id}`;
    // The plan's own timeout: the stack's cap (dormer:maxIdleTimeoutSeconds) is the supervisor's to apply, so
    // changing it replaces no tenant.
    const idleTimeoutSeconds = limits.idleTimeoutMinutes * 60;
    const readOnly = spec.rootFilesystem === "read-only";
    const envs = containerEnv(id, spec, args.secrets);
    const labels = (extra: Record<string, string> = {}) => labelList({ [LABEL.stack]: args.stack, [LABEL.tenant]: id, ...extra });

    const network = new TenantNetwork(
      `${id}-net`,
      {
        name: `${base}-net`,
        driver: "bridge",
        internal: !limits.egress,
        labels: labels(),
        ipamConfigs: args.ipam,
        // The host firewall fence (components/fence.ts) recognises tenant networks by their bridge's name.
        options: { "com.docker.network.bridge.name": tenantBridgeName(`${base}-net`) },
      },
      { parent: this },
    );
    // Volumes outlive the tenant: a pull request that drops a tenant must never drop its data.
    const volume = (kind: "files" | "data") =>
      new TenantVolume(
        `${id}-${kind}`,
        limits.diskMb === undefined
          ? { name: `${base}-${kind}`, labels: labels({ [LABEL.volume]: kind }) }
          : {
              // Both volumes on one disk named for the tenant: one quota. Its size is not here but in the
              // container's labels: every volume property replaces the volume, and a new volume starts empty.
              // A new name, because the plain volume of that name keeps its files until they are copied over
              // at the first mount (migrateFrom), and stays until removed by hand.
              name: diskVolumeName(args.prefix, id, kind),
              driver: args.diskDriver,
              driverOpts: { disk: diskName(args.prefix, id), owner: TENANT_USER, migrateFrom: `${base}-${kind}` },
              labels: labels({ [LABEL.volume]: kind }),
            },
        { parent: this, retainOnDelete: true },
      );
    const files = volume("files");
    const data = volume("data");

    const key = new TenantKey(`${id}-key`, { length: 32, special: false }, { parent: this });
    // A hash of a 32-character random key reveals nothing useful, and keeping it out of secrets keeps the
    // container's labels readable in preview diffs.
    const keyHash = pulumi.unsecret(key.result.apply((k) => crypto.createHash("sha256").update(k).digest("hex")));

    const container = new TenantContainer(
      `${id}`,
      {
        name: base,
        image: args.image,
        // Created asleep: the supervisor starts it on the first request. mustRun false keeps a refresh from
        // treating sleep as drift, and from waking every tenant.
        start: false,
        mustRun: false,
        restart: "unless-stopped",
        memory: limits.memoryMb,
        // Docker's default is as much swap again as memory; the plan's memory is the limit unless it adds swap.
        memorySwap: limits.memoryMb + limits.swapMb,
        cpus: String(limits.cpus),
        envs,
        labels: pulumi.all([keyHash, args.accessAudiences]).apply(([accessKeySha256, accessAudiences]) =>
          labelList({
            ...tenantLabels(args.stack, {
              id,
              displayName: spec.displayName,
              plan: spec.plan,
              container: base,
              network: `${base}-net`,
              port: TENANT_APP_PORT,
              idleTimeoutSeconds,
              dailyRequestQuota: limits.dailyRequestQuota,
              maxHeldRequests: limits.maxHeldRequests,
              wakeTimeoutSeconds: limits.wakeTimeoutSeconds,
              maxConnections: limits.maxConnections,
              requestTimeoutSeconds: limits.requestTimeoutSeconds,
              egress: limits.egress,
              // Written only for tenants with a light sleep, so adding the setting replaces no other tenant.
              ...(limits.lightSleepAfterMinutes === undefined
                ? {}
                : { lightSleepSeconds: limits.lightSleepAfterMinutes * 60, memoryMb: limits.memoryMb }),
              pidsLimit: limits.pidsLimit,
              ...(limits.diskMb === undefined ? {} : { disk: { sizeMb: limits.diskMb, volume: diskVolumeName(args.prefix, id, "files") } }),
              members: spec.members,
              accessKeySha256,
              ports: spec.ports,
              hostnames: spec.hostnames,
              accessAudiences,
            }),
            ...secretEnvLabel(spec),
          }),
        ),
        networksAdvanced: [{ name: network.name, aliases: ["app"] }],
        volumes: [
          { volumeName: files.name, containerPath: "/data/files" },
          { volumeName: data.name, containerPath: "/data/state" },
        ],
        capabilities: { drops: ["ALL"] },
        securityOpts: ["no-new-privileges:true"],
        // Every tenant, its own image included, runs as an unprivileged uid: the policy pack refuses root.
        user: TENANT_USER,
        // A read-only root leaves the volumes and a /tmp in memory, capped, as the only places to write.
        readOnly,
        ...(readOnly
          ? { mounts: [{ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: limits.tmpMb * MIB, mode: 0o1777 } }] }
          : {}),
        // No Docker health check, an image's own included: readiness is the supervisor's probe of /health when it
        // wakes a tenant, liveness its watchdog. A check Docker runs is a process exec'd in every awake tenant
        // every interval whether anyone uses the tenant or not (the default app's, node every 2 s, cost
        // 65 ms of CPU a second per tenant: 30 idle awake tenants took a core of a 2-core host).
        healthcheck: { tests: ["NONE"] },
      },
      {
        parent: this,
        deleteBeforeReplace: true,
        dependsOn: [files, data],
        // The provider hands envs back as it read them from Docker, in the clear; this keeps the secret values
        // out of the state file's outputs too.
        ...(hasSecrets(spec) ? { additionalSecretOutputs: ["envs"] } : {}),
      },
    );

    this.containerName = container.name;
    this.networkName = network.name;
    this.volumeNames = pulumi.all([files.name, data.name]);
    this.accessKey = key.result;
    this.registerOutputs({
      containerName: this.containerName,
      networkName: this.networkName,
      volumeNames: this.volumeNames,
      accessKey: this.accessKey,
    });
  }
}
