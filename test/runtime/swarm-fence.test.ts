import { strict as assert } from "assert";
import * as crypto from "crypto";
import { SWARM_GATEWAY_BRIDGE, TENANT_BRIDGE_PREFIX } from "../../components/fence";
import { demux } from "../../runtime/engine/docker-logs";
import { declaredTenant } from "../support/declared-tenant";
import { execIn as execInEngine } from "../support/exec";
import { waitFor } from "../support/poll";
import { swarmDocker as docker, taskContainer, useSwarm } from "../support/swarm";
import { tenantServiceSpec } from "../support/tenant-service";
import { BASE_IMAGE, fenceImage, tenantAppImage } from "../support/tenants";

// Outside the swarm's own pool (scripts/swarm.sh), every stack's and the other swarm tests'.
const OVERLAY = { Subnet: "10.215.254.80/28", Gateway: "10.215.254.81" };
const CORE = { Subnet: "10.215.254.96/28", Gateway: "10.215.254.97" };
const PORT = 19999;
const LISTEN = `require("net").createServer((s) => s.end("open\\n")).listen(${PORT})`;

/** Runs a command in a container of the swarm's engine and returns what it printed. */
const execIn = async (container: string, cmd: string[]) => (await execInEngine(docker, container, cmd)).output.trim();

/** What a TCP connection from inside `container` to ip:port meets: "open" (the listener's word) or "closed …". */
const probe = (container: string, ip: string, port = PORT) =>
  execIn(container, [
    "node",
    "-e",
    `const s = require("net").connect(${port}, "${ip}"); s.setTimeout(1500);
     s.on("data", (d) => { process.stdout.write(String(d)); process.exit(0); });
     s.on("error", (e) => { console.log("closed " + e.code); process.exit(0); });
     s.on("timeout", () => { console.log("closed timeout"); process.exit(0); });`,
  ]);

