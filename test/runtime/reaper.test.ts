import { strict as assert } from "assert";
import * as crypto from "crypto";
import { inspectContainer } from "../support/docker";
import { isRunning, sleep, waitStopped } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const IDLE_SECONDS = 2;
/** From the last request to a stopped container: idle timeout, a reaper pass (500 ms) and the stop itself. */
const SLEEP_BOUND_MS = 10_000;

describe("runtime: the reaper puts idle tenants to sleep (real Redis, real Docker, the real tenant app)", function () {
  this.timeout(120_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  const supervisors: RunningSupervisor[] = [];
  const tenants = new Map<string, TestTenant>();

  const supervisor = async (): Promise<RunningSupervisor> => {
    const sup = await startSupervisor({ stack, redisUrl: redis.url, sessionKey: supervisors[0]?.sessionKey });
    supervisors.push(sup);
    return sup;
  };
  const get = async (sup: RunningSupervisor, cookie: string, path: string): Promise<Response> => {
    const res = await fetch(`${sup.url}${path}`, { headers: { cookie } });
    assert.equal(res.status, 200, `GET ${path}: ${res.status} ${await res.clone().text()}`);
    return res;
  };

  before(async () => {
    redis = await startRedis();
    for (const id of ["idle", "keeps", "busy"]) tenants.set(id, await declareTenant(stack, id, { idleTimeoutSeconds: IDLE_SECONDS }));
    tenants.set("restart", await declareTenant(stack, "restart", { idleTimeoutSeconds: 5 }));
    await supervisor();
  });

  after(async () => {
    for (const s of supervisors) await s.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("stops a tenant woken by a request within 10 s of its last request", async () => {
    const [sup] = supervisors;
    const t = tenants.get("idle")!;
    const cookie = await login(sup.url, t.id, t.key);
    await get(sup, cookie, "/messages");
    assert.equal(await isRunning(t.container), true);
    const took = await waitStopped(t.container, SLEEP_BOUND_MS);
    assert.ok(took >= (IDLE_SECONDS - 1) * 1000, `stopped after ${took} ms, before its idle timeout`);
    assert.match(sup.logs(), /putting idle tenant to sleep.*"tenant":"idle"/);
    assert.equal((await inspectContainer(t.container))?.State.ExitCode, 0, "stopped cleanly, not killed");
  });

  it("keeps the tenant's data across a sleep: a message posted before is there after the next wake", async () => {
    const [sup] = supervisors;
    const t = tenants.get("keeps")!;
    const cookie = await login(sup.url, t.id, t.key);
    const text = `before sleep ${crypto.randomBytes(4).toString("hex")}`;
    const posted = await fetch(`${sup.url}/messages`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ text }) });
    assert.equal(posted.status, 201);
    await waitStopped(t.container, SLEEP_BOUND_MS);

    const after = (await (await get(sup, cookie, "/messages?limit=10")).json()) as { messages: Array<{ text: string }> };
    assert.equal(await isRunning(t.container), true, "the request woke it again");
    assert.ok(after.messages.some((m) => m.text === text), `message kept: ${JSON.stringify(after.messages)}`);
  });

  it("leaves a tenant with a request every 500 ms running well past its idle timeout", async () => {
    const [sup] = supervisors;
    const t = tenants.get("busy")!;
    const cookie = await login(sup.url, t.id, t.key);
    await get(sup, cookie, "/messages");
    const startedAt = (await inspectContainer(t.container))?.State.StartedAt;
    // Time is the subject: three idle timeouts of steady traffic.
    for (const until = Date.now() + 3 * IDLE_SECONDS * 1000; Date.now() < until; ) {
      await sleep(500);
      await get(sup, cookie, "/messages?limit=1");
      const state = (await inspectContainer(t.container))?.State;
      assert.equal(state?.Running, true, "stopped while busy");
      assert.equal(state?.StartedAt, startedAt, "restarted while busy");
    }
  });

  it("a restarted supervisor puts a tenant to sleep on the activity recorded before the restart", async () => {
    const first = supervisors[0];
    const t = tenants.get("restart")!;
    const cookie = await login(first.url, t.id, t.key);
    await get(first, cookie, "/messages");
    const lastRequest = Date.now();
    await first.stop();
    supervisors.shift();
    // Time is the subject: with no supervisor running, the tenant goes past its 5 s idle timeout.
    await sleep(Math.max(0, lastRequest + 5_500 - Date.now()));
    assert.equal(await isRunning(t.container), true, "nobody was there to stop it");

    const second = await supervisor();
    // A supervisor that restarted the idle clock would wait another 5 s; the recorded activity says it is overdue.
    const took = await waitStopped(t.container, 3_000);
    assert.match(second.logs(), /putting idle tenant to sleep.*"tenant":"restart"/);
    assert.ok(took < 3_000, `stopped ${took} ms after the new supervisor answered`);
  });
});
