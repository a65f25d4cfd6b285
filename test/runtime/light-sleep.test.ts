import { strict as assert } from "assert";
import * as crypto from "crypto";
import { countStarts, inspectContainer } from "../support/docker";
import { waitFor, waitStopped } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { declareTenant, removeStack, replaceContainer, TestTenant } from "../support/tenants";
import { RawWebSocket } from "../tenant-app/ws-client";

const TEXT = 0x1;
const LIGHT_SECONDS = 1;
/**
 * Far past the light sleep: the idle clock starts when the waking request arrives, and a deep wake on a loaded
 * machine can take seconds, so a short gap could stop the tenant before the test has looked at it paused.
 */
const IDLE_SECONDS = 15;
/** Only a reaper that never acts reaches this; how fast the ladder moves is the bench's business. */
const DEADLINE_MS = 60_000;
const WAKE_TIMING = /^wake;dur=(\d+(\.\d+)?);desc="(light|deep)"$/;

const isPaused = async (container: string): Promise<boolean> => (await inspectContainer(container))?.State.Paused === true;
const waitPaused = async (container: string): Promise<number> => {
  const started = Date.now();
  await waitFor(`${container} to be paused`, () => isPaused(container), DEADLINE_MS, 50);
  return Date.now() - started;
};

describe("runtime: light sleep, paused between awake and stopped (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let capped: RunningSupervisor;
  const t = new Map<string, TestTenant>();
  const cookies = new Map<string, string>();
  const sockets: RawWebSocket[] = [];

  const get = async (via: RunningSupervisor, id: string, path = "/messages?limit=1", headers: Record<string, string> = {}): Promise<Response> => {
    const res = await fetch(`${siteOf(via.url, id)}${path}`, { headers: { cookie: cookies.get(id)!, ...headers } });
    assert.equal(res.status, 200, `GET ${path} on ${id}: ${res.status} ${await res.clone().text()}`);
    return res;
  };
  const admin = async (via: RunningSupervisor, path: string) => {
    const res = await fetch(`${via.url}${path}`, { headers: { authorization: `Bearer ${via.adminToken}` } });
    return res.headers.get("content-type")?.includes("json") ? res.json() : res.text();
  };

  before(async () => {
    redis = await startRedis();
    for (const id of ["ladder", "socket", "replaced"]) t.set(id, await declareTenant(stack, id, { idleTimeoutSeconds: IDLE_SECONDS, lightSleepSeconds: LIGHT_SECONDS }));
    // Watchdog passes every second: a paused tenant fails every probe (a frozen app never answers), and
    // must still not be restarted. A timeout of a whole second, not 100 ms: on a loaded machine an awake
    // app's /health took longer, the watchdog restarted it as hung, and the ladder then saw a fresh process.
    sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DORMER_WATCHDOG_INTERVAL_MS: "1000", DORMER_WATCHDOG_TIMEOUT_MS: "1000", DORMER_WATCHDOG_FAILURES: "2" } });
    for (const [id, tenant] of t) cookies.set(id, await login(sup.url, id, tenant.key));
  });

  after(async () => {
    for (const ws of sockets) ws.socket.destroy();
    await sup?.stop().catch(() => undefined);
    await capped?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("pauses an idle tenant after its light-sleep time, keeps its memory, and stops it after its idle timeout", async () => {
    const { container } = t.get("ladder")!;
    // The idle clock starts no earlier than the request is sent, whatever the wake then takes.
    const requestedAt = Date.now();
    const deep = await get(sup, "ladder");
    assert.match(deep.headers.get("server-timing") ?? "", /desc="deep"/);
    await waitPaused(container);
    const pausedAfter = Date.now() - requestedAt;
    assert.ok(pausedAfter >= (LIGHT_SECONDS - 0.5) * 1000, `paused ${pausedAfter} ms after the request, before its light-sleep time`);
    const state = (await inspectContainer(container))!.State;
    assert.equal(state.Running, true, "paused, not stopped");

    const listed = (await admin(sup, "/admin/tenants/ladder")) as { state: string; limits: { lightSleepSeconds: number } };
    assert.equal(listed.state, "paused");
    assert.equal(listed.limits.lightSleepSeconds, LIGHT_SECONDS);
    const stats = (await admin(sup, "/admin/tenants/ladder/stats")) as { state: string; memoryBytes: number };
    assert.equal(stats.state, "paused");
    assert.ok(stats.memoryBytes > 10 * 1024 * 1024, `a paused tenant keeps its memory: ${stats.memoryBytes} bytes`);
    const status = (await (await fetch(`${siteOf(sup.url, "ladder")}/_dormer/status`, { headers: { cookie: cookies.get("ladder")! } })).json()) as { tenantState: string };
    assert.equal(status.tenantState, "paused");
    await waitFor("the reaper to count the paused tenant", async () => /^dormer_tenants_paused [1-9]/m.test((await admin(sup, "/metrics")) as string), 10_000);

    await waitStopped(container, DEADLINE_MS);
    const stoppedAfter = Date.now() - requestedAt;
    assert.ok(stoppedAfter >= (IDLE_SECONDS - 1) * 1000, `stopped ${stoppedAfter} ms after the last request, before its idle timeout`);
    assert.equal((await inspectContainer(container))!.State.ExitCode, 0, "thawed and stopped cleanly, not killed frozen");
    assert.doesNotMatch(sup.logs(), /watchdog restarting a hung tenant.*"tenant":"ladder"/);
    assert.match(sup.logs(), /putting idle tenant to light sleep.*"tenant":"ladder"/);
  });

  it("a request to a paused tenant thaws it, without a restart, and says so in Server-Timing", async () => {
    const { container } = t.get("ladder")!;
    await get(sup, "ladder");
    await waitPaused(container);
    const startedAt = (await inspectContainer(container))!.State.StartedAt;
    const starts = await countStarts(container);
    // A browser's page is held for a light wake too, not sent the waiting page.
    const res = await get(sup, "ladder", "/messages?limit=1", { accept: "text/html" });
    starts.stop();
    const timing = WAKE_TIMING.exec(res.headers.get("server-timing") ?? "");
    assert.ok(timing, `Server-Timing: ${res.headers.get("server-timing")}`);
    assert.equal(timing[3], "light");
    const state = (await inspectContainer(container))!.State;
    assert.equal(state.Paused, false);
    assert.equal(state.StartedAt, startedAt, "the same process, thawed, not started again");
    assert.equal(starts.count(), 0);
    // An awake tenant's answer waited for nothing.
    assert.equal((await get(sup, "ladder")).headers.get("server-timing"), null);
    const metrics = (await admin(sup, "/metrics")) as string;
    assert.match(metrics, /^dormer_wake_duration_seconds_count\{kind="light"\} [1-9]/m);
    assert.match(metrics, /^dormer_wake_duration_seconds_count\{kind="deep"\} [1-9]/m);
  });

  it("a WebSocket to a paused tenant thaws it before switching protocols; the 101 carries Server-Timing", async () => {
    const { container } = t.get("socket")!;
    await get(sup, "socket");
    await waitPaused(container);
    const ws = await RawWebSocket.connect(sup.port, { cookie: cookies.get("socket")! }, `socket.localhost:${sup.port}`);
    sockets.push(ws);
    assert.match(ws.handshake, /^HTTP\/1\.1 101/);
    const timing = /\r\nServer-Timing: (.*)/i.exec(ws.handshake)?.[1] ?? "";
    assert.equal(WAKE_TIMING.exec(timing)?.[3], "light", ws.handshake);
    assert.equal(await isPaused(container), false);
    ws.send(TEXT, "thawed");
    assert.equal((await ws.next()).payload.toString(), "thawed");
    // The open socket is activity: no light sleep under it.
    await new Promise((r) => setTimeout(r, (LIGHT_SECONDS + 2) * 1000));
    assert.equal(await isPaused(container), false, "paused with a WebSocket open");
    ws.send(TEXT, "still here");
    assert.equal((await ws.next()).payload.toString(), "still here");
  });

  it("the admin API pauses a running tenant by hand, and refuses to pause a stopped one", async () => {
    const { container } = t.get("replaced")!;
    const post = (path: string) => fetch(`${sup.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${sup.adminToken}` } });
    const refused = await post("/admin/tenants/replaced/pause");
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { message: string }).message, /replaced is asleep \(stopped\)/);
    await get(sup, "replaced");
    const paused = await post("/admin/tenants/replaced/pause");
    assert.equal(paused.status, 200);
    assert.equal(await isPaused(container), true);
    assert.match((await get(sup, "replaced")).headers.get("server-timing") ?? "", /desc="light"/);
  });

  it("a tenant replaced while paused comes back on the new container", async () => {
    const { container } = t.get("replaced")!;
    await get(sup, "replaced");
    await waitPaused(container);
    const before = (await inspectContainer(container))!.Id;
    const after = await replaceContainer(container);
    assert.notEqual(after, before);
    const res = await get(sup, "replaced");
    assert.match(res.headers.get("server-timing") ?? "", /desc="deep"/);
    const now = (await inspectContainer(container))!;
    assert.equal(now.Id, after);
    assert.equal(now.State.Running, true);
  });

  it("stops the least recently used paused tenant once paused tenants hold more than the stack's cap", async () => {
    // Three tenants of 128 MiB under a 300 MiB cap: two may stay paused.
    const ids = ["lru1", "lru2", "lru3"];
    for (const id of ids) t.set(id, await declareTenant(stack, id, { idleTimeoutSeconds: 600, lightSleepSeconds: LIGHT_SECONDS, memoryMb: 128 }));
    capped = await startSupervisor({ stack, redisUrl: redis.url, sessionKey: sup.sessionKey, extra: { DORMER_PAUSED_MEMORY_MB: "300" } });
    for (const id of ids) {
      cookies.set(id, await login(capped.url, id, t.get(id)!.key));
      await get(capped, id);
      // Distinct last-activity times, a light-sleep time apart, so the order of use is unambiguous.
      await waitPaused(t.get(id)!.container);
    }
    await waitStopped(t.get("lru1")!.container, DEADLINE_MS);
    assert.equal(await isPaused(t.get("lru2")!.container), true);
    assert.equal(await isPaused(t.get("lru3")!.container), true);
    assert.match(capped.logs(), /paused tenants hold more than the stack's cap.*"tenant":"lru1"/);
    assert.doesNotMatch(capped.logs(), /paused tenants hold more than the stack's cap.*"tenant":"lru[23]"/);
    assert.match((await admin(capped, "/metrics")) as string, /^dormer_sleeps_total\{tenant="lru1",reason="paused_memory_cap"\} 1/m);
    // The one sent deep answers again, from a deep wake.
    assert.match((await get(capped, "lru1")).headers.get("server-timing") ?? "", /desc="deep"/);
  });
});
