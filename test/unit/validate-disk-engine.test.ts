import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dormer } from "../support/dormer-cli";

const FILE = `version: 1
plans:
  small: { cpus: 0.25, memoryMb: 128, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: unlimited, diskMb: 32 }
tenants:
  - { id: acme, plan: small }
`;
const NOT_CHECKED = /^warning: disk use not checked: no Docker engine answers here/m;

describe("unit: dormer validate asks the engine DOCKER_HOST names for the tenants' disk use", function () {
  this.timeout(60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-disk-engine-"));
  const file = path.join(dir, "tenants.yaml");
  before(() => fs.writeFileSync(file, FILE));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a unix:// socket nothing listens on: valid, with a warning that disk use was not checked", async () => {
    const r = await dormer(["validate", "--stack", "ci", file], { DOCKER_HOST: `unix://${path.join(dir, "no-engine.sock")}` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, NOT_CHECKED);
  });

  it("a tcp:// address nothing listens on (another client speaks it): the same warning", async () => {
    const r = await dormer(["validate", "--stack", "ci", file], { DOCKER_HOST: "tcp://127.0.0.1:1" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, NOT_CHECKED);
  });
});
