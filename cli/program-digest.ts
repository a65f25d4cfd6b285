import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { repoRoot } from "./paths";

/**
 * Everything of this checkout that decides how tenants.yaml becomes resources: the program, the runtime and
 * images it builds, the policy pack, the CLI, the scripts that install the engine and the offline stand-ins,
 * the packages' lock file. Tests and docs do not; nor do tenants files, whose entries are hashed one tenant
 * at a time (components/fingerprint.ts).
 */
const PROGRAM_PATHS = ["index.ts", "Pulumi.yaml", "package.json", "package-lock.json", "tsconfig.json", "components", "runtime", "policy", "cli", "scripts"];

/**
 * Settings the program reads from the environment (components/settings.ts) as well as from config.
 * DORMER_TENANTS_FILE is not one: it only picks the file, whose tenants are fingerprinted one by one.
 */
const PROGRAM_ENV = ["DORMER_BASE_IMAGE", "DOCKER_HOST"];

function filesUnder(rel: string, out: string[]): void {
  const full = path.join(repoRoot, rel);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    return;
  }
  if (stat.isFile()) {
    out.push(rel);
    return;
  }
  if (!stat.isDirectory()) return;
  for (const entry of fs.readdirSync(full).sort()) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    filesUnder(path.join(rel, entry), out);
  }
}

/**
 * One digest of the program as this stack would run it: the files above, the stack's config file (secrets
 * included, as ciphertext: setting one changes it) and the environment the program reads. Any difference
 * makes the next preview or up consider every tenant again.
 */
export function programDigest(stackName: string, tenantsFile: string): string {
  const files: string[] = [];
  for (const rel of PROGRAM_PATHS) filesUnder(rel, files);
  files.push(path.join("stacks", `Pulumi.${stackName}.yaml`));
  const tenants = path.relative(repoRoot, path.resolve(repoRoot, tenantsFile));
  const hash = createHash("sha256");
  for (const rel of files) {
    if (rel === tenants) continue;
    hash.update(`${rel}\0`);
    try {
      hash.update(fs.readFileSync(path.join(repoRoot, rel)));
    } catch {
      hash.update("missing");
    }
    hash.update("\0");
  }
  for (const name of PROGRAM_ENV) hash.update(`${name}=${process.env[name] ?? ""}\0`);
  return hash.digest("hex");
}
