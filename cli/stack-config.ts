// What a stack's committed config says, read without loading the engine's SDK, so `dormer validate` stays quick.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { repoRoot } from "./paths";
import { connectionBudgetFrom } from "../components/connection-budget";
import { Orchestrator, orchestratorFrom, swarmNodeFrom } from "../components/orchestrator";
import { SubnetPool, subnetPoolFrom } from "../components/subnets";
import { StoredSecretNames, storedSecretNames, TENANT_SECRETS_KEY } from "../components/tenant-secrets";

interface ProjectFile {
  name: string;
  stackConfigDir?: string;
}

export function projectFile(): ProjectFile {
  return YAML.parse(fs.readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

/** The stack's own config file, as committed under stacks/. */
export function stackConfig(stackName: string): Record<string, unknown> {
  const project = projectFile();
  const file = path.join(repoRoot, project.stackConfigDir ?? ".", `Pulumi.${stackName}.yaml`);
  if (!fs.existsSync(file)) {
    throw new Error(`stack "${stackName}" has no config file ${path.relative(repoRoot, file)}`);
  }
  const parsed = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  return parsed?.config ?? {};
}

/** The tenants file a stack uses: DORMER_TENANTS_FILE, else its dormer:tenantsFile, relative to the checkout. */
export function tenantsFileOf(stackName: string): string {
  const file = process.env.DORMER_TENANTS_FILE ?? String(stackConfig(stackName)["dormer:tenantsFile"] ?? "tenants.yaml");
  return path.resolve(repoRoot, file);
}

/** The subnet pool a stack's config sets, checked; its errors name the setting. */
export function subnetPoolOf(stackName: string): SubnetPool {
  const config = stackConfig(stackName);
  const key = (name: string) => config[`${projectFile().name}:${name}`];
  return subnetPoolFrom({ subnetPool: key("subnetPool"), networkPrefixLength: key("networkPrefixLength") });
}

/** The stack's connection budget (dormer:maxConnections), checked; its errors name the setting. */
export function connectionBudgetOf(stackName: string): number {
  return connectionBudgetFrom(stackConfig(stackName)[`${projectFile().name}:maxConnections`]);
}

/** The stack's orchestrator (dormer:orchestrator) and default swarm node (dormer:swarmNode), checked. */
export function orchestratorOf(stackName: string): { orchestrator: Orchestrator; swarmNode: string | undefined } {
  const config = stackConfig(stackName);
  const key = (name: string) => config[`${projectFile().name}:${name}`];
  return { orchestrator: orchestratorFrom(key("orchestrator")), swarmNode: swarmNodeFrom(key("swarmNode")) };
}

/** The names of the tenant secrets the stack's file holds (their values stay encrypted, unread). */
export function tenantSecretNamesOf(stackName: string): StoredSecretNames {
  return storedSecretNames(stackConfig(stackName)[`${projectFile().name}:${TENANT_SECRETS_KEY}`]);
}

/** The image the stack builds FROM (after openDormerStack, the one this machine really has). */
export function baseImageOf(stackName: string): string {
  return process.env.DORMER_BASE_IMAGE ?? String(stackConfig(stackName)[`${projectFile().name}:baseImage`] ?? "debian:bookworm-slim");
}

/** Where backups of the stack's tenants go: dormer:backupDir, relative to the checkout; .dormer/backups/<stack> by default. */
export function backupDirOf(stackName: string): string {
  const dir = stackConfig(stackName)[`${projectFile().name}:backupDir`];
  return path.resolve(repoRoot, typeof dir === "string" && dir !== "" ? dir : path.join(".dormer", "backups", stackName));
}

/** The stack's platform host and tenant base domain, as the program derives them (components/settings.ts). */
export function namesOf(stackName: string): { platformHost: string; tenantBaseDomain: string } {
  const config = stackConfig(stackName);
  const key = (name: string) => config[`${projectFile().name}:${name}`];
  const cloudflare = key("cloudflare") as { hostname?: string } | undefined;
  const publicUrl = String(key("publicUrl") ?? `http://127.0.0.1:${String(key("gatewayPort") ?? 8088)}`);
  return {
    platformHost: cloudflare?.hostname ?? new URL(publicUrl).hostname,
    tenantBaseDomain: String(key("tenantBaseDomain") ?? "localhost"),
  };
}

/** Whether `up` backs up a tenant it is about to remove (dormer:backupOnRemove, on unless "false"). */
export function backupOnRemoveOf(stackName: string): boolean {
  const value = stackConfig(stackName)[`${projectFile().name}:backupOnRemove`];
  if (value === undefined || value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new Error(`dormer:backupOnRemove must be true or false, not ${JSON.stringify(value)}`);
}

/**
 * The most tenants one engine run of an up declares (dormer:upBatchTenants, default 200): an up of more
 * runs the engine once per batch, so the CLI and the engine hold one batch's resources, not the stack's.
 */
export function upBatchOf(stackName: string): number {
  const value = stackConfig(stackName)[`${projectFile().name}:upBatchTenants`];
  if (value === undefined) return 200;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`dormer:upBatchTenants must be a whole number of tenants, at least 1, not ${JSON.stringify(value)}`);
  return n;
}
