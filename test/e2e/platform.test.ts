import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { docker, inspectContainer, inVolume, volumeExists } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { pendingChanges } from "../support/plan";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
const example = fs.readFileSync(path.resolve(__dirname, "../../tenants.yaml"), "utf8");

interface PreviewJson {
  changeSummary: Record<string, number>;
  steps: { op: string; urn: string; type: string; name: string; changes: { property: string }[] }[];
}

describe("e2e: dormer up --stack ci on the example tenants.yaml", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  const tenants = ["acme", "globex", "initech"];

  const editTenants = (edit: (doc: { tenants: { id: string; plan: string }[] }) => void) => {
    const doc = YAML.parse(fs.readFileSync(tenantsFile, "utf8"));
    edit(doc);
    fs.writeFileSync(tenantsFile, YAML.stringify(doc));
  };

  before(async () => {
    fs.writeFileSync(tenantsFile, example);
    await dormerOk(["up", "--stack", STACK], env);
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    for (const id of tenants) {
      for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-tenant-${id}-${kind}`).remove().catch(() => undefined);
    }
    await docker.getVolume(`${PREFIX}-redis-data`).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("declares every container, the platform running and the tenants asleep", async () => {
    for (const role of ["supervisor-1", "supervisor-2", "gateway", "redis"]) {
      const info = await inspectContainer(`${PREFIX}-${role}`);
      assert.equal(info?.State.Running, true, `${role} runs`);
    }
    for (const id of tenants) {
      const info = await inspectContainer(`${PREFIX}-tenant-${id}`);
      assert.ok(info, `tenant ${id} declared`);
      assert.equal(info.State.Running, false, `tenant ${id} asleep`);
      assert.equal(info.HostConfig.PortBindings && Object.keys(info.HostConfig.PortBindings).length, 0, `${id} publishes nothing`);
    }
  });

  it("gives the supervisor and the gateway (nginx's workers too) the open-files limit sized from the budget", async () => {
    // stacks/Pulumi.ci.yaml: dormer:maxConnections 9 000, so 2 x 9 000 + 1 024.
    const limit = 19_024;
    for (const role of ["supervisor-1", "supervisor-2", "gateway"]) {
      const container = `${PREFIX}-${role}`;
      assert.deepEqual((await inspectContainer(container))?.HostConfig.Ulimits, [{ Name: "nofile", Soft: limit, Hard: limit }], role);
      const inside = execFileSync("docker", ["exec", container, "sh", "-c", "grep -h 'Max open files' /proc/[0-9]*/limits"], { encoding: "utf8" });
      const lines = inside.trim().split("\n");
      assert.ok(lines.length >= (role === "gateway" ? 2 : 1), inside);
      for (const line of lines) assert.match(line, new RegExp(`^Max open files\\s+${limit}\\s+${limit}\\s+files`), `${role}: ${inside}`);
    }
  });

  it("gives each tenant its plan's memory and CPU", async () => {
    const expected: Record<string, [number, number]> = { acme: [1024, 1], globex: [256, 0.25], initech: [512, 0.25] };
    for (const [id, [memoryMb, cpus]] of Object.entries(expected)) {
      const info = await inspectContainer(`${PREFIX}-tenant-${id}`);
      assert.equal(info?.HostConfig.Memory, memoryMb * 1024 * 1024, `${id} memory`);
      assert.equal(info?.HostConfig.NanoCpus, cpus * 1e9, `${id} cpus`);
    }
  });

  it("puts each tenant on its own network that no other tenant is on", async () => {
    for (const id of tenants) {
      const info = await inspectContainer(`${PREFIX}-tenant-${id}`);
      const networks = Object.keys(info?.NetworkSettings.Networks ?? {});
      assert.deepEqual(networks, [`${PREFIX}-tenant-${id}-net`]);
      const net = await docker.getNetwork(`${PREFIX}-tenant-${id}-net`).inspect();
      assert.equal(net.Internal, id !== "acme", `${id} internal unless its plan has egress`);
    }
  });

  it("answers /health through the gateway with Redis up and the declared tenant count", async () => {
    let body: { redis_ok?: boolean; docker_ok?: boolean; tenants?: number } = {};
    let status = 0;
    // The supervisor may still be connecting to Redis right after up.
    for (let i = 0; i < 30 && status !== 200; i++) {
      const res = await fetch(`${GATEWAY}/health`);
      status = res.status;
      body = (await res.json()) as typeof body;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(status, 200);
    assert.equal(body.redis_ok, true);
    assert.equal(body.docker_ok, true);
    assert.equal(body.tenants, 3);
  });

  it("a second preview shows no changes", async () => {
    const { stdout } = await dormerOk(["preview", "--stack", STACK, "--json"], env);
    const plan = JSON.parse(stdout) as PreviewJson;
    assert.deepEqual(pendingChanges(plan.changeSummary), {});
  });

  it("a plan change touches that tenant only, keeps the supervisor running and the tenant's files", async () => {
    const baseImage = "dormer-base:bookworm";
    await inVolume(baseImage, `${PREFIX}-tenant-globex-files`, "echo kept > /v/marker.txt");
    const supervisors = () => Promise.all([1, 2].map((i) => inspectContainer(`${PREFIX}-supervisor-${i}`)));
    const supervisorsBefore = await supervisors();

    editTenants((doc) => {
      doc.tenants.find((t) => t.id === "globex")!.plan = "pro";
    });
    const { stdout } = await dormerOk(["preview", "--stack", STACK, "--json"], env);
    const plan = JSON.parse(stdout) as PreviewJson;
    assert.ok(plan.steps.length > 0, "the preview shows the change");
    for (const step of plan.steps) {
      const ofGlobex = step.urn.includes("dormer:index:Tenant") && /::globex(-\w+)?$/.test(step.urn);
      assert.ok(ofGlobex, `only globex changes, not ${step.urn}`);
    }

    await dormerOk(["up", "--stack", STACK], env);
    for (const [i, after] of (await supervisors()).entries()) {
      assert.equal(after?.Id, supervisorsBefore[i]?.Id, `supervisor ${i + 1} not replaced`);
      assert.equal(after?.State.StartedAt, supervisorsBefore[i]?.State.StartedAt, `supervisor ${i + 1} not restarted`);
    }
    const globex = await inspectContainer(`${PREFIX}-tenant-globex`);
    assert.equal(globex?.HostConfig.Memory, 1024 * 1024 * 1024);
    assert.equal((await inVolume(baseImage, `${PREFIX}-tenant-globex-files`, "cat /v/marker.txt")).trim(), "kept");
  });

  it("removing a tenant from the file removes its container but keeps its volumes", async () => {
    editTenants((doc) => {
      doc.tenants = doc.tenants.filter((t) => t.id !== "initech");
    });
    await dormerOk(["up", "--stack", STACK], env);
    assert.equal(await inspectContainer(`${PREFIX}-tenant-initech`), undefined);
    assert.equal(await volumeExists(`${PREFIX}-tenant-initech-files`), true);
    assert.equal(await volumeExists(`${PREFIX}-tenant-initech-data`), true);
  });

  it("refuses an invalid tenants.yaml before touching anything", async () => {
    const before = await inspectContainer(`${PREFIX}-tenant-acme`);
    editTenants((doc) => {
      doc.tenants.find((t) => t.id === "acme")!.plan = "platinum";
    });
    for (const command of ["preview", "up"]) {
      const result = await dormer([command, "--stack", STACK], env);
      assert.notEqual(result.code, 0, `${command} refuses`);
      assert.match(result.stderr, /tenants\[0\] \(acme\): plan: unknown plan "platinum"/);
    }
    assert.equal((await inspectContainer(`${PREFIX}-tenant-acme`))?.Id, before?.Id);
  });

  it("down removes the rest and keeps the tenants' volumes, even with a broken tenants.yaml", async () => {
    await dormerOk(["down", "--stack", STACK], env);
    for (const role of ["supervisor-1", "supervisor-2", "gateway", "redis", "tenant-acme", "tenant-globex"]) {
      assert.equal(await inspectContainer(`${PREFIX}-${role}`), undefined, `${role} removed`);
    }
    for (const id of ["acme", "globex"]) assert.equal(await volumeExists(`${PREFIX}-tenant-${id}-data`), true);
  });
});
