import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { demux } from "../../runtime/engine/docker-logs";
import { ensureDiskDriver } from "../support/disk-driver";
import { docker, inspectContainer, inVolume } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
const TENANT = `${PREFIX}-tenant-globex`;

async function execIn(container: string, script: string): Promise<string> {
  const e = await docker.getContainer(container).exec({ Cmd: ["sh", "-c", script], AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  await new Promise((resolve, reject) => stream.on("end", resolve).on("error", reject));
  return demux(Buffer.concat(chunks));
}

describe("e2e: diskMb on the ci stack moves a tenant onto its disk, fences it and grows it (stand-in plugin, disk driver)", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-disk-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  let adminToken: string;
  const write = (limits: string) =>
    fs.writeFileSync(tenantsFile, `version: 1
plans:
  free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000, maxConnections: 50 }
tenants:
  - { id: globex, plan: free${limits}, members: [hank@globex.com] }
`);
  const admin = async (p: string, method = "GET") => {
    const res = await fetch(`${GATEWAY}${p}`, { method, headers: { authorization: `Bearer ${adminToken}` } });
    assert.equal(res.status, 200, `${method} ${p}: ${await res.clone().text()}`);
    return res.json() as Promise<Record<string, any>>;
  };
  const restart = async () => {
    await admin("/admin/tenants/globex/sleep", "POST");
    await admin("/admin/tenants/globex/wake", "POST");
  };

  before(async () => {
    ensureDiskDriver();
    write("");
    await dormerOk(["up", "--stack", STACK], env);
    adminToken = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout).adminToken;
    // Files the tenant had before its disk fence, on its plain volume.
    await inVolume("dormer-base:bookworm", `${TENANT}-files`, "dd if=/dev/urandom of=/v/before bs=64k count=16 2>/dev/null; sha256sum /v/before | cut -d' ' -f1 > /v/before.sum");
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a diskMb replaces the volumes with ones on the disk and copies the old files over at the first wake", async () => {
    write(", limits: { diskMb: 16 }");
    const started = Date.now();
    await dormerOk(["up", "--stack", STACK], env);
    console.log(`      up with diskMb set: ${Date.now() - started} ms`);
    const volume = await docker.getVolume(`${TENANT}-files-disk`).inspect();
    assert.equal(volume.Driver, "dormer-disk");
    assert.equal((await inspectContainer(TENANT))?.Config.Labels["dormer.disk-mb"], "16");
    await admin("/admin/tenants/globex/wake", "POST");
    const out = await execIn(TENANT, "sha256sum /data/files/before | cut -d' ' -f1; cat /data/files/before.sum; touch /data/files/new && echo writable");
    const [sum, recorded, writable] = out.trim().split("\n");
    assert.equal(sum, recorded, "the old file came over intact");
    assert.equal(writable, "writable", "the tenant's user may write on its disk");
    assert.ok((await docker.getVolume(`${TENANT}-files`).inspect()).Name, "the plain volume is kept");
  });

  it("writes past it fail inside the tenant, and the admin API shows the disk", async () => {
    const out = await execIn(TENANT, "dd if=/dev/zero of=/data/state/fill bs=64k count=512 2>&1; echo dd-exit=$?");
    assert.match(out, /No space left on device/);
    assert.match(out, /dd-exit=1/);
    const status = await admin("/admin/tenants/globex");
    assert.equal(status.limits.diskMb, 16);
  });

  it("a larger diskMb grows the disk at the next wake, files kept; a smaller one is refused", async () => {
    await execIn(TENANT, "rm /data/state/fill");
    write(", limits: { diskMb: 32 }");
    await dormerOk(["up", "--stack", STACK], env);
    await restart();
    assert.equal((await docker.getVolume(`${TENANT}-files-disk`).inspect()).Status?.quotaMb, 32);
    const out = await execIn(TENANT, "sha256sum /data/files/before | cut -d' ' -f1; cat /data/files/before.sum");
    const [sum, recorded] = out.trim().split("\n");
    assert.equal(sum, recorded);
    await execIn(TENANT, "dd if=/dev/zero of=/data/state/big bs=64k count=320 2>&1"); // 20 MiB: more than 16 holds
    write(", limits: { diskMb: 16 }");
    const refused = await dormer(["preview", "--stack", STACK], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /tenants\[0\] \(globex\): limits\.diskMb: 16 MiB is less than the tenant uses: 2\d\.\d MiB on its 32 MiB disk/);
  });
});
