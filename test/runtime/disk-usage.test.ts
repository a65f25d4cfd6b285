import { strict as assert } from "assert";
import * as crypto from "crypto";
import { demux } from "../../runtime/engine/docker-logs";
import { ensureDiskDriver } from "../support/disk-driver";
import { docker } from "../support/docker";
import { waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { RunningSupervisor, startSupervisor } from "../support/supervisor";
import { declareTenant, removeStack, TestTenant } from "../support/tenants";

const MIB = 1024 * 1024;

async function execIn(container: string, script: string): Promise<string> {
  const e = await docker.getContainer(container).exec({ Cmd: ["sh", "-c", script], AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  await new Promise((resolve, reject) => stream.on("end", resolve).on("error", reject));
  return demux(Buffer.concat(chunks));
}

describe("runtime: each tenant's disk use is a metric and in the admin API, with warnings at 80 and 95 % (real supervisor, disk driver)", function () {
  this.timeout(180_000);
  const stack = `du${crypto.randomBytes(3).toString("hex")}`;
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let filler: TestTenant;
  const admin = async (path: string, method = "GET") => {
    const res = await fetch(`${sup.url}${path}`, { method, headers: { authorization: `Bearer ${sup.adminToken}` } });
    assert.equal(res.status, 200, `${method} ${path}`);
    return res;
  };
  const warnings = () =>
    sup.logs().split("\n").filter((l) => l.includes('"tenant disk nearly full"')).map((l) => JSON.parse(l) as Record<string, unknown>);

  before(async () => {
    ensureDiskDriver();
    redis = await startRedis();
    filler = await declareTenant(stack, "filler", { diskMb: 16 });
    await declareTenant(stack, "plain");
    sup = await startSupervisor({ stack, redisUrl: redis.url, extra: { DORMER_DISK_CHECK_SECONDS: "1" } });
    await admin(`/admin/tenants/${filler.id}/wake`, "POST");
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
  });

  it("shows the disk's use and size in the admin API and /metrics; a tenant without a disk fence has none", async () => {
    await execIn(filler.container, "dd if=/dev/zero of=/data/files/a bs=64k count=48 2>&1"); // 3 MiB
    const disk = await waitFor("the admin API to show 3 MiB used", async () => {
      const body = (await (await admin(`/admin/tenants/${filler.id}`)).json()) as { disk: { usedBytes: number; capacityBytes: number; quotaMb: number } | null; limits: { diskMb: number } };
      return body.disk && body.disk.usedBytes >= 3 * MIB ? body : undefined;
    }, 15_000, 200);
    assert.equal(disk.limits.diskMb, 16);
    assert.equal(disk.disk!.quotaMb, 16);
    assert.ok(disk.disk!.capacityBytes > 13 * MIB && disk.disk!.capacityBytes <= 16 * MIB);
    const plain = (await (await admin("/admin/tenants/plain")).json()) as { disk: unknown; limits: { diskMb: unknown } };
    assert.equal(plain.disk, null);
    assert.equal(plain.limits.diskMb, null);
    const metrics = await (await admin("/metrics")).text();
    const used = Number(/^dormer_tenant_disk_used_bytes\{tenant="filler"\} (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(used >= 3 * MIB, metrics.split("\n").filter((l) => l.includes("disk")).join("\n"));
    assert.match(metrics, /^dormer_tenant_disk_capacity_bytes\{tenant="filler"\} \d+$/m);
    assert.doesNotMatch(metrics, /dormer_tenant_disk_used_bytes\{tenant="plain"\}/);
    assert.deepEqual(warnings(), [], "no warning below 80 %");
  });

  it("warns once at 80 % and once at 95 %, to the log (who, action, tenant) and the tenant's events", async () => {
    await execIn(filler.container, "dd if=/dev/zero of=/data/files/b bs=64k count=144 2>&1"); // +9 MiB: ~86 %
    const first = await waitFor("the 80 % warning", async () => warnings()[0], 15_000, 200);
    assert.equal(first.threshold, 80);
    assert.equal(first.who, "disk-watch");
    assert.equal(first.action, "disk_warning");
    assert.equal(first.tenant, "filler");
    // Past the end of the disk: ENOSPC inside, 100 % outside.
    const full = await execIn(filler.container, "dd if=/dev/zero of=/data/files/c bs=64k count=64 2>&1");
    assert.match(full, /No space left on device/);
    const second = await waitFor("the 95 % warning", async () => warnings()[1], 15_000, 200);
    assert.equal(second.threshold, 95);
    // Several more readings pass: each threshold is warned of once.
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(warnings().length, 2);
    const events = (await (await admin(`/admin/tenants/${filler.id}/events`)).json()) as { events: Array<{ type: string; threshold?: number }> };
    assert.deepEqual(events.events.filter((e) => e.type === "disk_warning").map((e) => e.threshold), [95, 80]);
  });
});
