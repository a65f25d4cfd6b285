import { strict as assert } from "assert";
import { adminClient } from "../../cli/admin-client";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ArchiveError, verifyArchive } from "../../cli/backup/archive";
import { backUpRemovedTenants } from "../../cli/backup/before-removal";
import { BackupContext, backupTenant, currentBackupOf, RestoreRefused, restoreTenant } from "../../cli/backup/operations";
import { LABEL } from "../../runtime/engine/labels";
import { docker, inVolume } from "../support/docker";
import { isRunning, sleep, waitFor } from "../support/poll";
import { RedisServer, startRedis } from "../support/redis-server";
import { login, RunningSupervisor, startSupervisor, siteOf } from "../support/supervisor";
import { BASE_IMAGE, declareTenant, removeStack, TestTenant } from "../support/tenants";

describe("runtime: backup and restore of a tenant's volumes through a supervisor's hold (real Redis, real Docker)", function () {
  this.timeout(180_000);
  const stack = `rt${crypto.randomBytes(3).toString("hex")}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-backup-rt-"));
  let redis: RedisServer;
  let sup: RunningSupervisor;
  let ctx: BackupContext;
  const tenants: Record<string, TestTenant> = {};
  const cookies: Record<string, string> = {};
  const site = (id: string, p: string, init: RequestInit = {}) => fetch(`${siteOf(sup.url, id)}${p}`, { ...init, headers: { cookie: cookies[id] } });
  const say = async (id: string, text: string) => {
    const res = await site(id, "/messages", { method: "POST", body: JSON.stringify({ text }) });
    assert.equal(res.status, 201, `POST /messages: ${res.status} ${await res.clone().text()}`);
  };
  const history = async (id: string) => ((await (await site(id, "/messages?limit=1000")).json()) as { messages: { id: number; role: string; text: string }[] }).messages.map((m) => `${m.id}:${m.role}:${m.text}`);
  const filesOf = (id: string) => inVolume(BASE_IMAGE, `dormer-${stack}-tenant-${id}-files`, "cd /v && find . | sort | xargs stat -c '%u:%g %a %n' && find . -type f | sort | xargs -r sha256sum");

  before(async () => {
    redis = await startRedis();
    for (const id of ["acme", "globex"]) {
      const base = `dormer-${stack}-tenant-${id}`;
      // The volumes as the program declares them, labelled with their kind, before the test tenant uses them.
      for (const kind of ["files", "data"]) {
        await docker.createVolume({ Name: `${base}-${kind}`, Labels: { [LABEL.stack]: stack, [LABEL.tenant]: id, [LABEL.volume]: kind } });
      }
      tenants[id] = await declareTenant(stack, id);
      await inVolume(BASE_IMAGE, `${base}-files`, `echo ${id} > /v/owner.txt && mkdir -p /v/deep/er && head -c 100000 /dev/urandom > /v/deep/er/blob && chown -R 10001:10001 /v`);
    }
    sup = await startSupervisor({ stack, redisUrl: redis.url });
    for (const id of ["acme", "globex"]) cookies[id] = await login(sup.url, id, tenants[id].key);
    ctx = { stack, api: adminClient(sup.url, new URL(sup.url).host, sup.adminToken), image: BASE_IMAGE, dir: path.join(dir, "backups"), declared: ["acme", "globex"] };
  });

  after(async () => {
    await sup?.stop().catch(() => undefined);
    await removeStack(stack);
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let archive: string;
  let archived: { history: string[]; files: string };

  it("backs up while requests arrive: they are held, none fails or is lost", async () => {
    await say("acme", "before the backup");
    const backup = backupTenant(ctx, "acme");
    await waitFor("acme held asleep", async () => !(await isRunning(tenants.acme.container)), 30_000, 20);
    const sent = Array.from({ length: 6 }, (_, i) => say("acme", `during ${i}`));
    const [result] = await Promise.all([backup, ...sent]);
    archive = result.file;
    assert.equal(result.manifest.tenant, "acme");
    assert.ok(result.manifest.entries.some((e) => e.path === "data/messages.jsonl"));
    assert.ok(result.manifest.entries.some((e) => e.path === "files/deep/er/blob" && e.size === 100000));
    const all = await history("acme");
    assert.equal(all.filter((m) => m.includes(":user:during")).length, 6, "every message sent during the backup was stored");
    // They were held until the copy was done: the archive holds the history from before the first of them.
    archived = { history: all.slice(0, all.findIndex((m) => m.includes(":user:during"))), files: await filesOf("acme") };
  });

  it("restore gives back exactly the archived bytes", async () => {
    await say("acme", "after the backup");
    await inVolume(BASE_IMAGE, `dormer-${stack}-tenant-acme-files`, "echo changed > /v/owner.txt && echo new > /v/new.txt");
    await restoreTenant(ctx, "acme", archive, false);
    assert.deepEqual(await history("acme"), archived.history, "the chat history is the archived one");
    assert.equal(await filesOf("acme"), archived.files, "the files volume holds the archived bytes, owners and modes");
  });

  it("refuses a corrupted archive and another tenant's, and changes nothing", async () => {
    const now = { history: await history("acme"), files: await filesOf("acme") };
    const bytes = fs.readFileSync(archive);
    bytes[bytes.length - 4096 - 2000] ^= 0xff;
    const corrupted = path.join(dir, "corrupted.tar");
    fs.writeFileSync(corrupted, bytes);
    await assert.rejects(restoreTenant(ctx, "acme", corrupted, false), (e: Error) => e instanceof ArchiveError && /is refused/.test(e.message));
    const foreign = (await backupTenant(ctx, "globex")).file;
    await assert.rejects(restoreTenant(ctx, "acme", foreign, false), (e: Error) => e instanceof RestoreRefused && /a backup of tenant globex, not acme/.test(e.message));
    assert.deepEqual(await history("acme"), now.history);
    assert.equal(await filesOf("acme"), now.files);
  });

  it("before an up removes a tenant: backs it up, and keeps it held asleep until released", async () => {
    await say("globex", "last words");
    const removal = await backUpRemovedTenants(ctx, new Set(["acme"]));
    assert.deepEqual([...removal.backups.keys()], ["globex"], "only the tenant being removed");
    const manifest = await verifyArchive(removal.backups.get("globex")!.file);
    assert.equal(manifest.tenant, "globex");
    let answered = false;
    const request = say("globex", "too late").then(() => (answered = true));
    await sleep(3000);
    assert.equal(answered, false, "a request after the backup waits while the up runs");
    assert.equal(await isRunning(tenants.globex.container), false);
    await removal.release();
    await request;
  });

  it("knows whether a backup holds the volumes as they are now", async () => {
    const volumes = { files: `dormer-${stack}-tenant-globex-files`, data: `dormer-${stack}-tenant-globex-data` };
    await backupTenant(ctx, "globex");
    await sup.stop();
    assert.ok((await currentBackupOf(ctx, "globex", volumes)).file, "the backup just taken holds them");
    await inVolume(BASE_IMAGE, volumes.files, "echo more > /v/more.txt");
    assert.match((await currentBackupOf(ctx, "globex", volumes)).why, /none of the 3 backups of tenant globex/);
  });
});
