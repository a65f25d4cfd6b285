import { strict as assert } from "assert";
import { execFileSync, spawn, ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { docker, inspectContainer } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { waitFor } from "../support/poll";
import { freePort } from "../support/ports";
import { login, siteOf } from "../support/supervisor";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
const OWN_IMAGE = "dormer-test-isolation-own:1";
/** Ports probed on every address, besides the test's own listener: common services and the platform's. */
const PORTS = [22, 53, 80, 443, 2375, 2376, 5432, 6379, 8080, 9090, 9100, 18088];
const TENANTS = { acme: "default app, egress", globex: "default app, no egress", ownpro: "own image, egress", ownfree: "own image, no egress" };
type TenantId = keyof typeof TENANTS;

// Runs inside a tenant: one TCP connect per target, all at once, each bounded; prints what each did.
const PROBE = `
const net = require("net");
const targets = JSON.parse(process.argv[1]);
Promise.all(targets.map(([host, port]) => new Promise((resolve) => {
  const s = net.connect({ host, port, timeout: 1500 });
  const done = (r) => { s.destroy(); resolve(r); };
  s.on("connect", () => done("open"));
  s.on("timeout", () => done("timeout"));
  s.on("error", (e) => done(e.code || String(e)));
}))).then((r) => console.log(JSON.stringify(r)));
`;

interface Target {
  kind: string;
  host: string;
  port: number;
}

function probe(container: string, targets: Target[]): string[] {
  const out = execFileSync("docker", ["exec", container, "node", "-e", PROBE, JSON.stringify(targets.map((t) => [t.host, t.port]))], {
    encoding: "utf8",
    timeout: 60_000,
  });
  return JSON.parse(out) as string[];
}

/** Every address of this host, as `ip -o addr` lists them: loopback left out, link-local with the tenant's scope. */
function hostAddresses(): string[] {
  return execFileSync("ip", ["-o", "addr"], { encoding: "utf8" })
    .split("\n")
    .map((l) => l.split(/\s+/))
    .filter((f) => f.length > 4 && f[1] !== "lo")
    .map((f) => f[3].split("/")[0])
    .map((a) => (a.startsWith("fe80:") ? `${a}%eth0` : a));
}

async function addressesOf(container: string): Promise<string[]> {
  const info = await inspectContainer(container);
  return Object.values(info?.NetworkSettings.Networks ?? {}).flatMap((n) => [n.IPAddress, n.GlobalIPv6Address].filter(Boolean));
}

const fenceInstalled = (): boolean => execFileSync("iptables", ["-S", "INPUT"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).includes("-i dt+ -j DORMER-FENCE-IN");

/**
 * "Outside" without leaving the machine: a network namespace behind a veth pair, on an address the host
 * routes to like any other, with a listener in it. An egress tenant must reach it; nothing else changes.
 */
class Outside {
  readonly ns = `dormer-iso-${crypto.randomBytes(3).toString("hex")}`;
  private readonly link = `iso${crypto.randomBytes(3).toString("hex")}`;
  readonly address = "198.51.100.2";
  readonly port = 7000;
  private listener: ChildProcess | undefined;

  async start(): Promise<void> {
    const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "ignore" });
    ip("netns", "add", this.ns);
    ip("link", "add", `${this.link}h`, "type", "veth", "peer", "name", `${this.link}n`);
    ip("link", "set", `${this.link}n`, "netns", this.ns);
    ip("addr", "add", "198.51.100.1/30", "dev", `${this.link}h`);
    ip("link", "set", `${this.link}h`, "up");
    ip("netns", "exec", this.ns, "ip", "addr", "add", `${this.address}/30`, "dev", `${this.link}n`);
    ip("netns", "exec", this.ns, "ip", "link", "set", `${this.link}n`, "up");
    ip("netns", "exec", this.ns, "ip", "link", "set", "lo", "up");
    this.listener = spawn("ip", ["netns", "exec", this.ns, process.execPath, "-e", `require("net").createServer((s) => s.on("error", () => undefined).end("outside")).listen(${this.port}, "0.0.0.0")`], { stdio: "ignore" });
    await waitFor("the outside listener", async () => {
      try {
        execFileSync("ip", ["netns", "exec", this.ns, "bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${this.port}`], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    }, 10_000);
  }

  stop(): void {
    this.listener?.kill();
    execFileSync("ip", ["link", "del", `${this.link}h`], { stdio: "ignore" }).toString();
    execFileSync("ip", ["netns", "del", this.ns], { stdio: "ignore" });
  }
}

describe("e2e: a tenant reaches nothing of the platform or the host (ci stack)", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-iso-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  const cookies = {} as Record<TenantId, string>;
  const outside = new Outside();
  const listeners: net.Server[] = [];
  let listenerPort: number;

  before(async () => {
    // A tenant's own image: node, a /health and nothing else, built from the local base.
    execFileSync("docker", ["build", "-q", "-t", OWN_IMAGE, "-"], {
      input:
        "FROM dormer-base:bookworm\n" +
        "RUN apt-get update && apt-get install -y --no-install-recommends nodejs && rm -rf /var/lib/apt/lists/*\n" +
        `CMD ["node","-e","require('http').createServer((q,s)=>s.end('own '+q.url)).listen(8080)"]\n`,
      stdio: ["pipe", "ignore", "inherit"],
    });
    const plans = { free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000 }, pro: { cpus: 0.5, memoryMb: 256, idleTimeoutMinutes: 10, egress: true, dailyRequestQuota: "unlimited" } };
    const tenants = [
      { id: "acme", plan: "pro" },
      { id: "globex", plan: "free" },
      { id: "ownpro", plan: "pro", image: OWN_IMAGE },
      { id: "ownfree", plan: "free", image: OWN_IMAGE },
    ];
    fs.writeFileSync(tenantsFile, YAML.stringify({ version: 1, plans, tenants }));
    await dormerOk(["up", "--stack", STACK], env);
    const outputs = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> };
    for (const id of Object.keys(TENANTS) as TenantId[]) {
      cookies[id] = await login(GATEWAY, id, outputs.tenantKeys[id]);
      const res = await fetch(`${siteOf(GATEWAY, id)}/messages`, { headers: { cookie: cookies[id] } });
      assert.equal(res.status, 200, `tenant ${id} woke through the gateway`);
    }
    listenerPort = await freePort();
    for (const host of ["0.0.0.0", "::"]) {
      // A probe hangs up at once: a reset on our side must not end the listener.
      const server = net.createServer((s) => s.on("error", () => undefined).end("host"));
      await new Promise<void>((resolve) => server.listen({ port: listenerPort, host, ipv6Only: host === "::" }, resolve));
      listeners.push(server);
    }
    await outside.start();
  });

  after(async () => {
    for (const l of listeners) l.close();
    try {
      outside.stop();
    } catch {
      // never started
    }
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the fence puts its rules back within seconds when they are flushed", async () => {
    assert.ok(fenceInstalled(), "fence rules in place");
    execFileSync("iptables", ["-D", "INPUT", "-i", "dt+", "-j", "DORMER-FENCE-IN"], { stdio: "ignore" });
    const removedAt = Date.now();
    await waitFor("the fence to re-apply its INPUT rule", async () => fenceInstalled(), 15_000);
    console.log(`      fence rule back after ${Date.now() - removedAt} ms`);
  });

  it("the probe can see an open port: a container outside the fence reaches the test's host listener", async () => {
    const control = await docker.createContainer({ Image: OWN_IMAGE, Cmd: ["sleep", "60"] });
    try {
      await control.start();
      const gw = (await control.inspect()).NetworkSettings.Networks.bridge.Gateway;
      const name = (await control.inspect()).Name.slice(1);
      assert.deepEqual(probe(name, [{ kind: "host listener", host: gw, port: listenerPort }]), ["open"]);
    } finally {
      await control.remove({ force: true });
    }
  });

  for (const id of Object.keys(TENANTS) as TenantId[]) {
    it(`${id} (${TENANTS[id]}) reaches nothing of the supervisor, gateway, Redis, other tenants or the host, on any probed port`, async () => {
      const self = `${PREFIX}-tenant-${id}`;
      const others = (Object.keys(TENANTS) as TenantId[]).filter((o) => o !== id);
      const groups: [string, string[]][] = [
        ["supervisor", [...(await addressesOf(`${PREFIX}-supervisor-1`)), ...(await addressesOf(`${PREFIX}-supervisor-2`))]],
        ["gateway", await addressesOf(`${PREFIX}-gateway`)],
        ["redis", await addressesOf(`${PREFIX}-redis`)],
        ["other tenants", (await Promise.all(others.map((o) => addressesOf(`${PREFIX}-tenant-${o}`)))).flat()],
        ["host", hostAddresses()],
      ];
      const targets: Target[] = groups.flatMap(([kind, hosts]) => hosts.flatMap((host) => [...PORTS, listenerPort].map((port) => ({ kind, host, port }))));
      // Controls: its own app answers, and the outside is open exactly when the plan has egress.
      targets.push({ kind: "own app", host: "127.0.0.1", port: 8080 }, { kind: "outside", host: outside.address, port: outside.port });
      const results = probe(self, targets);

      const table = new Map<string, Map<string, number>>();
      targets.forEach((t, i) => {
        const row = table.get(t.kind) ?? new Map<string, number>();
        row.set(results[i], (row.get(results[i]) ?? 0) + 1);
        table.set(t.kind, row);
      });
      console.log(`      ${id}: ${[...table].map(([kind, row]) => `${kind} ${[...row].map(([r, n]) => `${r}×${n}`).join(",")}`).join(" | ")}`);

      const open = targets.filter((t, i) => results[i] === "open" && t.kind !== "own app" && t.kind !== "outside");
      assert.deepEqual(open, [], "nothing of the platform or the host is reachable");
      assert.equal(results[targets.length - 2], "open", "its own app answers");
      const egress = id === "acme" || id === "ownpro";
      assert.equal(results[targets.length - 1] === "open", egress, egress ? "an egress tenant reaches the outside" : "no way out without egress");
    });
  }

  it("the supervisor refuses a tenant on its tenant-network address, and still serves every tenant through the gateway", async () => {
    // Each replica joins acme's network once it has served acme; whichever did refuses acme there.
    const replicas = await Promise.all([1, 2].map((i) => inspectContainer(`${PREFIX}-supervisor-${i}`)));
    const onAcme = replicas.flatMap((sup) => sup?.NetworkSettings.Networks[`${PREFIX}-tenant-acme-net`]?.IPAddress ?? []);
    assert.ok(onAcme.length > 0, "a supervisor is on acme's network");
    assert.deepEqual(probe(`${PREFIX}-tenant-acme`, onAcme.map((host) => ({ kind: "supervisor", host, port: 8080 }))), onAcme.map(() => "ECONNREFUSED"));
    for (const id of Object.keys(TENANTS) as TenantId[]) {
      const res = await fetch(`${siteOf(GATEWAY, id)}/messages`, { headers: { cookie: cookies[id] } });
      assert.equal(res.status, 200, `${id} still answers through the gateway`);
    }
  });
});
