import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser } from "playwright-core";
import { launchBrowser } from "../support/browser";
import YAML from "yaml";
import { docker, inspectContainer } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { containerFds } from "../support/fds";
import { waitFor } from "../support/poll";
import { login, siteOf } from "../support/supervisor";
import { RawWebSocket } from "../tenant-app/ws-client";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const PORT = 18088;
const GATEWAY = `http://127.0.0.1:${PORT}`;
/** A tenant's own origin through the gateway: `http://<id>.localhost:18088`. */
const site = (tenant: string) => siteOf(GATEWAY, tenant);

interface Outputs {
  adminToken: string;
  tenantKeys: Record<string, string>;
}

/** The supervisor's replicas (dormer:supervisorReplicas, 2 by default), by container name. */
const SUPERVISORS = [1, 2].map((i) => `${PREFIX}-supervisor-${i}`);

/** Every network any replica of the supervisor is on. */
async function supervisorNetworks(): Promise<string[]> {
  return (await Promise.all(SUPERVISORS.map(networksOf))).flat();
}

async function networksOf(container: string): Promise<string[]> {
  return Object.keys((await inspectContainer(container))?.NetworkSettings.Networks ?? {}).sort();
}

describe("e2e: the runtime through the gateway of a real ci-stack up", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-rt-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  let outputs: Outputs;
  let acme: string;
  let browser: Browser | undefined;

  before(async () => {
    fs.copyFileSync(path.resolve(__dirname, "../../tenants.yaml"), tenantsFile);
    await dormerOk(["up", "--stack", STACK], env);
    outputs = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as Outputs;
    acme = await login(GATEWAY, "acme", outputs.tenantKeys.acme);
  });

  after(async () => {
    await browser?.close();
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a request to a sleeping tenant wakes it and is answered, with the verified identity", async () => {
    assert.equal((await inspectContainer(`${PREFIX}-tenant-acme`))?.State.Running, false);
    const res = await fetch(`${site("acme")}/messages`, {
      method: "POST",
      headers: { cookie: acme, "content-type": "application/json", "x-user-id": "mallory", "x-tenant-id": "globex" },
      body: JSON.stringify({ text: "hello through the gateway" }),
    });
    assert.equal(res.status, 201);
    const body = (await res.json()) as { message: { user: string } };
    assert.equal(body.message.user, "key:acme");
    assert.equal((await inspectContainer(`${PREFIX}-tenant-acme`))?.State.Running, true);
  });

  it("the supervisor joins only the network of the tenant it reaches", async () => {
    const networks = await supervisorNetworks();
    assert.ok(networks.includes(`${PREFIX}-tenant-acme-net`));
    assert.ok(!networks.includes(`${PREFIX}-tenant-globex-net`));
    assert.deepEqual(await networksOf(`${PREFIX}-tenant-acme`), [`${PREFIX}-tenant-acme-net`]);
  });

  it("passes a WebSocket through gateway and supervisor", async () => {
    const ws = await RawWebSocket.connect(PORT, { Cookie: acme }, `acme.localhost:${PORT}`);
    ws.send(1, "echo me");
    const frame = await ws.next();
    assert.equal(frame.payload.toString(), "echo me");
    ws.socket.destroy();
  });

  it("frees every descriptor of gateway, supervisor and tenant app when WebSockets end without a close frame", async () => {
    const N = 24; // within the gateway's burst of 50 (stacks/Pulumi.ci.yaml)
    // The gateway shares the WebSockets between the replicas: theirs are counted together.
    const containers = ["gateway", "supervisor", "tenant-acme"].map((c) => `${PREFIX}-${c}`);
    const fdsOf = async (c: string) => (c === `${PREFIX}-supervisor` ? (await Promise.all(SUPERVISORS.map(containerFds))).reduce((a, b) => a + b, 0) : containerFds(c));
    const count = async () => Object.fromEntries(await Promise.all(containers.map(async (c) => [c, await fdsOf(c)] as const)));
    const baseline = await count();
    const open = await Promise.all(Array.from({ length: N }, () => RawWebSocket.connect(PORT, { cookie: acme }, `acme.localhost:${PORT}`)));
    await Promise.all(open.map(async (ws) => {
      ws.socket.on("error", () => undefined);
      ws.send(0x1, "hi");
      assert.equal((await ws.next()).payload.toString(), "hi");
    }));
    const during = await count();
    for (const c of containers) assert.ok(during[c]! >= baseline[c]! + N, `${c}: ${during[c]} open with ${N} WebSockets, baseline ${baseline[c]}`);
    // FIN only, a plain close, a TCP reset: none sends a close frame.
    open.forEach((ws, i) => (i % 3 === 0 ? ws.socket.end() : i % 3 === 1 ? ws.socket.destroy() : ws.socket.resetAndDestroy()));
    let now = during;
    await waitFor("descriptors back to baseline", async () => {
      now = await count();
      return containers.every((c) => now[c]! <= baseline[c]! + 4);
    }, 15_000, 250).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(now)} vs baseline ${JSON.stringify(baseline)}`);
    });
  });

  it("refuses a body over the gateway's limit with 413", async () => {
    const res = await fetch(`${site("acme")}/files/big.bin`, { method: "PUT", headers: { cookie: acme }, body: Buffer.alloc(11 * 1024 * 1024) });
    assert.equal(res.status, 413);
    assert.match(await res.text(), /too large/);
  });

  it("routes by Host: the platform's origin serves no tenant, an unknown name gets 421 from the gateway", async () => {
    assert.equal((await fetch(`${GATEWAY}/messages`, { headers: { cookie: acme } })).status, 404);
    assert.equal((await fetch(`${site("globex")}/messages`, { headers: { cookie: acme, accept: "application/json" } })).status, 401);
    const unknown = await fetch(`http://a.b.localhost:${PORT}/live`);
    assert.equal(unknown.status, 421);
    assert.equal(((await unknown.json()) as { error: string }).error, "unknown_host");
    const outputs = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json"], env)).stdout) as { tenantUrls: Record<string, string> };
    assert.equal(outputs.tenantUrls.acme, `http://acme.localhost:${PORT}`);
  });

  it("serves the admin API to the admin token only", async () => {
    assert.equal((await fetch(`${GATEWAY}/admin/tenants`)).status, 401);
    const res = await fetch(`${GATEWAY}/admin/tenants`, { headers: { authorization: `Bearer ${outputs.adminToken}` } });
    assert.equal(res.status, 200);
    const { tenants } = (await res.json()) as { tenants: { id: string; state: string }[] };
    assert.deepEqual(tenants.map((t) => t.id).sort(), ["acme", "globex", "initech"]);
    assert.equal(tenants.find((t) => t.id === "acme")?.state, "awake");
  });

  it("dormer usage reads every tenant's usage from the stack's admin API, and one tenant's days", async () => {
    const all = JSON.parse((await dormerOk(["usage", "--stack", STACK, "--json"], env)).stdout) as { tenant: string; state: string; days: { requests: number; wakes: number }[] }[];
    assert.deepEqual(all.map((r) => r.tenant), ["acme", "globex", "initech"]);
    const today = all.find((r) => r.tenant === "acme")!.days[0];
    assert.ok(today.requests >= 1 && today.wakes === 1, JSON.stringify(today));
    const text = (await dormerOk(["usage", "acme", "--days", "3", "--stack", STACK], env)).stdout;
    assert.match(text, /^acme: quota today unlimited$/m, "acme is on the pro plan");
    assert.equal(text.trim().split("\n").length, 5, text);
  });

  it("shows a browser the waiting page, then lands on the tenant once it is up", async () => {
    const globex = await login(GATEWAY, "globex", outputs.tenantKeys.globex);
    browser = await launchBrowser();
    const context = await browser.newContext();
    const [name, value] = globex.split("=");
    await context.addCookies([{ name, value, url: site("globex") }]);
    const page = await context.newPage();
    const first = await page.goto(`${site("globex")}/`);
    assert.equal(first?.status(), 503);
    assert.match(await page.title(), /Waking Globex/);
    // A function, not a string: the waiting page's CSP forbids the eval a string would need.
    await page.waitForFunction(() => !(globalThis as unknown as { document: { title: string } }).document.title.startsWith("Waking"), undefined, { timeout: 30_000 });
    assert.equal((await inspectContainer(`${PREFIX}-tenant-globex`))?.State.Running, true);
  });

  it("follows the supervisor to a new address after it restarts", async () => {
    const [first, second] = SUPERVISORS;
    const supervisor = docker.getContainer(first);
    const before = (await inspectContainer(first))?.NetworkSettings.Networks[`${PREFIX}-core`]?.IPAddress;
    await supervisor.stop({ t: 1 });
    // Take the supervisor's old address, so it comes back on another one.
    const squatter = await docker.createContainer({ Image: "dormer-base:bookworm", Cmd: ["sleep", "60"], HostConfig: { NetworkMode: `${PREFIX}-core` } });
    try {
      await squatter.start();
      await supervisor.start();
      const after = (await inspectContainer(first))?.NetworkSettings.Networks[`${PREFIX}-core`]?.IPAddress;
      assert.notEqual(after, before, "the supervisor moved");
      // The gateway reloads once every replica's name resolves again (within 2 s); then only the moved
      // replica is left to serve, so the gateway must reach it at its new address.
      await waitFor("the gateway to reload with the moved replica's address", async () =>
        String(await docker.getContainer(`${PREFIX}-gateway`).logs({ stdout: true, stderr: true, follow: false })).includes(` to ${after}`), 15_000, 250);
      await docker.getContainer(second).stop({ t: 1 });
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        status = await fetch(`${site("acme")}/messages`, { headers: { cookie: acme } }).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 250));
      }
      assert.equal(status, 200);
    } finally {
      await squatter.remove({ force: true });
      await docker.getContainer(second).start().catch(() => undefined);
    }
  });

  it("rate-limits one client with 429 past its burst", async () => {
    const statuses = await Promise.all(Array.from({ length: 150 }, () => fetch(`${GATEWAY}/live`).then((r) => r.status)));
    assert.ok(statuses.includes(429), "some requests were limited");
    assert.ok(statuses.includes(200), "the burst got through");
  });

  it("removing an awake tenant from the file works: its container goes, its volumes stay", async () => {
    await new Promise((r) => setTimeout(r, 2000)); // let the rate limiter's bucket refill
    const initech = await login(GATEWAY, "initech", outputs.tenantKeys.initech);
    assert.equal((await fetch(`${site("initech")}/messages`, { headers: { cookie: initech } })).status, 200);
    const doc = YAML.parse(fs.readFileSync(tenantsFile, "utf8")) as { tenants: { id: string }[] };
    doc.tenants = doc.tenants.filter((t) => t.id !== "initech");
    fs.writeFileSync(tenantsFile, YAML.stringify(doc));
    await dormerOk(["up", "--stack", STACK], env);
    assert.equal(await inspectContainer(`${PREFIX}-tenant-initech`), undefined);
    assert.ok(!(await supervisorNetworks()).includes(`${PREFIX}-tenant-initech-net`));
    const volume = await docker.getVolume(`${PREFIX}-tenant-initech-data`).inspect();
    assert.equal(volume.Name, `${PREFIX}-tenant-initech-data`);
    // Removed or being replaced looks the same at first: the request is held for the tenant's wake timeout
    // in case a new container comes (docs/operating.md), then told none did; after that it is refused.
    const held = await fetch(`${site("initech")}/messages`, { headers: { cookie: initech } });
    assert.equal(held.status, 503);
    assert.equal(((await held.json()) as { error: string }).error, "replacement_timeout");
    assert.equal((await fetch(`${site("initech")}/messages`, { headers: { cookie: initech } })).status, 403);
  });
});
