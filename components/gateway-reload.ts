// How the gateway-config run reports back to the program; see components/gateway.ts.
import { GatewayConfigArgs } from "./gateway-config";

/** Prefix of the labels that record what the gateway's config was rendered from. */
export const CONFIG_LABEL_PREFIX = "dormer.gateway.";

/**
 * One label per setting the config is rendered from (`dormer.gateway.rateLimitPerMinute=600`), so the
 * engine's diff, `preview --diff` and the pull-request comment name the setting that changed instead of
 * showing the whole config file. Every field of GatewayConfigArgs is listed, whatever it holds.
 */
export function configLabels(args: GatewayConfigArgs): Record<string, string> {
  return Object.fromEntries(
    Object.entries(args)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [`${CONFIG_LABEL_PREFIX}${k}`, typeof v === "object" ? JSON.stringify(v) : String(v)]),
  );
}

/** The run's report when it applied the config; an error carrying nginx's message when it did not. */
export function refusedConfig(exitCode: number | undefined, logs: string | undefined): string {
  const report = (logs ?? "").trim();
  if (exitCode === 0) return report;
  throw new Error(`gateway: the new configuration was not applied (exit code ${exitCode ?? "unknown"}):\n${report}`);
}
