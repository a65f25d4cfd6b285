import { strict as assert } from "assert";
import * as crypto from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { bytesWritten, diskStatus, driverLog, ensureDiskDriver, runOnDisk, TestDisk, testDisk } from "../support/disk-driver";
import { diskName, diskVolumeName } from "../../components/disk-quota";
import { docker } from "../support/docker";
import { dormer } from "../support/dormer-cli";
import { RedisServer, startRedis } from "../support/redis-server";

const MIB = 1024 * 1024;
// Every write is bounded: twice the quota at most, so a fence that failed to mount cannot fill the host.
const fill = (dir: string, mb: number) => `dd if=/dev/zero of=${dir}/fill bs=64k count=${mb * 16} 2>&1; echo "dd-exit=$?"`;

describe("disk quota: the disk driver (runtime/volumes) fences each tenant's volumes (real Docker, loop-mounted ext4)", function () {
  this.timeout(120_000);
  let full: TestDisk;
  let neighbour: TestDisk;
  let redis: RedisServer;

  before(async () => {
    ensureDiskDriver();
    full = await testDisk("dq-full");
    neighbour = await testDisk("dq-neighbour");
    redis = await startRedis({ appendOnly: true });
  });

  after(async () => {
    await docker.getContainer(`${full?.disk}-holder`).remove({ force: true }).catch(() => undefined);
    await full?.remove();
    await neighbour?.remove();
    await redis?.stop();
  });

  it("a tenant writing past its 8 MiB quota gets ENOSPC, on both its volumes (one quota per tenant)", async () => {
    const run = await runOnDisk(full, 8, `${fill("/files", 16)}; dd if=/dev/zero of=/state/more bs=64k count=4 2>&1; echo "dd2-exit=$?"`);
    assert.match(run.output, /No space left on device/);
    assert.match(run.output, /dd-exit=1/);
    assert.match(run.output, /dd2-exit=1/, "the data volume shares the disk, so it is full too");
    const written = bytesWritten(run.output);
    console.log(`      bytes written before ENOSPC into an 8 MiB quota: ${written} (${(written / MIB).toFixed(2)} MiB)`);
    assert.ok(written > 5 * MIB && written <= 8 * MIB, `wrote ${written} bytes`);
    const status = await diskStatus(full.files);
    assert.equal(status.quotaMb, 8);
    assert.ok(status.usedBytes >= written, "docker volume inspect shows the use");
  });

  it("while it is full and still holds its disk, another tenant and Redis keep writing", async () => {
    // The full tenant stays up, its disk mounted and full, while the others write.
    await runOnDisk(full, 8, "sleep 60", { name: `${full.disk}-holder`, restart: true });
    const other = await runOnDisk(neighbour, 8, `${fill("/files", 2)}; sha256sum /files/fill`);
    assert.match(other.output, /dd-exit=0/, other.output);
    assert.equal(bytesWritten(other.output), 2 * MIB);
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const aof = path.join(redis.dir, "appendonlydir");
      for (let i = 0; i < 200; i++) await client.set(`k${i}`, "x".repeat(1024));
      assert.equal(await client.dbsize(), 200);
      const aofBytes = readdirSync(aof).reduce((sum, f) => sum + statSync(path.join(aof, f)).size, 0);
      assert.ok(aofBytes > 200 * 1024, `Redis's append-only file on the host disk grew (${aofBytes} bytes)`);
    } finally {
      client.disconnect();
    }
    assert.equal((await diskStatus(full.files)).mounted, true, "the full tenant still holds its disk");
  });

  it("a larger diskMb grows the disk at the next mount, keeping every file", async () => {
    await docker.getContainer(`${full.disk}-holder`).remove({ force: true });
    const before = await runOnDisk(full, 8, "sha256sum /files/fill");
    const grown = await runOnDisk(full, 16, `sha256sum /files/fill; ${fill("/state", 2)}`);
    assert.equal(grown.output.split("\n")[0], before.output.split("\n")[0], "the file reads back the same");
    assert.match(grown.output, /dd-exit=0/, "room again after the grow");
    const status = await diskStatus(full.files);
    assert.equal(status.quotaMb, 16);
    assert.ok(status.capacityBytes > 13 * MIB, `capacity ${status.capacityBytes}`);
    const resized = driverLog().filter((l) => l.msg === "disk resized" && l.disk === full.disk).pop();
    assert.ok(resized, "the driver logged the resize");
    console.log(`      grow 8 -> 16 MiB (offline: e2fsck + resize2fs): ${resized.ms} ms; mount with the grow: ${grown.ms} ms (container create to exit)`);
  });

  it("a diskMb below what the tenant uses does not shrink the disk: it keeps its size and its files", async () => {
    const used = (await diskStatus(full.files)).usedBytes;
    assert.ok(used > 4 * MIB);
    const run = await runOnDisk(full, 4, "sha256sum /files/fill >/dev/null && echo intact");
    assert.match(run.output, /intact/);
    assert.equal((await diskStatus(full.files)).quotaMb, 16);
    assert.ok(driverLog().some((l) => l.msg === "disk not resized" && l.disk === full.disk), "the refusal is logged");
  });

  it("a volume without a disk option, or with an unknown one, is refused with the option named", async () => {
    await assert.rejects(docker.createVolume({ Name: `${full.disk}-bad`, Driver: "dormer-disk", DriverOpts: {} }), /option disk must be/);
    await assert.rejects(
      docker.createVolume({ Name: `${full.disk}-bad`, Driver: "dormer-disk", DriverOpts: { disk: full.disk, size: "8" } }),
      /unknown option size/,
    );
  });

  it("removing a disk's last volume removes the disk", async () => {
    const d = await testDisk("dq-removed");
    await runOnDisk(d, 4, "true");
    assert.equal((await diskStatus(d.files)).quotaMb, 4);
    await d.remove();
    await assert.rejects(docker.getVolume(d.files).inspect(), /no such volume/);
    assert.ok(driverLog().some((l) => l.msg === "disk volume removed" && l.disk === d.disk && l.diskRemoved === true));
  });
});

