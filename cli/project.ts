import { OutputMap, Stack } from "@pulumi/pulumi/automation";
import { repoRoot, stateDir } from "./paths";
import { dormerProgram } from "../components/program";
import { loadTenantsFile, ValidatedTenants } from "../components/tenants-file";
import { tenantFingerprint } from "../components/fingerprint";
import type { RunScope } from "../components/program";
import { programDigest } from "./program-digest";
import { chooseScope, Scope, StateResource } from "./run-scope";
import { checkDisks } from "./disk-usage";
import { openStack } from "./stack";
import { checkSwarmManager } from "./swarm-manager";
import { namesOf, orchestratorOf, projectFile, stackConfig, subnetPoolOf, tenantSecretNamesOf, tenantsFileOf } from "./stack-config";
import { checkHostnames } from "../components/hostnames";
import { checkOrchestrator } from "../components/orchestrator";
import { checkSecretsSet } from "../components/tenant-secrets";
import { ensureBaseImage, ensurePlugins, pulumiBinDir } from "./toolchain";

/**
 * Stacks whose secrets never leave this machine: their state is encrypted with a published passphrase so a
 * fresh clone needs nothing typed in. Any other stack must bring its own (PULUMI_CONFIG_PASSPHRASE).
 */
const LOCAL_STACKS = new Set(["local", "ci", "bench", "swarm-ci"]);
export const LOCAL_PASSPHRASE = "dormer-local-stack";

/**
 * Opens one of dormer's stacks with the program inline, after making sure the engine, its plugins and the
 * stack's base image are there. The stack's last outputs are read here, before any update starts: a program
 * reading its own stack while the engine writes that stack's checkpoint can find it half written.
 */
export async function openDormerStack(stackName: string, opts: { runsProgram: boolean }): Promise<Stack> {
  return (await openStackAndProgram(stackName, opts)).stack;
}

/** What a preview or up asks of its scope: `--full`, and tenants it must declare whatever changed. */
export interface ScopeRequest {
  full: boolean;
  forced?: string[];
  /** One batch of a large up: exactly these tenants (cli/run-scope.ts, `only`). */
  only?: string[];
}

/** A scope and the exclusions that go with it, handed to the engine as they are. */
export interface ChosenScope {
  scope: Scope;
  exclude: string[] | undefined;
}

/**
 * The stack, for a preview or an up, with the tenants the run looks at chosen (cli/run-scope.ts): the
 * engine must be given `exclude` as is, and the program then declares `scope.declared` only. `rescope`
 * chooses again on the same stack, from its state as the last engine run left it (the next batch of an up).
 */
export async function openScopedStack(
  stackName: string,
  request: ScopeRequest,
): Promise<ChosenScope & { stack: Stack; tenantIds: string[]; rescope(request: ScopeRequest): Promise<ChosenScope> }> {
  const opened = await openStackAndProgram(stackName, { runsProgram: true });
  const rescope = async (r: ScopeRequest): Promise<ChosenScope> => {
    const scope = await opened.scopeFor!(r);
    return { scope, exclude: scope.kind === "partial" ? scope.exclude : undefined };
  };
  return { stack: opened.stack, tenantIds: opened.tenantIds, ...(await rescope(request)), rescope };
}

