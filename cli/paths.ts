import * as path from "path";

/** The checkout the CLI runs from: index.ts, Pulumi.yaml, stacks/ and scripts/ live here. */
export const repoRoot = path.resolve(__dirname, "..");

/** Per-checkout state the engine keeps (file backend, generated passphrase); ignored by git. */
export const stateDir = path.join(repoRoot, ".dormer");

export const scriptsDir = path.join(repoRoot, "scripts");
