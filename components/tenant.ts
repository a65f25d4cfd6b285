import * as pulumi from "@pulumi/pulumi";
import { LABEL } from "../runtime/engine/labels";
import { diskName, diskVolumeName } from "./disk-quota";
import { tenantBridgeName } from "./fence";
import { hasSecrets, TENANT_USER, tenantEnv } from "./tenant-env";
import { TENANT_HEALTHCHECK } from "./tenant-health";
import { TenantCommonArgs, tenantOutputs, tenantParts } from "./tenant-common";
import { TenantContainer, TenantNetwork, TenantVolume } from "./tenant-resources";

export interface TenantArgs extends TenantCommonArgs {
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
    const { base, networkName, readOnly, labels, key, workloadLabels } = tenantParts(this, id, args);
    const envs = pulumi.output(tenantEnv(id, spec, args.secrets)).apply((env) => env.map(([k, v]) => `${k}=${v}`));

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
        labels: workloadLabels,
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

    const outputs = tenantOutputs({ network, files, data, key, workload: container }, args.fingerprint);
    this.containerName = container.name;
    this.networkName = outputs.networkName;
    this.volumeNames = outputs.volumeNames;
    this.accessKey = outputs.accessKey;
    this.registerOutputs({ containerName: this.containerName, ...outputs });
  }
}
