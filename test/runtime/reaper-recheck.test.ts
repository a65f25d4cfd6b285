import { strict as assert } from "assert";
import * as crypto from "crypto";
import { Redis } from "ioredis";
import { EngineDirectory } from "../../runtime/engine/directory";
import { UpStates } from "../../runtime/engine/up-states";
import { DockerEngine } from "../../runtime/engine/docker";
import { Metrics } from "../../runtime/observe/metrics";
import { TenantEvents } from "../../runtime/observe/tenant-events";
import { UsageLedger } from "../../runtime/observe/usage";
import { Activity } from "../../runtime/wake/activity";
import { Reaper } from "../../runtime/wake/reaper";
import { RedisWakeLock, WakeLock } from "../../runtime/wake/wake-lock";
import { Waker } from "../../runtime/wake/waker";
import { docker } from "../support/docker";
import { isRunning, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

/**
 * The reaper decides on what it read at the start of its pass; a request can arrive before it holds the
 * wake lock. Here that request arrives exactly then, every time: the lock's acquire lets "another
 * supervisor" act first. Real Redis, real Docker, the reaper in this process.
 */
describe("runtime: the reaper looks again after taking the wake lock (real Redis, real Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const prefix = `dormer:${stack}:`;
  let server: RedisServer;
  let redis: Redis;
  let tenant: TestTenant;
  let activity: Activity;
  let elsewhere: Activity;
  let reaper: Reaper;
  /** Runs while the reaper holds the lock, before it looks again. */
  let onLocked: () => Promise<void>;
  let lockedFailure: Error | undefined;

  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    tenant = await declareTenant(stack, "late", { idleTimeoutSeconds: 2 });
    const engine = new DockerEngine(stack, "/var/run/docker.sock");
    const directory = new EngineDirectory(() => engine.discover());
    await waitFor("redis", async () => redis.status === "ready", 10_000, 20);
    await directory.refresh();
    const metrics = new Metrics();
    const real = new RedisWakeLock(redis, prefix);
    const lock: WakeLock = {
      acquire: async (id, ttlMs) => {
        const got = await real.acquire(id, ttlMs);
        // The reaper would swallow a failure here as a failed pass: keep it for the test to see.
        if (got) await onLocked().catch((err: Error) => (lockedFailure = err));
        return got;
      },
      release: (id) => real.release(id),
    };
    activity = new Activity(redis, `${prefix}activity`);
    elsewhere = new Activity(redis, `${prefix}activity`);
    const events = new TenantEvents(redis, prefix, new UsageLedger(redis, prefix, 1, metrics));
    reaper = new Reaper(engine, new UpStates(() => engine.running()), directory, activity, lock, new Waker(engine, lock, metrics, events), metrics, events);
  });

  after(async () => {
    activity?.close();
    elsewhere?.close();
    redis?.disconnect();
    await removeStack(stack);
    await server?.stop();
  });

  beforeEach(async () => {
    if (!(await isRunning(tenant.container))) await docker.getContainer(tenant.container).start();
    // Idle for a minute as far as the store knows, so the pass decides to stop it.
    await redis.zadd(`${prefix}activity`, Date.now() - 60_000, tenant.id);
    await redis.del(`${prefix}activity:busy`);
    lockedFailure = undefined;
  });
  afterEach(() => assert.equal(lockedFailure, undefined));

  it("leaves the tenant running when a request arrived elsewhere between the pass's read and the lock", async () => {
    onLocked = async () => {
      elsewhere.requestStarted(tenant.id);
      await waitFor("the other supervisor's busy mark", async () => (await activity.of(tenant.id)).busyUntil !== undefined, 10_000, 20);
    };
    await reaper.sweep();
    assert.equal(await isRunning(tenant.container), true, "stopped under a request");
    elsewhere.requestEnded(tenant.id);
  });

  it("leaves the tenant running when a request came and went between the pass's read and the lock", async () => {
    const before = (await activity.of(tenant.id)).last!;
    onLocked = async () => {
      // What another supervisor's touch() writes once its request is done.
      await redis.zadd(`${prefix}activity`, Date.now(), tenant.id);
      await waitFor("the other supervisor's activity", async () => (await activity.of(tenant.id)).last! > before, 10_000, 20);
    };
    await reaper.sweep();
    assert.equal(await isRunning(tenant.container), true, "stopped right after a request");
  });

  it("stops it when nothing happened meanwhile (the same pass, so the cases above can fail)", async () => {
    onLocked = async () => undefined;
    await reaper.sweep();
    assert.equal(await isRunning(tenant.container), false);
    assert.equal(await redis.exists(`${prefix}lock:${tenant.id}`), 0, "the lock was released");
  });
});
