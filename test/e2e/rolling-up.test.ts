import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { changeUnderTraffic, ChangeReport, describeChange } from "../support/change-under-traffic";
import { docker, inspectContainer } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { ChangeContext, editFor, PlatformChange } from "../support/platform-changes";
import { StackFile } from "../support/stack-file";
import { login, siteOf } from "../support/supervisor";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
const TENANTS = `version: 1
plans:
  # Requests held while acme's container is replaced count against its connections and its held requests:
  # 50 a second for a wake of a few seconds. Caps above that, as docs/operating.md tells a busy tenant to set.
  small: { cpus: 0.5, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: unlimited, maxConnections: 300, maxHeldRequests: 300 }
tenants:
  - id: acme
    plan: small
  - id: globex
    plan: small
`;

interface Ids {
  gateway: string;
  supervisors: string[];
  acme: string;
  globex: string;
  acmeNetwork: string;
}

async function ids(): Promise<Ids> {
  const id = async (name: string) => (await inspectContainer(name))?.Id ?? "";
  return {
    gateway: await id(`${PREFIX}-gateway`),
    supervisors: [await id(`${PREFIX}-supervisor-1`), await id(`${PREFIX}-supervisor-2`)],
    acme: await id(`${PREFIX}-tenant-acme`),
    globex: await id(`${PREFIX}-tenant-globex`),
    acmeNetwork: (await docker.getNetwork(`${PREFIX}-tenant-acme-net`).inspect()).Id,
  };
}

/**
 * The platform changed the way it is run day to day: `dormer up` on a live stack, each kind of change in
 * turn, while a client polls an awake tenant every 20 ms and holds a WebSocket to it (docs/operating.md,
 * "Changes on a live stack").
 */
describe("e2e: dormer up on a live stack drops no request: gateway, supervisor, then an awake tenant's memory, cpus and egress", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-rolling-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  // The test changes the committed stack file as an operator would; it is put back as it was.
  const stackFile = new StackFile(STACK);
  let cookie = "";
  const reports: Record<string, ChangeReport> = {};

  const ctx: ChangeContext = { stackFile, tenantsFile, tenant: "acme", rateLimitPerMinute: 6600, maxIdleTimeoutSeconds: 30, memoryMb: 384, cpus: 0.75 };
  const up = () => dormerOk(["up", "--stack", STACK], env);
  /** Edits what `name` changes, then runs `dormer up` under traffic. */
  const change = async (name: PlatformChange): Promise<ChangeReport> => {
    editFor(name, ctx);
    const report = await changeUnderTraffic({ gateway: GATEWAY, tenant: "acme", cookie }, up);
    console.log(`      ${name}: ${describeChange(report)}`);
    reports[name] = report;
    return report;
  };
  const noFailures = (r: ChangeReport) => {
    assert.ok(r.http.ok > 20, `traffic flowed (${r.http.ok} answered)`);
    assert.deepEqual(r.http.failures, [], "no HTTP request failed");
    assert.deepEqual(r.ws.reconnectFailures, [], "every reconnect was accepted");
  };
  const closedForRestartAndBack = (r: ChangeReport) => {
    assert.ok(r.ws.closes.length >= 1, "the WebSocket was closed");
    assert.ok(r.ws.closes.every((code) => code === 1012), `closed with 1012 (service restart), not ${r.ws.closes.join(", ")}`);
    assert.ok(r.ws.echoes > 0, "and echoed again after the reconnect");
  };

  before(async () => {
    fs.writeFileSync(tenantsFile, TENANTS);
    // A GET every 20 ms from one address is past the ci stack's rate limit; a client this busy gets a higher one.
    stackFile.set({ "dormer:rateLimitPerMinute": 6000, "dormer:rateLimitBurst": 1000 });
    await up();
    const keys = (JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> }).tenantKeys;
    cookie = await login(GATEWAY, "acme", keys.acme);
    const woken = await fetch(`${siteOf(GATEWAY, "acme")}/messages?limit=1`, { headers: { cookie } });
    assert.equal(woken.status, 200, "acme is awake");
  });

  after(async () => {
    stackFile.restore();
    await dormer(["down", "--stack", STACK], env);
    for (const id of ["acme", "globex"]) {
      for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-tenant-${id}-${kind}`).remove().catch(() => undefined);
    }
    await docker.getVolume(`${PREFIX}-redis-data`).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    for (const [name, r] of Object.entries(reports)) console.log(`      | ${name} | ${r.http.failures.length} | ${r.http.longestGapMs} ms | ${r.ws.closes.join(", ") || "open"} |`);
  });

  it("a gateway setting (the rate limit): nginx reloads in the same container, the WebSocket stays open", async () => {
    const before = await ids();
    const r = await change("gateway rate limit");
    noFailures(r);
    assert.deepEqual(r.ws.closes, [], "the WebSocket stayed open");
    assert.equal(r.ws.lostEchoes, 0);
    assert.deepEqual(await ids(), before, "no container was replaced");
  });

  it("a supervisor setting (the idle cap): both replicas replaced one at a time, no tenant touched", async () => {
    const before = await ids();
    const r = await change("supervisor idle cap");
    noFailures(r);
    closedForRestartAndBack(r);
    const after = await ids();
    assert.ok(after.supervisors.every((id, i) => id !== before.supervisors[i]), "both replicas are new");
    assert.deepEqual({ ...after, supervisors: [] }, { ...before, supervisors: [] }, "gateway and tenants untouched");
    assert.equal((await inspectContainer(`${PREFIX}-tenant-acme`))?.State.Running, true, "acme stayed awake");
  });

  it("an awake tenant's memory: updated in its running container, which keeps serving", async () => {
    const before = await ids();
    const r = await change("tenant memory");
    noFailures(r);
    assert.deepEqual(r.ws.closes, [], "the WebSocket stayed open");
    assert.deepEqual(await ids(), before, "no container was replaced");
    assert.equal((await inspectContainer(`${PREFIX}-tenant-acme`))?.HostConfig.Memory, 384 * 1024 * 1024);
  });

  it("an awake tenant's cpus: its container replaced; requests held and served by the new one, as a wake", async () => {
    const before = await ids();
    const r = await change("tenant cpus");
    noFailures(r);
    closedForRestartAndBack(r);
    const after = await ids();
    assert.notEqual(after.acme, before.acme, "acme's container is new");
    assert.deepEqual({ ...after, acme: "" }, { ...before, acme: "" }, "nothing else was replaced");
    const acme = await inspectContainer(`${PREFIX}-tenant-acme`);
    assert.equal(acme?.HostConfig.NanoCpus, 0.75e9);
    assert.equal(acme?.State.Running, true, "woken by the held requests");
  });

  it("an awake tenant's egress: its network and container replaced on the first try, the supervisor's attachment no obstacle", async () => {
    const before = await ids();
    const r = await change("tenant egress");
    noFailures(r);
    closedForRestartAndBack(r);
    const after = await ids();
    assert.notEqual(after.acmeNetwork, before.acmeNetwork, "acme's network is new");
    assert.notEqual(after.acme, before.acme, "acme's container is new");
    assert.deepEqual({ ...after, acme: "", acmeNetwork: "" }, { ...before, acme: "", acmeNetwork: "" }, "nothing else was replaced");
    assert.equal((await docker.getNetwork(`${PREFIX}-tenant-acme-net`).inspect()).Internal, false, "the new network has egress");
  });
});
