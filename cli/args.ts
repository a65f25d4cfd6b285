/** What the user asked for on the command line. */
export interface Invocation {
  command: string;
  stack: string;
  positional: string[];
  diff: boolean;
  json: boolean;
  showSecrets: boolean;
}

const FLAGS = new Set(["--diff", "--json", "--show-secrets"]);

export const USAGE = `usage: dormer <command> [--stack NAME]

commands:
  up                      create or update the stack's resources
  preview [--diff] [--json]
                          show what up would change (--json: machine-readable changes for CI)
  down                    destroy the stack's resources (tenant volumes are kept)
  refresh                 read the real state of every resource into the stack
  outputs [--show-secrets]
                          print the stack's outputs
  validate [FILE]         check the stack's tenants.yaml (or FILE) and list every problem

--stack NAME defaults to "local".`;

export function parseArgs(argv: string[]): Invocation {
  const inv: Invocation = { command: "", stack: "local", positional: [], diff: false, json: false, showSecrets: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--stack" || arg === "-s") {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a stack name`);
      inv.stack = value;
    } else if (arg.startsWith("--stack=")) {
      inv.stack = arg.slice("--stack=".length);
    } else if (FLAGS.has(arg)) {
      if (arg === "--diff") inv.diff = true;
      if (arg === "--json") inv.json = true;
      if (arg === "--show-secrets") inv.showSecrets = true;
    } else if (arg.startsWith("-")) {
      throw new Error(`unknown option ${arg}`);
    } else if (!inv.command) {
      inv.command = arg;
    } else {
      inv.positional.push(arg);
    }
  }
  return inv;
}
