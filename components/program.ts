import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Platform } from "./platform";
import { readSettings } from "./settings";
import { loadTenantsFile } from "./tenants-file";

/** What the stack's last update left that this one must keep: today, each tenant's subnet. */
export interface StackHistory {
  previousSubnets(): pulumi.Input<Record<string, string>>;
}

/** dormer's Pulumi program: tenants.yaml and the stack's config in, a platform of sleeping tenants out. */
export function dormerProgram(history: StackHistory): () => Promise<Record<string, unknown>> {
  return async () => {
    const settings = readSettings();
    const tenants = loadTenantsFile(path.resolve(__dirname, "..", settings.tenantsFile));
    const platform = new Platform("dormer", { settings, tenants, previousSubnets: history.previousSubnets() });
    return {
      gatewayUrl: platform.gatewayUrl,
      publicUrl: platform.publicUrl,
      tenants: Object.keys(platform.tenants),
      tenantUrls: platform.tenantUrls,
      adminToken: platform.adminToken,
      sessionKey: platform.sessionKey,
      redisPassword: platform.redisPassword,
      tenantKeys: platform.tenantKeys,
      tenantSubnets: platform.tenantSubnets,
    };
  };
}
