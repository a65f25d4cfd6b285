import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "../..");

/**
 * A checkout of two TypeScript files run by the real cli/bin/compiled.cjs, so sources can be changed without
 * touching this one. What it prints says which code ran; `from` says whether the bundle ran (its __filename).
 */
function fakeCheckout() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-compiled-"));
  fs.mkdirSync(path.join(root, "cli", "bin"), { recursive: true });
  fs.copyFileSync(path.join(REPO, "cli/bin/compiled.cjs"), path.join(root, "cli/bin/compiled.cjs"));
  fs.copyFileSync(path.join(REPO, "tsconfig.json"), path.join(root, "tsconfig.json"));
  fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "fake", private: true }));
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"));
  const write = (file: string, text: string) => fs.writeFileSync(path.join(root, "cli", file), text);
  write("message.ts", `export const message: string = "one";\n`);
  write("main.ts", `import { message } from "./message";\nconsole.log(JSON.stringify({ message, args: process.argv.slice(2), from: path() }));\nfunction path(): string { return require("path").basename(__filename); }\n`);
  const run = (...args: string[]) =>
    JSON.parse(execFileSync(process.execPath, [path.join(root, "cli/bin/compiled.cjs"), ...args], { encoding: "utf8" })) as {
      message: string;
      args: string[];
      from: string;
    };
  return { root, write, run, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}

describe("unit: the compiled CLI (cli/bin/compiled.cjs) runs only when built from the sources as they are", function () {
  this.timeout(60_000);
  let co: ReturnType<typeof fakeCheckout>;
  beforeEach(() => (co = fakeCheckout()));
  afterEach(() => co.remove());

  it("builds the bundle on first use and runs it, with the command line passed on", () => {
    assert.deepEqual(co.run("validate", "--stack", "ci"), { message: "one", args: ["validate", "--stack", "ci"], from: "cli.js" });
    assert.ok(fs.existsSync(path.join(co.root, ".dormer/cli.js")));
  });

  it("a change to any source the bundle holds, even one imported by another, rebuilds it before it runs", () => {
    co.run();
    co.write("message.ts", `export const message: string = "two";\n`);
    assert.deepEqual(co.run(), { message: "two", args: [], from: "cli.js" });
  });

  it("a change to tsconfig.json rebuilds it too", () => {
    co.run();
    const bundle = path.join(co.root, ".dormer/cli.js");
    const built = fs.readFileSync(bundle, "utf8");
    fs.appendFileSync(path.join(co.root, "tsconfig.json"), "\n");
    co.run();
    assert.notEqual(fs.readFileSync(bundle, "utf8"), built);
  });

  it("where no bundle can be written, runs the sources through tsx", () => {
    fs.writeFileSync(path.join(co.root, ".dormer"), "a file where the bundle's directory would be");
    assert.deepEqual(co.run(), { message: "one", args: [], from: "main.ts" });
    co.write("message.ts", `export const message: string = "two";\n`);
    assert.equal(co.run().message, "two");
  });
});
