import { strict as assert } from "assert";
import * as crypto from "crypto";
import { spawnSync } from "child_process";
import * as path from "path";
import { docker as hostDocker } from "../support/docker";
import { waitFor } from "../support/poll";
import { swarmDocker as docker, useSwarm } from "../support/swarm";

const script = path.resolve(__dirname, "..", "..", "scripts", "swarm.sh");
// scripts/swarm.sh's defaults: the addresses it chooses.
const POOL = { base: "10.215.0.0", prefix: 17 };
const GWBRIDGE = "10.215.255.0/24";
const IMAGE = "dormer-base:bookworm";

const toInt = (ip: string) => ip.split(".").reduce((n, part) => n * 256 + Number(part), 0);
function within(subnet: string, base: string, prefix: number): boolean {
  const [ip, bits] = subnet.split("/");
  const size = 2 ** (32 - prefix);
  return Number(bits) >= prefix && Math.floor(toInt(ip) / size) === Math.floor(toInt(base) / size);
}
const subnetsOf = async (network: string): Promise<string[]> =>
  ((await docker.getNetwork(network).inspect()).IPAM?.Config ?? []).map((c: { Subnet?: string }) => c.Subnet ?? "");
type SwarmInfo = { LocalNodeState: string; ControlAvailable: boolean; NodeID: string };
const swarmOf = async (engine: typeof docker) => (await engine.info()).Swarm as SwarmInfo;

/** Against the tests' private engine, which useSwarm() made a manager with `swarm.sh init`, as a user would. */
describe("scripts/swarm.sh: a single-node swarm beside the bridge stacks", function () {
  this.timeout(120_000);
  const prefix = `dormer-test-swarm-${crypto.randomBytes(3).toString("hex")}`;
  let hostBefore: SwarmInfo;

  before(async () => {
    // Registered before useSwarm()'s hook, so it reads the host's engine before the file's tests begin.
    hostBefore = await swarmOf(hostDocker);
  });
  useSwarm({
    images: () => [IMAGE],
    cleanup: async () => {
      for (const s of await docker.listServices({ filters: { name: [prefix] } })) await docker.getService(s.ID!).remove();
      for (const n of await docker.listNetworks({ filters: { name: [prefix] } })) {
        await waitFor(`network ${n.Name} to be removed`, () => docker.getNetwork(n.Id).remove().then(() => true, () => false), 30_000, 250);
      }
    },
  });

  it("makes the engine a swarm manager", async () => {
    const s = await swarmOf(docker);
    assert.equal(s.LocalNodeState, "active");
    assert.equal(s.ControlAvailable, true);
  });

  it("gives the swarm's own networks subnets from its pool, and docker_gwbridge its own", async () => {
    for (const subnet of await subnetsOf("ingress")) assert.ok(within(subnet, POOL.base, POOL.prefix), `ingress on ${subnet}`);
    const overlay = `${prefix}-auto`;
    await docker.createNetwork({ Name: overlay, Driver: "overlay", Attachable: true });
    for (const subnet of await subnetsOf(overlay)) assert.ok(within(subnet, POOL.base, POOL.prefix), `${overlay} on ${subnet}`);
    assert.deepEqual(await subnetsOf("docker_gwbridge"), [GWBRIDGE]);
  });

  it("leaves bridge networks on the stacks' explicit subnets free to come and go while a task runs", async () => {
    const overlay = `${prefix}-tasks`;
    await docker.createNetwork({ Name: overlay, Driver: "overlay", Attachable: true });
    const service = await docker.createService({
      Name: `${prefix}-svc`,
      TaskTemplate: { ContainerSpec: { Image: IMAGE, Command: ["sleep", "600"] }, Networks: [{ Target: overlay }] },
      Mode: { Replicated: { Replicas: 1 } },
    });
    await waitFor("the task to run", async () => {
      const tasks = await docker.listTasks({ filters: { service: [service.id], "desired-state": ["running"] } });
      return tasks.some((t) => t.Status?.State === "running");
    }, 60_000, 200);
    // The last /28 of the local and ci stacks' pools (10.212.0.0/16, 10.213.0.0/16): no stack here reaches them.
    for (const [name, subnet] of [[`${prefix}-local`, "10.212.255.240/28"], [`${prefix}-ci`, "10.213.255.240/28"]]) {
      const net = await docker.createNetwork({ Name: name, IPAM: { Config: [{ Subnet: subnet }] } });
      assert.deepEqual(await subnetsOf(name), [subnet]);
      await net.remove();
    }
    for (const swarmNet of ["ingress", "docker_gwbridge", overlay]) {
      for (const subnet of await subnetsOf(swarmNet)) {
        assert.ok(!within(subnet, "10.212.0.0", 15), `${swarmNet} (${subnet}) stays out of 10.212.0.0/16 and 10.213.0.0/16`);
      }
    }
  });

  it("leaves an engine that is already a manager alone", async () => {
    const node = (await swarmOf(docker)).NodeID;
    const again = spawnSync("bash", [script, "init"], { encoding: "utf8" });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stderr, /already a swarm manager; leaving it as it is/);
    assert.equal((await swarmOf(docker)).NodeID, node);
  });

  it("is run against DOCKER_HOST's engine, leaving the host's own as it was", async () => {
    assert.notDeepEqual(await swarmOf(docker), await swarmOf(hostDocker));
    assert.deepEqual(await swarmOf(hostDocker), hostBefore);
  });
});
