import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const IMAGES = require.resolve("../../components/images");
const OUT = path.resolve(__dirname, "../../.dormer/build/supervisor");
const INPUTS = `${OUT}.inputs.json`;

/** components/images.ts as a new CLI process loads it: nothing bundled yet in this process. */
function freshProcess(): typeof import("../../components/images") {
  delete require.cache[IMAGES];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(IMAGES) as typeof import("../../components/images");
}

const bundleTime = () => fs.statSync(path.join(OUT, "supervisor.js")).mtimeMs;

describe("unit: the supervisor's bundle is made again only when a file it is made of changed", function () {
  this.timeout(60_000);

  it("records esbuild's list of inputs with their hashes, beside the image's build context", () => {
    fs.rmSync(INPUTS, { force: true });
    assert.equal(freshProcess().supervisorContext(), OUT);
    const inputs = JSON.parse(fs.readFileSync(INPUTS, "utf8")) as Record<string, string>;
    assert.ok(inputs["runtime/main.ts"]?.match(/^[0-9a-f]{64}$/), "the entry point, by its path from the checkout");
    assert.ok(Object.keys(inputs).some((f) => f.includes("node_modules/")), "and the dependencies bundled with it");
    assert.ok(inputs["components/images.ts"], "and the file holding the bundle's options");
    assert.match(inputs["esbuild version"] ?? "", /^\d+\.\d+\.\d+$/, "and the esbuild that made it");
    assert.ok(!fs.readdirSync(OUT).some((f) => f.includes("inputs")), "not in the context, so the image's tag is a hash of what it holds");
  });

  it("a new process finds it fresh and does not run esbuild", () => {
    const before = bundleTime();
    freshProcess().supervisorContext();
    assert.equal(bundleTime(), before);
  });

  it("another esbuild makes it again", () => {
    const inputs = JSON.parse(fs.readFileSync(INPUTS, "utf8")) as Record<string, string>;
    fs.writeFileSync(INPUTS, JSON.stringify({ ...inputs, "esbuild version": "0.0.0" }));
    const before = bundleTime();
    freshProcess().supervisorContext();
    assert.ok(bundleTime() > before, "bundled again");
  });

  it("a changed input makes it again", () => {
    const inputs = JSON.parse(fs.readFileSync(INPUTS, "utf8")) as Record<string, string>;
    fs.writeFileSync(INPUTS, JSON.stringify({ ...inputs, "runtime/main.ts": "0".repeat(64) }));
    const before = bundleTime();
    freshProcess().supervisorContext();
    assert.ok(bundleTime() > before, "bundled again");
    assert.notEqual(JSON.parse(fs.readFileSync(INPUTS, "utf8"))["runtime/main.ts"], "0".repeat(64));
  });
});
