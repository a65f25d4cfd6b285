/** What the user asked for on the command line. */
export interface Invocation {
  command: string;
  stack: string;
  positional: string[];
  diff: boolean;
  json: boolean;
  /** Write the pull-request comment (markdown) to stdout instead of the text summary. */
  markdown: boolean;
  /** Append the full review (no size limit, engine output included) to this file, e.g. $GITHUB_STEP_SUMMARY. */
  summaryFile?: string;
  showSecrets: boolean;
  /** rollback: apply without asking. */
  yes: boolean;
  /** usage TENANT: how many days back. */
  days?: number;
  /** backup: every declared tenant. */
  all: boolean;
  /** restore: accept an archive of another tenant. */
  forceTenant: boolean;
  /** purge: delete the volumes even with no backup of them. */
  withoutBackup: boolean;
  /** preview, up: look at every tenant, not only those changed since they were applied. */
  full: boolean;
}

const FLAGS = new Set(["--diff", "--json", "--markdown", "--show-secrets", "--yes", "--all", "--force-tenant", "--without-backup", "--full"]);

export const USAGE = `usage: dormer <command> [--stack NAME]

commands:
  up [--full]             create or update the stack's resources
  preview [--diff] [--json | --markdown] [--summary-file FILE] [--full]
                          show what up would change and check it against the policy pack (policy/);
                          --json: machine-readable changes; --markdown: the pull-request comment;
                          --summary-file: append the full review (e.g. $GITHUB_STEP_SUMMARY).
                          Exit 1 when a mandatory policy is violated.
                          Both leave out tenants unchanged since they were applied; --full includes them.
  down                    destroy the stack's resources (tenant volumes are kept)
  refresh                 read the real state of every resource into the stack
  outputs [--show-secrets]
                          print the stack's outputs
  history [--json]        list the stack's updates: version, time, result, tenants.yaml digest, commit, changes
  rollback VERSION [--yes]
                          preview, then re-apply the tenants.yaml and settings that update VERSION applied
  rotate-key TENANT       issue TENANT a new deploy-time key (an up that replaces it): the old key and every
                          session it opened stop working at once; dormer outputs --show-secrets shows the new one
  validate [FILE]         check the stack's tenants.yaml (or FILE) and list every problem; warn of
                          credential-looking env values (they belong in secretEnv)
  secret set TENANT NAME  store a tenant's secret in the stack's encrypted config, value read from stdin
  secret list TENANT      the tenant's secrets: names and whether set or referenced, never values
  usage [TENANT] [--days N] [--json]
                          today's requests, quota, wakes, awake time and bytes of every tenant, or of
                          TENANT day by day for the last N days (default 7), from the admin API
  backup TENANT | --all   write an archive of the tenant's volumes (held asleep meanwhile) to dormer:backupDir
  restore TENANT ARCHIVE [--force-tenant]
                          verify ARCHIVE, then put it back into the tenant's volumes (held asleep meanwhile);
                          --force-tenant: accept another tenant's archive
  purge TENANT [--without-backup]
                          delete the volumes a removed tenant left, when a backup holds them

--stack NAME defaults to "local".`;

export function parseArgs(argv: string[]): Invocation {
  const inv: Invocation = { command: "", stack: "local", positional: [], diff: false, json: false, markdown: false, showSecrets: false, yes: false, all: false, forceTenant: false, withoutBackup: false, full: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--stack" || arg === "-s") {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a stack name`);
      inv.stack = value;
    } else if (arg.startsWith("--stack=")) {
      inv.stack = arg.slice("--stack=".length);
    } else if (arg === "--summary-file") {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a file`);
      inv.summaryFile = value;
    } else if (arg === "--days") {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1) throw new Error(`${arg} needs a whole number of days, at least 1`);
      inv.days = value;
    } else if (FLAGS.has(arg)) {
      if (arg === "--diff") inv.diff = true;
      if (arg === "--json") inv.json = true;
      if (arg === "--markdown") inv.markdown = true;
      if (arg === "--show-secrets") inv.showSecrets = true;
      if (arg === "--yes") inv.yes = true;
      if (arg === "--all") inv.all = true;
      if (arg === "--force-tenant") inv.forceTenant = true;
      if (arg === "--without-backup") inv.withoutBackup = true;
      if (arg === "--full") inv.full = true;
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
