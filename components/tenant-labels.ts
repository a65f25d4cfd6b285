import * as crypto from "crypto";
import type * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { LABEL, TENANT_APP_PORT } from "../runtime/engine/labels";
import { tenantLabels } from "../runtime/engine/declared";
import { diskVolumeName } from "./disk-quota";
import { labelList } from "./docker-labels";
import { hasSecrets } from "./tenant-env";
import { TenantSpec } from "./tenants-file";

export interface TenantLabelArgs {
  prefix: string;
  stack: string;
  id: string;
  spec: TenantSpec;
  /** The tenant key, hashed here: only the hash is a label. */
  key: pulumi.Output<string>;
  accessAudiences: pulumi.Input<Record<string, string>>;
}

/**
 * A tenant's Docker names, the same on docker and swarm: its workload (what the runtime starts and stops: the
 * container, or the service) and its network; its volumes are `<workload>-files` and `<workload>-data`.
 */
export function tenantNames(prefix: string, id: string): { workload: string; network: string } {
  const workload = `${prefix}-tenant-${id}`;
  return { workload, network: `${workload}-net` };
}

/** The labels of a tenant's network and volumes: its stack and id, and what `extra` adds. */
export function tenantResourceLabels(stack: string, id: string, extra: Record<string, string> = {}): docker.types.input.ContainerLabel[] {
  return labelList({ [LABEL.stack]: stack, [LABEL.tenant]: id, ...extra });
}

/** The names (never the values) of the variables that come from secrets, for readers of `docker inspect` and the policy pack. */
function secretEnvLabel(spec: TenantSpec): Record<string, string> {
  return hasSecrets(spec) ? { [LABEL.secretEnv]: Object.keys(spec.secretEnv).join(",") } : {};
}

/** The labels the runtime discovers a tenant's workload by (runtime/engine/declared.ts), the same on docker and swarm. */
export function declaredTenantLabels(args: TenantLabelArgs): pulumi.Output<docker.types.input.ContainerLabel[]> {
  const { spec, id } = args;
  const names = tenantNames(args.prefix, id);
  const limits = spec.limits;
  // A hash of a 32-character random key reveals nothing useful, and keeping it out of secrets keeps the
  // labels readable in preview diffs.
  const keyHash = pulumi.unsecret(args.key.apply((k) => crypto.createHash("sha256").update(k).digest("hex")));
  return pulumi.all([keyHash, args.accessAudiences]).apply(([accessKeySha256, accessAudiences]) => ({
    ...tenantLabels(args.stack, {
      id,
      displayName: spec.displayName,
      plan: spec.plan,
      container: names.workload,
      network: names.network,
      port: TENANT_APP_PORT,
      // The plan's own timeout: the stack's cap (dormer:maxIdleTimeoutSeconds) is the supervisor's to apply, so
      // changing it replaces no tenant.
      idleTimeoutSeconds: limits.idleTimeoutMinutes * 60,
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
  })).apply(labelList);
}
