import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { LABEL } from "../runtime/engine/labels";
import { diskName, diskVolumeName } from "./disk-quota";
import { tenantBridgeName } from "./fence";
import { hasSecrets, TENANT_USER, tenantEnv } from "./tenant-env";
import { TENANT_HEALTHCHECK } from "./tenant-health";
import { declaredTenantLabels, tenantNames, tenantResourceLabels } from "./tenant-labels";
import { TenantContainer, TenantKey, TenantNetwork, TenantVolume } from "./tenant-resources";
import { TenantSpec } from "./tenants-file";
import { appliedFingerprint } from "./fingerprint";

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
  /** Recorded in the outputs once every resource of the tenant is applied (components/fingerprint.ts). */
  fingerprint?: pulumi.Output<string>;
  /** The network's explicit subnet and gateway, from the stack's pool (components/subnets.ts). */
  ipam: pulumi.Input<docker.types.input.NetworkIpamConfig[]>;
  /** The volume driver of tenants with limits.diskMb (runtime/volumes). */
  diskDriver: string;
}

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
    const { workload: base, network: networkName } = tenantNames(args.prefix, id);
    const readOnly = spec.rootFilesystem === "read-only";
    const envs = pulumi.output(tenantEnv(id, spec, args.secrets)).apply((env) => env.map(([k, v]) => `${k}=${v}`));
    const labels = (extra: Record<string, string> = {}) => tenantResourceLabels(args.stack, id, extra);

    const network = new TenantNetwork(
      `${id}-net`,
      {
        name: networkName,
        driver: "bridge",
        internal: !limits.egress,
        labels: labels(),
        ipamConfigs: args.ipam,
        // The host firewall fence (components/fence.ts) recognises tenant networks by their bridge's name.
        options: { "com.docker.network.bridge.name": tenantBridgeName(networkName) },
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
        labels: declaredTenantLabels({ prefix: args.prefix, stack: args.stack, id, spec, key: key.result, accessAudiences: args.accessAudiences }),
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
        healthcheck: TENANT_HEALTHCHECK,
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
      fingerprint: appliedFingerprint(args.fingerprint, [network, files, data, key, container]),
    });
  }
}
