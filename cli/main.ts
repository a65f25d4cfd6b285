import { Invocation, parseArgs, USAGE } from "./args";
import { ConnectionBudgetError } from "../components/connection-budget";
import { SubnetPoolError } from "../components/subnets";
import { TenantsFileError } from "../components/tenants-file";
import { TenantSecretsError } from "../components/tenant-secrets";
import { HostnameError } from "../components/hostnames";

// The Pulumi SDK formats `new Error().stack` for every output property of every resource (a debugging aid for
// promises that never resolve) and, at unlimited depth, for every resource's source position; tsx makes each
// of those map every frame through source maps. Together that was half of a large preview's CPU
// (docs/BENCHMARKS.md). The CLI prints error messages, never stacks, so it keeps neither.
process.setSourceMapsEnabled(false);
Error.stackTraceLimit = 0;

type Command = (inv: Invocation) => Promise<number>;

// Loaded on use: the engine's SDK takes seconds to load, and `validate` (run on every pull request) needs none of it.
/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, () => Command> = {
  up: () => (require("./commands/up") as typeof import("./commands/up")).up,
  preview: () => (require("./commands/preview") as typeof import("./commands/preview")).preview,
  down: () => (require("./commands/down") as typeof import("./commands/down")).down,
  refresh: () => (require("./commands/refresh") as typeof import("./commands/refresh")).refresh,
  outputs: () => (require("./commands/outputs") as typeof import("./commands/outputs")).outputs,
  history: () => (require("./commands/history") as typeof import("./commands/history")).history,
  rollback: () => (require("./commands/rollback") as typeof import("./commands/rollback")).rollback,
  backup: () => (require("./commands/backup") as typeof import("./commands/backup")).backup,
  restore: () => (require("./commands/restore") as typeof import("./commands/restore")).restore,
  purge: () => (require("./commands/purge") as typeof import("./commands/purge")).purge,
  "rotate-key": () => (require("./commands/rotate-key") as typeof import("./commands/rotate-key")).rotateKey,
  validate: () => (require("./commands/validate") as typeof import("./commands/validate")).validate,
  secret: () => (require("./commands/secret") as typeof import("./commands/secret")).secret,
  usage: () => (require("./commands/usage") as typeof import("./commands/usage")).usage,
};
/* eslint-enable @typescript-eslint/no-require-imports */

async function main(argv: string[]): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseArgs(argv);
  } catch (err) {
    console.error(`dormer: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const load = COMMANDS[inv.command];
  if (!load) {
    console.error(inv.command ? `dormer: unknown command "${inv.command}"\n${USAGE}` : USAGE);
    return 2;
  }
  try {
    return await load()(inv);
  } catch (err) {
    if (err instanceof TenantsFileError || err instanceof SubnetPoolError || err instanceof ConnectionBudgetError || err instanceof TenantSecretsError || err instanceof HostnameError) {
      // Caught before the engine starts: nothing was touched.
      console.error(`dormer ${inv.command}: ${err.message}`);
      return 1;
    }
    // The engine's own progress already streamed; its error carries the full log, so print only the cause.
    const message = (err as Error).message ?? String(err);
    console.error(`\ndormer ${inv.command} (${inv.stack}) failed: ${message.split("\n").slice(-12).join("\n")}`);
    return 1;
  }
}

// tsx writes its transform cache asynchronously; exiting at once left empty cache files, so every run
// transpiled the CLI again (a tenth of `validate`). A quick command ends when its writes do; one whose engine
// connections keep the process alive is ended shortly after.
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 200).unref();
});
