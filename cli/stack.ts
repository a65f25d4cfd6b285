import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, PulumiFn, Stack } from "@pulumi/pulumi/automation";

/** Everything needed to drive one stack of one program through the engine, with no language host. */
export interface StackTarget {
  stackName: string;
  projectName: string;
  program: PulumiFn;
  /** Holds Pulumi.yaml; its stackConfigDir decides where the stack's config file lives. */
  workDir: string;
  /** The local file backend lives here. */
  stateDir: string;
  /**
   * Encrypts the stack's secrets when neither PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is
   * set. Local stacks use a published one (see docs/operating.md): their secrets never leave the machine, and
   * the salt Pulumi writes into the stack file can be committed.
   */
  passphrase?: string;
  /** Directory of the `pulumi` binary to drive. */
  pulumiDir: string;
}

export async function openStack(target: StackTarget): Promise<Stack> {
  const backend = path.join(target.stateDir, "state");
  fs.mkdirSync(backend, { recursive: true });
  const passphraseSet = process.env.PULUMI_CONFIG_PASSPHRASE !== undefined || process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (!passphraseSet && target.passphrase === undefined) {
    throw new Error(
      `stack "${target.stackName}" keeps real secrets: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE`,
    );
  }
  const pulumiCommand = await PulumiCommand.get({ root: path.dirname(target.pulumiDir) });
  return LocalWorkspace.createOrSelectStack(
    { stackName: target.stackName, projectName: target.projectName, program: closingItsClients(target.program) },
    {
      workDir: target.workDir,
      pulumiCommand,
      envVars: {
        // A CI runner whose checkout is cleaned between jobs keeps state elsewhere (docs/reviewing.md).
        PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL || `file://${backend}`,
        ...(passphraseSet ? {} : { PULUMI_CONFIG_PASSPHRASE: target.passphrase }),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        // The engine records the state once, when an operation ends, instead of rewriting the whole checkpoint
        // (and its .bak) at every step: that made an up quadratic in resources, 43+ minutes for 1 000 tenants
        // (docs/BENCHMARKS.md). What it risks and how a stop still records everything: docs/operating.md,
        // "State records"; the CLI outlives the engine on every stop request (cli/engine-signals.ts).
        PULUMI_SKIP_CHECKPOINTS: "true",
        // The engine's heap grows to 1.5 times what its last collection kept, instead of twice: on a thousand
        // tenants ~100 MB less at its peak, for previews as fast within this machine's noise
        // (docs/BENCHMARKS.md, "1 000 tenants"). A GOGC of the user's wins.
        GOGC: process.env.GOGC ?? "50",
      },
    },
  );
}

/**
 * The program, closing the previous run's connections to the engine before each run. The Node SDK closes
 * them only when they are its process-wide ones; an inline program's live in the run's own store, and each
 * stays open with gRPC's 30-minute idle timer, which keeps that run's store, and with it every resource
 * object the program made, alive: about 14 MB a batch of 200 tenants in a batched `up` (docs/BENCHMARKS.md).
 * A run in progress needs its own until the engine is done, so the last run's are left to the process's end.
 */
function closingItsClients(program: PulumiFn): PulumiFn {
  let previous: ({ close?: () => void } | undefined)[] = [];
  return async () => {
    for (const client of previous) client?.close?.();
    previous = [pulumi.runtime.getMonitor(), pulumi.runtime.getEngine()] as { close?: () => void }[];
    return program();
  };
}

/**
 * Makes the stack's next engine operation (preview, up, destroy or refresh; it must be the next command run
 * on this stack) print only its JSON summary instead of its progress display. The CLI renders the run from
 * the engine's events instead (cli/engine-display.ts): the engine's display keeps every resource's inputs and
 * outputs until the run ends, about half its memory on a thousand tenants (docs/BENCHMARKS.md). The
 * workspace's per-command argument hook is the Automation API's way in; it is put back at once, because the
 * operation's own follow-up commands (outputs, history) take no such flag.
 */
export function withoutEngineDisplay(stack: Stack): Stack {
  const workspace = stack.workspace;
  const own = workspace.serializeArgsForOp.bind(workspace);
  workspace.serializeArgsForOp = async (name: string) => {
    workspace.serializeArgsForOp = own;
    return [...(await own(name)), "--output=json"];
  };
  return stack;
}
