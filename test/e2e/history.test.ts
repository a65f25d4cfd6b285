import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { digestOf, recordMessage } from "../../cli/applied-record";
import { openDormerStack } from "../../cli/project";
import { currentRecord } from "../../cli/record-source";
import { docker, inspectContainer, inVolume } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const MB = 1024 * 1024;
const example = fs.readFileSync(path.resolve(__dirname, "../../tenants.yaml"), "utf8");

describe("e2e: dormer history and rollback on the ci stack", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-history-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  const texts: string[] = [];
  const setPlan = (id: string, plan: string) => {
    const doc = YAML.parse(fs.readFileSync(tenantsFile, "utf8"));
    doc.tenants.find((t: { id: string }) => t.id === id).plan = plan;
    fs.writeFileSync(tenantsFile, YAML.stringify(doc));
  };
  const upAndKeep = async () => {
    texts.push(fs.readFileSync(tenantsFile, "utf8"));
    await dormerOk(["up", "--stack", STACK], env);
  };
  const versions = async () => JSON.parse((await dormerOk(["history", "--stack", STACK, "--json"], env)).stdout) as
    { version: number; result: string; tenants: string }[];

  before(async () => {
    fs.writeFileSync(tenantsFile, example);
    await upAndKeep();
    setPlan("globex", "pro");
    await upAndKeep();
    setPlan("initech", "pro");
    await upAndKeep();
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    for (const id of ["acme", "globex", "initech"]) {
      for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-tenant-${id}-${kind}`).remove().catch(() => undefined);
    }
    await docker.getVolume(`${PREFIX}-redis-data`).remove().catch(() => undefined);
    delete process.env.DORMER_TENANTS_FILE;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("history lists the three ups, newest first, each with the digest of the file it applied", async () => {
    const started = Date.now();
    const rows = (await versions()).slice(0, 3);
    console.log(`      dormer history: ${Date.now() - started} ms`);
    assert.deepEqual(rows.map((r) => r.tenants), [...texts].reverse().map((t) => `tenants ${digestOf(t)}`));
    assert.deepEqual(rows.map((r) => r.result), ["succeeded", "succeeded", "succeeded"]);
    assert.ok(rows[0].version > rows[1].version && rows[1].version > rows[2].version);
  });

  it("rollback of a memory change brings globex back to its old limit with its volume untouched", async () => {
    assert.equal((await inspectContainer(`${PREFIX}-tenant-globex`))?.HostConfig.Memory, 1024 * MB);
    await inVolume("dormer-base:bookworm", `${PREFIX}-tenant-globex-files`, "echo kept > /v/marker.txt");
    const first = (await versions())[2].version;
    const started = Date.now();
    const { stdout } = await dormerOk(["rollback", String(first), "--stack", STACK, "--yes"], env);
    console.log(`      dormer rollback: ${Date.now() - started} ms`);
    assert.match(stdout, /dormer up \(ci\)/);
    assert.equal((await inspectContainer(`${PREFIX}-tenant-globex`))?.HostConfig.Memory, 256 * MB);
    assert.equal((await inspectContainer(`${PREFIX}-tenant-initech`))?.HostConfig.Memory, 512 * MB);
    assert.equal((await inVolume("dormer-base:bookworm", `${PREFIX}-tenant-globex-files`, "cat /v/marker.txt")).trim(), "kept");
    assert.equal((await versions())[0].tenants, `tenants ${digestOf(texts[0])}`, "the rollback is itself recorded");
  });

  it("refuses a recorded file that fails today's validation, naming why, and applies nothing", async () => {
    // An update whose record holds a file today's rules refuse, as one written when the plan still existed.
    process.env.DORMER_TENANTS_FILE = tenantsFile;
    const stale = example.replace("plan: pro", "plan: enterprise");
    const stack = await openDormerStack(STACK, { runsProgram: true });
    await stack.up({ message: recordMessage({ ...currentRecord(STACK), tenantsYaml: stale }) });
    const version = (await versions())[0].version;
    const before = await inspectContainer(`${PREFIX}-tenant-acme`);
    const result = await dormer(["rollback", String(version), "--stack", STACK, "--yes"], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /fails today's validation/);
    assert.match(result.stderr, /enterprise/);
    assert.equal((await versions())[0].version, version, "no update ran");
    assert.equal((await inspectContainer(`${PREFIX}-tenant-acme`))?.Id, before?.Id);
  });
});