describe("runtime: the host firewall fence on a swarm node, for a tenant with egress (real swarm, the real fence image)", function () {
  this.timeout(180_000);
  const base = `dormer-test-fence${crypto.randomBytes(3).toString("hex")}`;
  const tenant = declaredTenant("acme", { container: `${base}-acme`, network: `${base}-acme-net`, egress: true });
  const [listener, coreNet, coreApp, prober, fence] = ["listener", "core", "core-app", "prober", "fence"].map((n) => `${base}-${n}`);
  let appImage: string;
  let fenceTag: string;
  let task: string;
  let hostAddress: string;
  let coreAddress: string;
  let taskAddress: string;

  useSwarm({
    images: () => [(appImage = tenantAppImage()), (fenceTag = fenceImage()), BASE_IMAGE],
    cleanup: async () => {
      await docker.getService(tenant.container).remove().catch(() => undefined);
      for (const c of [listener, coreApp, prober, fence]) await docker.getContainer(c).remove({ force: true }).catch(() => undefined);
      await docker.getNetwork(coreNet).remove().catch(() => undefined);
      await waitFor(`${tenant.network} to go`, () => docker.getNetwork(tenant.network).remove().then(() => true, (err) => err.statusCode === 404), 60_000, 250);
    },
  });

  before(async function () {
    this.timeout(120_000);
    // What the node offers that no tenant may reach: a port open on its own addresses, and a container of a
    // platform network (a Docker bridge, as the gateway's, Redis's and the supervisor's are).
    await docker.createContainer({ name: listener, Image: appImage, Entrypoint: ["node", "-e", LISTEN], HostConfig: { NetworkMode: "host" } }).then((c) => c.start());
    await docker.createNetwork({ Name: coreNet, Driver: "bridge", IPAM: { Config: [CORE] } });
    await docker.createContainer({ name: coreApp, Image: appImage, Entrypoint: ["node", "-e", LISTEN], HostConfig: { NetworkMode: coreNet } }).then((c) => c.start());
    coreAddress = (await docker.getContainer(coreApp).inspect()).NetworkSettings.Networks[coreNet].IPAddress;

    // The tenant: its own overlay, not internal (its plan allows egress), so its task also joins the gateway bridge.
    await docker.createNetwork({ Name: tenant.network, Driver: "overlay", Attachable: true, Internal: false, IPAM: { Config: [OVERLAY] } });
    await docker.createService({ ...tenantServiceSpec("fencetest", tenant, appImage), Mode: { Replicated: { Replicas: 1 } } } as never);
    task = await waitFor("the tenant's task to run", async () => {
      const running = (await docker.listTasks({ filters: { service: [tenant.container], "desired-state": ["running"] } })).find((t) => t.Status?.State === "running");
      return taskContainer(running) ?? false;
    }, 60_000, 100) as string;
    taskAddress = (await docker.getContainer(task).inspect()).NetworkSettings.Networks[tenant.network].IPAddress;
    const gateway = (await docker.getNetwork(SWARM_GATEWAY_BRIDGE).inspect()) as { Containers: Record<string, unknown> };
    // The engine lists a task's gateway endpoint on the bridge, not among the container's own networks.
    assert.ok(task in gateway.Containers, `a task with egress is on ${SWARM_GATEWAY_BRIDGE}`);
    // The node's address on that bridge is the task's default route (the bridge's IPAM names no gateway).
    const route = (await execIn(task, ["cat", "/proc/net/route"])).split("\n").map((l) => l.split(/\s+/)).find((f) => f[1] === "00000000");
    hostAddress = Buffer.from(route![2]!, "hex").reverse().join(".");
    // The supervisor's stand-in, on the tenant's overlay as the supervisor's container is while it is awake.
    await docker.createContainer({ name: prober, Image: appImage, Entrypoint: ["sleep", "3600"], HostConfig: { NetworkMode: tenant.network } }).then((c) => c.start());
  });

  it("without the fence, the task reaches the node's own port through the gateway bridge: the probe sees an open port", async () => {
    assert.equal(await probe(task, hostAddress), "open");
  });

  it("with the fence, the node's port and a platform network's container are out of the tenant's reach", async () => {
    await docker
      .createContainer({
        name: fence,
        Image: fenceTag,
        Env: [`DORMER_FENCE_BRIDGES=${TENANT_BRIDGE_PREFIX}`, `DORMER_FENCE_GATEWAY_BRIDGE=${SWARM_GATEWAY_BRIDGE}`, "DORMER_FENCE_INTERVAL_SECONDS=1"],
        HostConfig: { NetworkMode: "host", CapDrop: ["ALL"], CapAdd: ["NET_ADMIN"], SecurityOpt: ["no-new-privileges:true"] },
      })
      .then((c) => c.start());
    await waitFor("the fence to close the node's port", async () => (await probe(task, hostAddress)).startsWith("closed"), 20_000, 250);
    assert.match(await probe(task, coreAddress), /^closed/, "a container on a platform network");
  });

  it("keeps the supervisor's way to the tenant on its overlay open", async () => {
    const answer = await execIn(prober, ["node", "-e", `fetch("http://${taskAddress}:8080/health").then((r) => console.log(r.status), (e) => console.log(String(e)))`]);
    assert.equal(answer, "200");
  });

  it("keeps its rules in place without fighting itself: each jump set once, the tenant bridges' first", async () => {
    await new Promise((r) => setTimeout(r, 4000));
    const log = demux(await docker.getContainer(fence).logs({ stdout: true, stderr: true }));
    const jumps = log.split("\n").filter((l) => / -> DORMER-FENCE/.test(l));
    assert.deepEqual(
      jumps.map((l) => l.replace(/^fence: (ip6?tables)-\w+ /, "$1 ")),
      [
        "iptables INPUT -> DORMER-FENCE-IN",
        "iptables DOCKER-USER -> DORMER-FENCE-FWD",
        "iptables INPUT -> DORMER-FENCE-GW-IN",
        "iptables DOCKER-USER -> DORMER-FENCE-GW-FWD",
        "ip6tables INPUT -> DORMER-FENCE-IN",
        "ip6tables FORWARD -> DORMER-FENCE-FWD",
      ],
      log,
    );
  });
});
