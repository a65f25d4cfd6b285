import { spawn } from "child_process";
import { Invocation } from "../args";
import { repoRoot } from "../paths";
import { openConfigStack } from "../project";
import { tenantSecretNamesOf, tenantsFileOf } from "../stack-config";
import { pulumiBinDir } from "../toolchain";
import { SECRET_NAME, SECRET_NAME_RULE, TENANT_SECRETS_KEY } from "../../components/tenant-secrets";
import { loadTenantsFile } from "../../components/tenants-file";
import { TenantId } from "../../components/tenants-schema";

/** `dormer secret set TENANT NAME` (value on stdin) and `dormer secret list TENANT` (names, never values). */
export async function secret(inv: Invocation): Promise<number> {
  const [action, tenant, name, ...rest] = inv.positional;
  if (action === "set" && tenant && name && rest.length === 0) return set(inv.stack, tenant, name);
  if (action === "list" && tenant && name === undefined) return list(inv.stack, tenant);
  console.error("usage: dormer secret set TENANT NAME [--stack S]   (the value is read from stdin)\n       dormer secret list TENANT [--stack S]");
  return 2;
}

function checkNames(tenant: string, name?: string): string | undefined {
  if (!TenantId.safeParse(tenant).success) return `tenant "${tenant}": not a tenant id`;
  if (name !== undefined && !SECRET_NAME.test(name)) return `secret name "${name}": ${SECRET_NAME_RULE}`;
  return undefined;
}

async function set(stack: string, tenant: string, name: string): Promise<number> {
  const bad = checkNames(tenant, name);
  if (bad) {
    console.error(`dormer secret set: ${bad}`);
    return 2;
  }
  if (process.stdin.isTTY) console.error(`value of ${tenant}'s secret ${name} (not echoed by a pipe; end with Ctrl-D):`);
  // A value piped from `echo` or a file ends in one newline that is not part of it.
  const value = (await readAll(process.stdin)).replace(/\r?\n$/, "");
  if (value === "") {
    console.error("dormer secret set: the value on stdin is empty");
    return 2;
  }
  // The stack must exist in the backend before its config can hold a secret (its encryption is per stack).
  const ws = (await openConfigStack(stack)).workspace as { envVars: Record<string, string> };
  // Through stdin, never argv: a value on the command line is visible to every user of the machine (ps).
  await run(`${pulumiBinDir()}/pulumi`, ["config", "set", "--secret", "--path", `${TENANT_SECRETS_KEY}.${tenant}.${name}`, "--stack", stack, "--non-interactive"], ws.envVars, value);
  const referenced = referencesOf(stack, tenant).some(([, n]) => n === name);
  console.log(`secret ${name} of tenant ${tenant} set on stack ${stack}${referenced ? "" : ` (no secretEnv of ${tenant} in ${tenantsFileOf(stack)} names it yet)`}; it reaches the container on the next dormer up`);
  return 0;
}

function list(stack: string, tenant: string): number {
  const bad = checkNames(tenant);
  if (bad) {
    console.error(`dormer secret list: ${bad}`);
    return 2;
  }
  const stored = tenantSecretNamesOf(stack)[tenant] ?? [];
  const refs = referencesOf(stack, tenant);
  const names = [...new Set([...stored, ...refs.map(([, n]) => n)])].sort();
  if (names.length === 0) console.log(`tenant ${tenant} has no secrets on stack ${stack}`);
  for (const n of names) {
    const usedBy = refs.filter(([, r]) => r === n).map(([variable]) => variable);
    const state = !stored.includes(n) ? "NOT SET" : usedBy.length === 0 ? "set, not used" : "set";
    console.log(`${n}\t${state}${usedBy.length ? `\tsecretEnv ${usedBy.join(", ")}` : ""}`);
  }
  return refs.some(([, n]) => !stored.includes(n)) ? 1 : 0;
}

/** [variable, secret name] pairs the stack's tenants file declares for the tenant; none if it is not there. */
function referencesOf(stack: string, tenant: string): [string, string][] {
  const spec = loadTenantsFile(tenantsFileOf(stack)).tenants.find((t) => t.id === tenant);
  return Object.entries(spec?.secretEnv ?? {});
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.on("end", () => resolve(text));
    stream.on("error", reject);
  });
}

function run(bin: string, args: string[], env: Record<string, string>, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`pulumi config set exited ${code}: ${stderr.trim()}`))));
    child.stdin.end(input);
  });
}
