import * as pulumi from "@pulumi/pulumi";
import { SECRET_ENV_NAMES, TENANT_APP_PORT } from "../runtime/engine/labels";
import { TenantSpec } from "./tenants-file";

/** The uid:gid every tenant runs as; the volumes' files belong to it. */
export const TENANT_USER = "10001:10001";

export function hasSecrets(spec: TenantSpec): boolean {
  return Object.keys(spec.secretEnv).length > 0;
}

/** tenants.yaml's env and the platform's own variables, in the order a container lists them. */
function plainEnv(id: string, spec: TenantSpec): [string, string][] {
  return Object.entries({
    ...spec.env,
    DORMER_TENANT_ID: id,
    PORT: String(TENANT_APP_PORT),
    FILES_DIR: "/data/files",
    DATA_DIR: "/data/state",
    // The extra ports the default app also serves; set only when there are some, so no other tenant changes.
    ...(spec.ports.length ? { DORMER_PORTS: spec.ports.join(",") } : {}),
  });
}

/**
 * Every variable as [NAME, value]: tenants.yaml's env, the platform's own, and the secretEnv ones from the
 * stack's secrets. With any secret among them the whole list is a secret, so previews, diffs and the state
 * file show "[secret]"; a tenant without secrets keeps a readable env diff.
 */
export function tenantEnv(id: string, spec: TenantSpec, secrets: pulumi.Output<Record<string, string>>): pulumi.Input<[string, string][]> {
  const plain = plainEnv(id, spec);
  if (!hasSecrets(spec)) return plain;
  // checkSecretsSet (Platform) has made sure every name is there.
  // The names (never values) also travel in the env: a new tenant's labels are unknown during a preview, and
  // the policy pack must still tell a secret's variable from a credential pasted into tenants.yaml.
  const names: [string, string] = [SECRET_ENV_NAMES, Object.keys(spec.secretEnv).join(",")];
  return pulumi.secret(
    secrets.apply((values): [string, string][] => [...plain, names, ...Object.entries(spec.secretEnv).map(([k, name]): [string, string] => [k, values[name]!])]),
  );
}
