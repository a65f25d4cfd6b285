import { strict as assert } from "assert";
import * as crypto from "crypto";
import { docker, inspectContainer } from "../support/docker";
import { execIn as execInEngine } from "../support/exec";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, siteOf, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const MIB = 1024 * 1024;
const execIn = (container: string, cmd: string[]) => execInEngine(docker, container, cmd);

describe("runtime: resource fences (PID limit, memory without swap; real Docker, the real tenant app)", function () {
  this.timeout(180_000);
  const stack = `fe${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let forker: TestTenant;
  let hog: TestTenant;
  let neighbour: TestTenant;

  const wake = async (t: TestTenant): Promise<string> => {
    const cookie = await login(sup.url, t.id, t.key);
    const res = await fetch(`${siteOf(sup.url, t.id)}/messages?limit=1`, { headers: { cookie } });
    assert.equal(res.status, 200, `${t.id} answers`);
    return cookie;
  };

  before(async () => {
    redis = await startRedis();
    forker = await declareTenant(stack, "forker", { pidsLimit: 48 });
    hog = await declareTenant(stack, "hog", { memoryMb: 128 });
    neighbour = await declareTenant(stack, "neighbour", { pidsLimit: 48 });
    sup = await startSupervisor({ stack, redisUrl: redis.url });
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("applies the declared PID limit before the first start", async () => {
    assert.equal((await inspectContainer(forker.container))?.HostConfig.PidsLimit ?? 0, 0, "not yet applied while asleep");
    await wake(forker);
    assert.equal((await inspectContainer(forker.container))?.HostConfig.PidsLimit, 48);
  });

  it("stops a fork loop at the tenant's PID limit while another tenant is served", async () => {
    const neighbourCookie = await wake(neighbour);
    // Each child sleeps a bounded time, so the tenant recovers on its own once the test is over.
    const loop = 'n=0; while [ $n -lt 1000 ]; do sleep 20 & n=$((n+1)); echo "forked $n"; done';
    const { output } = await execIn(forker.container, ["sh", "-c", loop]);
    const forked = Math.max(0, ...[...output.matchAll(/forked (\d+)/g)].map((m) => Number(m[1])));
    assert.match(output, /fork/i, "the shell reports that it cannot fork");
    assert.ok(forked < 48, `stopped below the limit of 48 (forked ${forked})`);
    // The app's own threads count too; what proves the limit stopped the loop is the tenant sitting at it.
    const { pids_stats: pids } = (await docker.getContainer(forker.container).stats({ stream: false })) as { pids_stats: { current: number; limit: number } };
    assert.equal(pids.limit, 48);
    assert.ok(pids.current >= 44 && pids.current <= 48, `the tenant is at its limit (${pids.current} of 48 tasks)`);
    console.log(`      fork loop: ${forked} processes forked before fork failed; ${pids.current} of 48 tasks in use`);
    const res = await fetch(`${siteOf(sup.url, neighbour.id)}/messages?limit=1`, { headers: { cookie: neighbourCookie } });
    assert.equal(res.status, 200, "the neighbour is still served");
  });

  it("kills a memory-heavy tenant's process at its memory limit, with no swap beyond it", async () => {
    await wake(hog);
    const info = await inspectContainer(hog.container);
    assert.equal(info?.HostConfig.Memory, 128 * MIB);
    assert.equal(info?.HostConfig.MemorySwap, 128 * MIB, "memory + swap = memory: no swap");
    const grow = "const a=[];for(let i=1;;i++){a.push(Buffer.alloc(8<<20,1));console.log('held',i*8);}";
    const { output, exitCode } = await execIn(hog.container, ["node", "-e", grow]);
    const held = Math.max(0, ...[...output.matchAll(/held (\d+)/g)].map((m) => Number(m[1])));
    assert.equal(exitCode, 137, "killed by the kernel (SIGKILL), not an exception");
    assert.ok(held < 128, `killed before holding 128 MiB (held ${held} MiB)`);
    console.log(`      memory: killed after holding ${held} MiB (memoryMb 128, memorySwap 128)`);
  });
});
