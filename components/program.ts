import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "./platform";
import { readSettings } from "./settings";
import { loadTenantsFile } from "./tenants-file";

/** What the stack's last update left that this one must keep: each tenant's subnet, and the run's scope. */
export interface StackHistory {
  previousSubnets(): pulumi.Input<Record<string, string>>;
  /** Undefined: every tenant is declared, and none records a fingerprint (a run without the dormer CLI). */
  scope?(): RunScope | undefined;
}

/**
 * Which tenants this run declares (cli/run-scope.ts). The tenants left out are excluded from the run by the
 * CLI, so the engine keeps them exactly as they are; their keys come from the stack's last outputs.
 */
export interface RunScope {
  /** Digest of the program as it runs now (cli/program-digest.ts): part of every tenant's fingerprint. */
  programDigest: string;
  /** Undefined: all of them. */
  declared?: ReadonlySet<string>;
  /** Tenants of the file not created yet and left for a later batch of the same up: in no output yet. */
  deferred?: ReadonlySet<string>;
  /** The stack's last tenantKeys output, for the tenants not declared. */
  previousTenantKeys: Record<string, string>;
}

/** dormer's Pulumi program: tenants.yaml and the stack's config in, a platform of sleeping tenants out. */
export function dormerProgram(history: StackHistory): () => Promise<Record<string, unknown>> {
  return async () => {
    const settings = readSettings();
    const tenants = loadTenantsFile(path.resolve(__dirname, "..", settings.tenantsFile));
    const platform = new Platform("dormer", { settings, tenants, previousSubnets: history.previousSubnets(), scope: history.scope?.() });
    return {
      gatewayUrl: platform.gatewayUrl,
      publicUrl: platform.publicUrl,
      tenants: Object.keys(platform.tenantUrls),
      tenantUrls: platform.tenantUrls,
      tenantPortUrls: platform.tenantPortUrls,
      adminToken: platform.adminToken,
      sessionKey: platform.sessionKey,
      redisPassword: platform.redisPassword,
      tenantKeys: platform.tenantKeys,
      tenantSubnets: platform.tenantSubnets,
    };
  };
}
