import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dormer } from "../support/dormer-cli";

const FILE = (tenants: string[]) => `version: 1
plans:
  small: { cpus: 0.25, memoryMb: 128, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: unlimited }
tenants:
${tenants.map((t) => `  - ${t}`).join("\n")}
`;

describe("unit: dormer validate checks tenants.yaml against the stack's orchestrator", function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-orchestrator-"));
  const file = path.join(dir, "tenants.yaml");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("accepts a swarm stack's tenants that each have a node", async () => {
    fs.writeFileSync(file, FILE(["{ id: acme, plan: small, node: n1 }", "{ id: globex, plan: small, node: n2 }"]));
    const r = await dormer(["validate", "--stack", "swarm-ci", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid, 2 tenants/);
  });

  it("refuses, on swarm, a tenant without a node and fields a swarm cannot honour, naming each, and exits 1", async () => {
    fs.writeFileSync(file, FILE(["{ id: acme, plan: small, node: n1, limits: { diskMb: 64 } }", "{ id: globex, plan: small }"]));
    const r = await dormer(["validate", "--stack", "swarm-ci", file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tenants\[0\] \(acme\): limits\.diskMb: a swarm stack has no disk fence/);
    assert.match(r.stderr, /tenants\[1\] \(globex\): node: required on a swarm stack/);
  });

  it("refuses a node on a docker stack", async () => {
    fs.writeFileSync(file, FILE(["{ id: acme, plan: small, node: n1 }"]));
    const r = await dormer(["validate", "--stack", "ci", file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tenants\[0\] \(acme\): node: only a swarm stack places tenants on nodes/);
  });
});
