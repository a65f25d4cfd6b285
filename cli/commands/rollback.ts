import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as readline from "readline/promises";
import { Invocation } from "../args";
import { nonSecretSettings, recordFromMessage } from "../applied-record";
import { parseTenantsFile, TenantsFileError } from "../../components/tenants-file";
import { openDormerStack } from "../project";
import { stackConfig } from "../stack-config";
import { numbered } from "./history";
import { preview } from "./preview";
import { up } from "./up";

/** Re-applies the tenants.yaml and settings one earlier update recorded, after a preview and a yes. */
export async function rollback(inv: Invocation): Promise<number> {
  const version = Number(inv.positional[0]);
  if (!Number.isInteger(version) || version <= 0) throw new Error("rollback needs the VERSION to return to (see dormer history)");
  const stack = await openDormerStack(inv.stack, { runsProgram: false });
  const update = numbered(await stack.history()).find((u) => u.version === version && u.kind === "update");
  if (!update) throw new Error(`stack ${inv.stack} has no update ${version} (see dormer history --stack ${inv.stack})`);
  const record = recordFromMessage(update.message);
  if (!record) throw new Error(`update ${version} of stack ${inv.stack} carries no dormer record: it was not made by dormer up`);
  try {
    parseTenantsFile(record.tenantsYaml, `tenants.yaml of update ${version}`);
  } catch (err) {
    if (!(err instanceof TenantsFileError)) throw err;
    console.error(`dormer rollback: refused, the file update ${version} applied fails today's validation:\n${err.message}`);
    return 1;
  }
  const changed = changedSettings(stackConfig(inv.stack), record.settings);
  if (changed.length > 0) {
    // The program reads its settings from the stack's config file; a rollback that kept today's would not be exact.
    console.error(`dormer rollback: update ${version} ran with other settings (${changed.join(", ")}); ` +
      `restore them in the stack's config file first, then run rollback again`);
    return 1;
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dormer-rollback-")), "tenants.yaml");
  fs.writeFileSync(file, record.tenantsYaml);
  process.env.DORMER_TENANTS_FILE = file;
  try {
    const code = await preview({ ...inv, command: "preview" });
    if (code !== 0) return code;
    if (!inv.yes && !(await confirmed(`re-apply update ${version} to stack ${inv.stack}?`))) {
      console.error("dormer rollback: nothing applied");
      return 1;
    }
    return await up({ ...inv, command: "up" }, `dormer rollback to ${version}`);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

function changedSettings(today: Record<string, unknown>, recorded: Record<string, unknown>): string[] {
  const now = nonSecretSettings(today);
  const keys = new Set([...Object.keys(now), ...Object.keys(recorded)]);
  return [...keys].filter((k) => JSON.stringify(now[k]) !== JSON.stringify(recorded[k])).sort();
}

async function confirmed(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error("rollback asks before applying; with no terminal, pass --yes");
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}
