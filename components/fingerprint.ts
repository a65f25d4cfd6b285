import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { TenantSpec } from "./tenants-file";

/**
 * What a tenant's resources are made from, as one digest: the program that declares them (its code, the
 * stack's config and toolchain: `programDigest`), the tenant's entry with its plan applied, and its subnet.
 * A Tenant records it in its outputs once every resource of it is applied; an up whose tenants all carry
 * the digest they would get now has nothing to do for them (cli/run-scope.ts).
 */
export function tenantFingerprint(programDigest: string, spec: TenantSpec, subnet: string | undefined): string {
  return createHash("sha256").update(JSON.stringify({ programDigest, spec, subnet: subnet ?? null })).digest("hex");
}

/**
 * The fingerprint as a tenant's output: known only once every one of its resources has been applied, so a
 * run that fails part way leaves the old fingerprint (or none) behind and the next run sees the tenant as
 * changed, never as done.
 */
export function appliedFingerprint(fingerprint: pulumi.Output<string> | undefined, resources: pulumi.CustomResource[]): pulumi.Output<string | undefined> {
  if (fingerprint === undefined) return pulumi.output(undefined);
  return pulumi.all([fingerprint, ...resources.map((r) => r.id)]).apply(([fp]) => fp);
}