async function openStackAndProgram(
  stackName: string,
  opts: { runsProgram: boolean },
): Promise<{ stack: Stack; tenantIds: string[]; scopeFor?: (request: ScopeRequest) => Promise<Scope> }> {
  const config = stackConfig(stackName);
  // An invalid tenants.yaml is refused before the engine, the plugins or any resource is touched. Commands
  // that never run the program (down, refresh, outputs) must still work with a broken file.
  let file: ValidatedTenants | undefined;
  let swarm = false;
  if (opts.runsProgram) {
    file = loadTenantsFile(tenantsFileOf(stackName));
    const { orchestrator, swarmNode } = orchestratorOf(stackName);
    checkOrchestrator(file, orchestrator, swarmNode);
    swarm = orchestrator === "swarm";
    subnetPoolOf(stackName).checkCapacity(file.tenants.length);
    checkSecretsSet(file.tenants, tenantSecretNamesOf(stackName), stackName);
    await checkDisks(stackName, tenantsFileOf(stackName), file);
    const names = namesOf(stackName);
    checkHostnames(file.tenants, names.platformHost, names.tenantBaseDomain);
  }
  const pulumiDir = pulumiBinDir();
  ensurePlugins(pulumiDir);
  const wantedBase = String(config[`${projectFile().name}:baseImage`] ?? "debian:bookworm-slim");
  const base = ensureBaseImage(wantedBase);
  // The program reads this override so an offline machine builds FROM its own base without editing stacks/.
  if (base !== wantedBase) process.env.DORMER_BASE_IMAGE = base;
  if (swarm) await checkSwarmManager(stackName, base);
  let previousSubnets: Record<string, string> = {};
  let programScope: RunScope | undefined;
  const stack = await openStack({
    stackName,
    projectName: projectFile().name,
    program: dormerProgram({ previousSubnets: () => previousSubnets, scope: () => programScope }),
    workDir: repoRoot,
    stateDir,
    pulumiDir,
    passphrase: LOCAL_STACKS.has(stackName) ? LOCAL_PASSPHRASE : undefined,
  });
  if (!opts.runsProgram || !file) return { stack, tenantIds: [] };
  let unread: OutputMap | undefined = await stack.outputs();
  previousSubnets = subnetsOf(unread);
  const tenants = file.tenants;
  const digest = programDigest(stackName, tenantsFileOf(stackName));
  // The state as the last engine run left it: the outputs just read for the first scope, read again for
  // each one after (an engine run came between).
  const scopeFor = async (request: ScopeRequest): Promise<Scope> => {
    const outputs = unread ?? (await stack.outputs());
    unread = undefined;
    previousSubnets = subnetsOf(outputs);
    const previousKeys = keysOf(outputs);
    const { deployment } = await stack.exportStack();
    const last = (await stack.history(1))[0];
    const scope = chooseScope({
      resources: (deployment?.resources ?? []) as StateResource[],
      pendingOperations: ((deployment?.pending_operations ?? []) as unknown[]).length,
      lastOperation: last?.kind,
      wanted: new Map(tenants.map((t) => [t.id, tenantFingerprint(digest, t, previousSubnets[t.id])])),
      previousKeys,
      forced: new Set(request.forced ?? []),
      full: request.full,
      only: request.only ? new Set(request.only) : undefined,
    });
    programScope = scope.kind === "partial"
      ? { programDigest: digest, declared: scope.declared, deferred: new Set(scope.deferred), previousTenantKeys: previousKeys }
      : { programDigest: digest, previousTenantKeys: previousKeys };
    return scope;
  };
  return { stack, tenantIds: tenants.map((t) => t.id), scopeFor };
}

function keysOf(outputs: OutputMap): Record<string, string> {
  const value = outputs.tenantKeys?.value as unknown;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string" && e[1] !== ""));
}

/** The stack alone, for its config: no plugins, base image or program run (`dormer secret set`). */
export async function openConfigStack(stackName: string): Promise<Stack> {
  stackConfig(stackName); // a stack without a committed config file is refused, as everywhere
  return openStack({
    stackName,
    projectName: projectFile().name,
    program: async () => ({}),
    workDir: repoRoot,
    stateDir,
    pulumiDir: pulumiBinDir(),
    passphrase: LOCAL_STACKS.has(stackName) ? LOCAL_PASSPHRASE : undefined,
  });
}

function subnetsOf(outputs: OutputMap): Record<string, string> {
  const value = outputs.tenantSubnets?.value as unknown;
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`the stack's last tenantSubnets output is not a map of tenant id to subnet: ${JSON.stringify(value)}`);
  }
  return value as Record<string, string>;
}
