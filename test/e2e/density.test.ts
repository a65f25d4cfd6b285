import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { demux } from "../../runtime/engine/docker-logs";
import { docker, inspectContainer } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { manyTenants, ManyTenantsFile, tenantId, toYaml } from "../support/many-tenants";
import { pendingChanges } from "../support/plan";
import { login, siteOf } from "../support/supervisor";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
// Past what Docker's default address pools hold (~31 bridge networks on a stock daemon).
const COUNT = 60;

interface PreviewJson {
  changeSummary: Record<string, number>;
  steps: { op: string; urn: string }[];
  scope: { full: boolean; reason?: string; declared?: string[]; unchanged?: string[]; removed?: string[] };
}

const networkOf = (id: string) => `${PREFIX}-tenant-${id}-net`;

async function subnetOf(network: string): Promise<string> {
  const info = await docker.getNetwork(network).inspect();
  return (info.IPAM?.Config ?? [])[0]?.Subnet ?? "";
}

/** The tenant's address on its own network (it is on no other). */
async function addressOf(id: string): Promise<string> {
  return (await inspectContainer(`${PREFIX}-tenant-${id}`))?.NetworkSettings.Networks[networkOf(id)]?.IPAddress ?? "";
}

/** Opens a TCP connection from inside a tenant's container; resolves to "connected" or the error's code. */
async function connectFrom(id: string, host: string, port: number): Promise<string> {
  const script =
    `const s=require("net").connect(${port},"${host}");s.setTimeout(3000);` +
    `s.on("connect",()=>{console.log("connected");s.destroy()});` +
    `s.on("timeout",()=>{console.log("ETIMEDOUT");s.destroy()});s.on("error",e=>console.log(e.code))`;
  const exec = await docker.getContainer(`${PREFIX}-tenant-${id}`).exec({ Cmd: ["node", "-e", script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", resolve);
    stream.on("error", reject);
  });
  return demux(Buffer.concat(chunks)).trim().split(/\s+/).pop() ?? "";
}

describe(`e2e: ${COUNT} tenants on one stock daemon (ci stack)`, function () {
  this.timeout(40 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-density-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  const file: ManyTenantsFile = manyTenants(COUNT);
  const first = tenantId(1);
  const last = tenantId(COUNT);
  let keys: Record<string, string>;
  const subnets = new Map<string, string>();

  before(async () => {
    fs.writeFileSync(tenantsFile, toYaml(file));
    const started = Date.now();
    const { stdout } = await dormerOk(["up", "--stack", STACK], env);
    console.log(`      (up of ${COUNT} tenants from empty: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    // The ci stack's upBatchTenants (25): three engine runs, and all of it applied (the tests below).
    assert.match(stdout, /batch 3 of 3: 10 tenants \(t0051 … t0060\)/);
    assert.doesNotMatch(stdout, /batch 4/);
    keys = (JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> }).tenantKeys;
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("puts every tenant alone on its own network, each on its own subnet of the stack's pool", async () => {
    for (const { id } of file.tenants) {
      const info = await inspectContainer(`${PREFIX}-tenant-${id}`);
      assert.deepEqual(Object.keys(info?.NetworkSettings.Networks ?? {}), [networkOf(id)], `${id} is on its own network only`);
      subnets.set(id, await subnetOf(networkOf(id)));
    }
    const all = [...subnets.values()];
    assert.equal(new Set(all).size, COUNT, "no two tenants share a subnet");
    for (const s of all) assert.match(s, /^10\.\d+\.\d+\.\d+\/28$/);
  });

  it("wakes the first and the last tenant through the gateway", async () => {
    for (const id of [first, last]) {
      const cookie = await login(GATEWAY, id, keys[id]!);
      const res = await fetch(`${siteOf(GATEWAY, id)}/messages?limit=1`, { headers: { cookie } });
      assert.equal(res.status, 200, `${id} answers`);
      assert.equal((await inspectContainer(`${PREFIX}-tenant-${id}`))?.State.Running, true, `${id} awake`);
    }
  });

  it("a tenant reaches its own address but not its neighbour's", async () => {
    const [own, neighbour] = [await addressOf(first), await addressOf(last)];
    assert.equal(await connectFrom(first, own, 8080), "connected", "the probe itself works");
    const reached = await connectFrom(first, neighbour, 8080);
    assert.notEqual(reached, "connected", `${first} must not reach ${last} at ${neighbour}`);
    assert.match(reached, /^(ENETUNREACH|EHOSTUNREACH|ECONNREFUSED|ETIMEDOUT)$/);
  });

  it("a second preview shows no changes, looking at every tenant or leaving out the unchanged", async () => {
    const full = JSON.parse((await dormerOk(["preview", "--stack", STACK, "--json", "--full"], env)).stdout) as PreviewJson;
    assert.deepEqual(pendingChanges(full.changeSummary), {});
    assert.equal(full.scope.full, true);
    const scoped = JSON.parse((await dormerOk(["preview", "--stack", STACK, "--json"], env)).stdout) as PreviewJson;
    assert.deepEqual(pendingChanges(scoped.changeSummary), {});
    assert.deepEqual(scoped.scope, { full: false, declared: [], unchanged: file.tenants.map((t) => t.id), removed: [] });
  });

  it("one tenant changed, one added, one removed and the file reordered touch those three only", async () => {
    const changed = tenantId(30);
    const removed = tenantId(31);
    const added = "newcomer";
    const edited: ManyTenantsFile = {
      ...file,
      tenants: [
        ...file.tenants.filter((t) => t.id !== removed).map((t) => (t.id === changed ? { ...t, limits: { memoryMb: 256 } } : t)),
        { id: added, plan: "small" },
      ].reverse(),
    };
    fs.writeFileSync(tenantsFile, toYaml(edited));
    const touchedBy = async (args: string[]): Promise<PreviewJson> => {
      const started = Date.now();
      const plan = JSON.parse((await dormerOk(["preview", "--stack", STACK, "--json", ...args], env)).stdout) as PreviewJson;
      console.log(`      (preview ${args.join(" ")} of the change among ${COUNT}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
      const touched = new Set<string>();
      for (const step of plan.steps) {
        const tenant = /dormer:index:Tenant::(\w[\w-]*)/.exec(step.urn)?.[1] ?? /::([\w-]+?)(-net|-files|-data|-key)?$/.exec(step.urn)?.[1];
        assert.ok(step.urn.includes("dormer:index:Tenant") && [changed, removed, added].includes(tenant ?? ""), `only the three tenants change, not ${step.op} ${step.urn}`);
        touched.add(tenant!);
      }
      assert.deepEqual([...touched].sort(), [added, changed, removed].sort());
      return plan;
    };
    // Every tenant looked at: the other 58 declare exactly what they did, reordered or not.
    await touchedBy(["--full"]);
    // The 58 left out, unchanged: the same plan.
    const scoped = await touchedBy([]);
    assert.deepEqual([...(scoped.scope.declared ?? [])].sort(), [added, changed].sort());
    assert.equal(scoped.scope.unchanged?.length, COUNT - 2);
    assert.deepEqual(scoped.scope.removed, [removed]);

    await dormerOk(["up", "--stack", STACK], env);
    // The keys of the tenants the up left out are still the stack's outputs.
    const after = (JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> }).tenantKeys;
    for (const { id } of edited.tenants) if (id !== added) assert.equal(after[id], keys[id], `${id} keeps its key in the outputs`);
    assert.ok(!(removed in after) && typeof after[added] === "string" && after[added]!.length > 0);
    const again = JSON.parse((await dormerOk(["preview", "--stack", STACK, "--json", "--full"], env)).stdout) as PreviewJson;
    assert.deepEqual(pendingChanges(again.changeSummary), {}, "a full preview after the scoped up finds nothing left to do");
    for (const [id, subnet] of subnets) {
      if (id !== removed) assert.equal(await subnetOf(networkOf(id)), subnet, `${id} keeps its subnet`);
    }
    const newcomer = await subnetOf(networkOf(added));
    assert.ok(![...subnets.entries()].some(([id, s]) => id !== removed && s === newcomer), "the newcomer's subnet is its own");
    assert.equal((await inspectContainer(`${PREFIX}-tenant-${changed}`))?.HostConfig.Memory, 256 * 1024 * 1024);
  });
});
