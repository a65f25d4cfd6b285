import * as pulumi from "@pulumi/pulumi";
import { LABEL } from "../../runtime/engine/labels";
import { placementOf } from "../orchestrator";
import { hasSecrets, TENANT_USER, tenantEnv } from "../tenant-env";
import { TENANT_HEALTHCHECK } from "../tenant-health";
import { TenantCommonArgs, tenantOutputs, tenantParts } from "../tenant-common";
import { TenantNetwork, TenantService, TenantVolume } from "../tenant-resources";

export interface SwarmTenantArgs extends TenantCommonArgs {
  /** The node tenants without a `node` of their own are placed on (dormer:swarmNode). */
  swarmNode: string | undefined;
}

const MIB = 1024 * 1024;

/**
 * One tenant on a swarm: its own attachable overlay (the supervisor joins it only while it needs the tenant),
 * its files and data volumes (kept when the tenant leaves tenants.yaml), and a service declared with 0
 * replicas, asleep. The runtime (runtime/engine/swarm.ts) finds the service by its labels and scales it to 1
 * and back; `up` never does, whatever the count is when it runs. Its spec has passed checkOrchestrator,
 * which refuses what a swarm cannot honour.
 */
export class SwarmTenant extends pulumi.ComponentResource {
  readonly serviceName: pulumi.Output<string>;
  readonly networkName: pulumi.Output<string>;
  readonly volumeNames: pulumi.Output<string[]>;
  /** The key people of this tenant log in with on local stacks (a stack secret). */
  readonly accessKey: pulumi.Output<string>;

  constructor(id: string, args: SwarmTenantArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dormer:swarm:Tenant", id, {}, opts);
    const { spec } = args;
    const limits = spec.limits;
    const { base, networkName, readOnly, labels, key, workloadLabels } = tenantParts(this, id, args);

    const network = new TenantNetwork(
      `${id}-net`,
      { name: networkName, driver: "overlay", attachable: true, internal: !limits.egress, labels: labels(), ipamConfigs: args.ipam },
      { parent: this },
    );
    // Volumes outlive the tenant: a pull request that drops a tenant must never drop its data. They are the
    // engine's at the stack's socket: the node the tenant is placed on must be that engine's (docs/operating.md).
    const volume = (kind: "files" | "data") =>
      new TenantVolume(`${id}-${kind}`, { name: `${base}-${kind}`, labels: labels({ [LABEL.volume]: kind }) }, { parent: this, retainOnDelete: true });
    const files = volume("files");
    const data = volume("data");

    const nanoCpus = Math.round(limits.cpus * 1e9);
    const memoryBytes = limits.memoryMb * MIB;
    const service = new TenantService(
      id,
      {
        name: base,
        labels: workloadLabels,
        taskSpec: {
          containerSpec: {
            image: args.image,
            env: pulumi.output(tenantEnv(id, spec, args.secrets)).apply((env) => Object.fromEntries(env)),
            // Every tenant, its own image included, runs as an unprivileged uid: the policy pack refuses root.
            user: TENANT_USER,
            readOnly,
            capDrops: ["ALL"],
            mounts: [
              { type: "volume", source: files.name, target: "/data/files" },
              { type: "volume", source: data.name, target: "/data/state" },
              // A read-only root leaves the volumes and a /tmp in memory, capped, as the only places to write.
              ...(readOnly ? [{ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: limits.tmpMb * MIB, mode: 0o1777 } }] : []),
            ],
            healthcheck: TENANT_HEALTHCHECK,
          },
          // Reserved as much as it may use: the scheduler places a wake only where the plan fits.
          resources: { limits: { nanoCpus, memoryBytes }, reservation: { nanoCpus, memoryBytes } },
          // A task that dies is replaced at once, as docker's unless-stopped restarts the container.
          restartPolicy: { condition: "any", delay: "0s" },
          placement: { constraints: [placementOf(spec, args.swarmNode)] },
          // Upstream reads networks back as ids: declared by id, they show no change.
          networksAdvanceds: [{ name: network.id, aliases: ["app"] }],
        },
        // Created asleep. The runtime owns the count from then on (below).
        mode: { replicated: { replicas: 0 } },
        // One task, replaced in place: stopped before its successor starts (both would mount the same volumes),
        // and the previous spec restored when the new task fails.
        updateConfig: { parallelism: 1, order: "stop-first", failureAction: "rollback" },
      },
      {
        parent: this,
        // The runtime scales the service 0 <-> 1: `up` must neither wake a sleeping tenant nor put an awake one to sleep.
        ignoreChanges: ["mode.replicated.replicas"],
        deleteBeforeReplace: true,
        dependsOn: [files, data],
        // The provider hands the env back as it read it from the swarm, in the clear.
        ...(hasSecrets(spec) ? { additionalSecretOutputs: ["taskSpec"] } : {}),
      },
    );

    const outputs = tenantOutputs({ network, files, data, key, workload: service }, args.fingerprint);
    this.serviceName = service.name;
    this.networkName = outputs.networkName;
    this.volumeNames = outputs.volumeNames;
    this.accessKey = outputs.accessKey;
    this.registerOutputs({ serviceName: this.serviceName, ...outputs });
  }
}
