import { Invocation, parseArgs, USAGE } from "./args";
import { down } from "./commands/down";
import { outputs } from "./commands/outputs";
import { preview } from "./commands/preview";
import { refresh } from "./commands/refresh";
import { up } from "./commands/up";
import { validate } from "./commands/validate";
import { TenantsFileError } from "../components/tenants-file";

const COMMANDS: Record<string, (inv: Invocation) => Promise<number>> = { up, preview, down, refresh, outputs, validate };

async function main(argv: string[]): Promise<number> {
  let inv: Invocation;
  try {
    inv = parseArgs(argv);
  } catch (err) {
    console.error(`dormer: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const run = COMMANDS[inv.command];
  if (!run) {
    console.error(inv.command ? `dormer: unknown command "${inv.command}"\n${USAGE}` : USAGE);
    return 2;
  }
  try {
    return await run(inv);
  } catch (err) {
    if (err instanceof TenantsFileError) {
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

main(process.argv.slice(2)).then((code) => process.exit(code));
