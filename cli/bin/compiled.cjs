"use strict";
// The dormer CLI compiled ahead into one file (.dormer/cli.js), so a command does not pay for tsx
// transpiling and resolving its TypeScript at every start: a third of `dormer validate`'s CPU.
//
// A stale build never runs. The bundle's first line lists every file it was built from with the SHA-256
// of its content: the sources esbuild read (every file of this checkout the CLI imports), tsconfig.json,
// package.json, esbuild's version and this file (the build's options). The launcher hashes them all before
// each run and executes only the very bytes it checked; any difference rebuilds the bundle, and where it
// cannot be rebuilt (no esbuild, a read-only checkout) the sources run through tsx as before.
// Packages stay outside the bundle, loaded from node_modules at run time as under tsx.
// Plain JavaScript: it runs before anything that could load TypeScript. npm's postinstall builds the bundle
// ahead of the first command.
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "../..");
// One directory below the checkout, like cli/ and components/: their `path.resolve(__dirname, "..")` stays the checkout.
const BUNDLE = path.join(ROOT, ".dormer", "cli.js");
const MARK = "// dormer-cli-inputs ";
const ALWAYS = ["tsconfig.json", "package.json", "node_modules/esbuild/package.json", path.relative(ROOT, __filename)];

function digest(file) {
  try {
    return crypto.createHash("sha256").update(fs.readFileSync(path.join(ROOT, file))).digest("hex");
  } catch {
    return "missing";
  }
}

/** The bundle's source when every file it was built from is unchanged; undefined otherwise. */
function freshSource() {
  let source;
  try {
    source = fs.readFileSync(BUNDLE, "utf8");
  } catch {
    return undefined;
  }
  const firstLine = source.slice(0, source.indexOf("\n"));
  if (!firstLine.startsWith(MARK)) return undefined;
  let inputs;
  try {
    inputs = JSON.parse(firstLine.slice(MARK.length));
  } catch {
    return undefined;
  }
  for (const [file, sum] of Object.entries(inputs)) if (digest(file) !== sum) return undefined;
  return source;
}

/** Builds the bundle from the sources as they are now; its source, or undefined when it cannot be built. */
function build() {
  try {
    const esbuild = require("esbuild");
    const result = esbuild.buildSync({
      absWorkingDir: ROOT,
      entryPoints: ["cli/main.ts"],
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      packages: "external",
      // As tsx transpiles: names kept, so nothing that reads a class or function name sees a mangled one.
      keepNames: true,
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = {};
    for (const file of [...Object.keys(result.metafile.inputs), ...ALWAYS]) inputs[file] = digest(file);
    const source = `${MARK}${JSON.stringify(inputs)}\n${result.outputFiles[0].text}`;
    fs.mkdirSync(path.dirname(BUNDLE), { recursive: true });
    // Written aside and renamed: a CLI starting meanwhile reads the old bundle or the new one, never half of one.
    const aside = `${BUNDLE}.${process.pid}.tmp`;
    fs.writeFileSync(aside, source);
    fs.renameSync(aside, BUNDLE);
    return source;
  } catch {
    return undefined;
  }
}

/** Runs the CLI: the checked bundle's bytes, else the TypeScript sources through tsx. */
function run() {
  const source = freshSource() ?? build();
  if (source === undefined) {
    require(path.join(ROOT, "node_modules/tsx/dist/cjs/index.cjs"));
    require(path.join(ROOT, "cli/main.ts"));
    return;
  }
  const Module = require("module");
  const bundle = new Module(BUNDLE, module);
  bundle.filename = BUNDLE;
  bundle.paths = Module._nodeModulePaths(path.dirname(BUNDLE));
  bundle._compile(source, BUNDLE);
}

module.exports = { build };

if (require.main === module) run();