describe("disk quota: dormer validate refuses a diskMb below what a tenant's disk holds (real disk, real CLI)", function () {
  this.timeout(120_000);
  const id = `dq${crypto.randomBytes(3).toString("hex")}`;
  let d: TestDisk;
  let dir: string;
  const tenantsFile = (limits: string) => {
    const file = path.join(dir, "tenants.yaml");
    writeFileSync(file, `version: 1
plans:
  small: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 100, maxConnections: 10, diskMb: 32 }
tenants:
  - { id: ${id}, plan: small${limits} }
`);
    return file;
  };

  before(async () => {
    ensureDiskDriver();
    dir = mkdtempSync(path.join(tmpdir(), "dormer-disk-validate-"));
    // The disk the ci stack would give this tenant, 32 MiB with 20 MiB written.
    d = await testDisk("", { disk: diskName("dormer-ci", id), names: (kind) => diskVolumeName("dormer-ci", id, kind) });
    const run = await runOnDisk(d, 32, fill("/files", 20));
    assert.match(run.output, /dd-exit=0/, run.output);
  });

  after(async () => {
    await d?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the tenant, its use and the new limit, and exits 1", async () => {
    const r = await dormer(["validate", "--stack", "ci", tenantsFile(", limits: { diskMb: 16 }")]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`tenants\\[0\\] \\(${id}\\): limits\\.diskMb: 16 MiB is less than the tenant uses: 2\\d\\.\\d MiB on its 32 MiB disk`));
  });

  it("lets the plan's size and a grow through", async () => {
    for (const limits of ["", ", limits: { diskMb: 64 }"]) {
      const r = await dormer(["validate", "--stack", "ci", tenantsFile(limits)]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
  });

  it("refuses taking the fence away from a tenant whose files are on a disk", async () => {
    const file = tenantsFile("");
    writeFileSync(file, readFileSync(file, "utf8").replace(", diskMb: 32", ""));
    const r = await dormer(["validate", "--stack", "ci", file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /limits\.diskMb: cannot be removed/);
  });
});
