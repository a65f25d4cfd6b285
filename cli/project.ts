import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { PulumiFn, Stack } from "@pulumi/pulumi/automation";
import { repoRoot, stateDir } from "./paths";
import { loadTenantsFile } from "../components/tenants-file";
import { openStack } from "./stack";
import { ensureBaseImage, ensurePlugins, pulumiBinDir } from "./toolchain";

/**
 * Stacks whose secrets never leave this machine: their state is encrypted with a published passphrase so a
 * fresh clone needs nothing typed in. Any other stack must bring its own (PULUMI_CONFIG_PASSPHRASE).
 */
const LOCAL_STACKS = new Set(["local", "ci", "bench"]);
export const LOCAL_PASSPHRASE = "dormer-local-stack";

interface ProjectFile {
  name: string;
  stackConfigDir?: string;
}

function projectFile(): ProjectFile {
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

/**
 * Opens one of dormer's stacks with index.ts's program inline, after making sure the engine, its plugins
 * and the stack's base image are there.
 */
export async function openDormerStack(stackName: string, opts: { runsProgram: boolean }): Promise<Stack> {
  const config = stackConfig(stackName);
  // An invalid tenants.yaml is refused before the engine, the plugins or any resource is touched. Commands
  // that never run the program (down, refresh, outputs) must still work with a broken file.
  if (opts.runsProgram) loadTenantsFile(tenantsFileOf(stackName));
  const pulumiDir = pulumiBinDir();
  ensurePlugins(pulumiDir);
  const wantedBase = String(config[`${projectFile().name}:baseImage`] ?? "debian:bookworm-slim");
  const base = ensureBaseImage(wantedBase);
  // The program reads this override so an offline machine builds FROM its own base without editing stacks/.
  if (base !== wantedBase) process.env.DORMER_BASE_IMAGE = base;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require(path.join(repoRoot, "index.ts")) as PulumiFn;
  return openStack({
    stackName,
    projectName: projectFile().name,
    program,
    workDir: repoRoot,
    stateDir,
    pulumiDir,
    passphrase: LOCAL_STACKS.has(stackName) ? LOCAL_PASSPHRASE : undefined,
  });
}
