import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import { appliedFingerprint } from "./fingerprint";
import { declaredTenantLabels, tenantNames, tenantResourceLabels } from "./tenant-labels";
import { TenantKey, TenantNetwork, TenantVolume } from "./tenant-resources";
import { TenantSpec } from "./tenants-file";

/** What a tenant is given, whichever orchestrator runs it (Tenant on Docker, SwarmTenant on a swarm). */
export interface TenantCommonArgs {
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
}

/** What every tenant is made of besides the workload that runs it. */
export interface TenantParts {
  /** The workload's name (container or service) and the stem of its volumes'. */
  base: string;
  networkName: string;
  readOnly: boolean;
  /** The labels of the tenant's network and volumes, plus `extra`. */
  labels: (extra?: Record<string, string>) => docker.types.input.ContainerLabel[];
  key: TenantKey;
  /** The labels the runtime finds the workload by (runtime/engine/labels.ts). */
  workloadLabels: pulumi.Output<docker.types.input.ContainerLabel[]>;
}

export function tenantParts(parent: pulumi.ComponentResource, id: string, args: TenantCommonArgs): TenantParts {
  const { workload: base, network: networkName } = tenantNames(args.prefix, id);
  const key = new TenantKey(`${id}-key`, { length: 32, special: false }, { parent });
  return {
    base,
    networkName,
    readOnly: args.spec.rootFilesystem === "read-only",
    labels: (extra = {}) => tenantResourceLabels(args.stack, id, extra),
    key,
    workloadLabels: declaredTenantLabels({ prefix: args.prefix, stack: args.stack, id, spec: args.spec, key: key.result, accessAudiences: args.accessAudiences }),
  };
}

/** A tenant's resources once declared: what its outputs are made of. */
export interface TenantResources {
  network: TenantNetwork;
  files: TenantVolume;
  data: TenantVolume;
  key: TenantKey;
  /** The container or the service. */
  workload: pulumi.CustomResource;
}

/** The outputs every tenant registers, its own fields among them; the fingerprint only once all of its resources are applied. */
export interface TenantOutputs {
  networkName: pulumi.Output<string>;
  volumeNames: pulumi.Output<string[]>;
  accessKey: pulumi.Output<string>;
  fingerprint: pulumi.Output<string | undefined>;
}

export function tenantOutputs(r: TenantResources, fingerprint: pulumi.Output<string> | undefined): TenantOutputs {
  return {
    networkName: r.network.name,
    volumeNames: pulumi.all([r.files.name, r.data.name]),
    accessKey: r.key.result,
    fingerprint: appliedFingerprint(fingerprint, [r.network, r.files, r.data, r.key, r.workload]),
  };
}
