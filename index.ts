import * as path from "path";
import { Platform } from "./components/platform";
import { readSettings } from "./components/settings";
import { loadTenantsFile } from "./components/tenants-file";

/**
 * dormer's Pulumi program: tenants.yaml and the stack's config in, a platform of sleeping tenants out.
 * Exported as a function so the dormer CLI can run it inline through the Automation API, and `pulumi up`
 * on a machine with a full Pulumi install runs the same thing.
 */
export = async () => {
  const settings = readSettings();
  const tenants = loadTenantsFile(path.resolve(__dirname, settings.tenantsFile));
  const platform = new Platform("dormer", { settings, tenants });
  return {
    gatewayUrl: platform.gatewayUrl,
    publicUrl: platform.publicUrl,
    tenants: Object.keys(platform.tenants),
    adminToken: platform.adminToken,
    sessionKey: platform.sessionKey,
    redisPassword: platform.redisPassword,
    tenantKeys: platform.tenantKeys,
  };
};
