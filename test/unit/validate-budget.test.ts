import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dormer } from "../support/dormer-cli";

const FILE = (caps: number[]) => `version: 1
plans:
  small:
    cpus: 0.25
    memoryMb: 128
    idleTimeoutMinutes: 10
    egress: false
    dailyRequestQuota: unlimited
tenants:
${caps.map((c, i) => `  - id: tenant-${i}\n    plan: small\n    limits:\n      maxConnections: ${c}`).join("\n")}
`;

describe("unit: dormer validate checks the tenants' caps against the stack's connection budget", function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-budget-"));
  const file = path.join(dir, "tenants.yaml");
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("accepts caps that fit the budget of 9 000 (stacks/Pulumi.ci.yaml), and says how much of it they take", async () => {
    fs.writeFileSync(file, FILE([5_000, 3_000, 1_000]));
    const r = await dormer(["validate", "--stack", "ci", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /maxConnections 9000 of the budget 9000/);
  });

  it("refuses caps that add up past it, naming the sum, the tenants and the budget, and exits 1", async () => {
    fs.writeFileSync(file, FILE([5_000, 3_000, 1_000, 1]));
    const r = await dormer(["validate", "--stack", "ci", file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dormer validate: dormer:maxConnections: the 4 tenants' maxConnections add up to 9 001 \(tenant-0 5 000, tenant-1 3 000, tenant-2 1 000, tenant-3 1\), more than the stack's budget of 9 000/);
  });
});
