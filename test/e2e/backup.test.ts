import { strict as assert } from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { verifyArchive } from "../../cli/backup/archive";
import { docker, volumeExists } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { isRunning, waitFor } from "../support/poll";
import { login, siteOf } from "../support/supervisor";

const STACK = "ci";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:18088";
const BACKUPS = path.resolve(__dirname, "../../.dormer/backups", STACK);

describe("e2e: dormer backup, restore and purge on the ci stack", function () {
  this.timeout(30 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-backup-"));
  const tenantsFile = path.join(dir, "tenants.yaml");
  const env = { DORMER_TENANTS_FILE: tenantsFile };
  const plans = { free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: "unlimited" } };
  const declare = (ids: string[]) => fs.writeFileSync(tenantsFile, YAML.stringify({ version: 1, plans, tenants: ids.map((id) => ({ id, plan: "free" })) }));
  const cookies: Record<string, string> = {};
  const site = (id: string, p: string, init: RequestInit = {}) =>
    fetch(`${siteOf(GATEWAY, id)}${p}`, { ...init, headers: { cookie: cookies[id], ...(init.headers ?? {}) } });
  const say = async (id: string, text: string) => {
    const res = await site(id, "/messages", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
    assert.equal(res.status, 201, `POST /messages for ${id}: ${res.status} ${await res.clone().text()}`);
  };
  const history = async (id: string) => {
    const res = await site(id, "/messages?limit=1000");
    assert.equal(res.status, 200);
    return ((await res.json()) as { messages: { id: number; text: string }[] }).messages.map((m) => `${m.id}:${m.text}`);
  };
  const put = async (id: string, name: string, body: Buffer) => {
    const res = await site(id, `/files/${name}`, { method: "PUT", body });
    assert.ok(res.status === 200 || res.status === 201, `PUT ${name}: ${res.status}`);
  };
  const file = async (id: string, name: string) => Buffer.from(await (await site(id, `/files/${name}`)).arrayBuffer());
  const backupOf = async (id: string) => {
    const { stdout } = await dormerOk(["backup", id, "--stack", STACK], env);
    const m = stdout.match(/backed up tenant \S+: (\S+\.tar)/);
    assert.ok(m, stdout);
    return path.resolve(process.cwd(), m[1]);
  };

  before(async () => {
    declare(["acme", "globex"]);
    await dormerOk(["up", "--stack", STACK], env);
    const outputs = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> };
    for (const id of ["acme", "globex"]) cookies[id] = await login(GATEWAY, id, outputs.tenantKeys[id]);
  });

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    for (const id of ["acme", "globex"]) {
      for (const kind of ["files", "data"]) await docker.getVolume(`${PREFIX}-tenant-${id}-${kind}`).remove().catch(() => undefined);
    }
    await docker.getVolume(`${PREFIX}-redis-data`).remove().catch(() => undefined);
    fs.rmSync(BACKUPS, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let archive: string;
  let archived: { history: string[]; report: Buffer };

  it("backup, then more writes, then restore gives back exactly the archived files and chat history", async () => {
    const report = crypto.randomBytes(200_000);
    await put("acme", "report.bin", report);
    await say("acme", "before the backup");
    archived = { history: await history("acme"), report };
    const started = Date.now();
    archive = await backupOf("acme");
    console.log(`      dormer backup: ${Date.now() - started} ms`);
    const manifest = await verifyArchive(archive);
    assert.equal(manifest.tenant, "acme");
    assert.equal(manifest.plan, "free");
    assert.equal(manifest.entries.find((e) => e.path === "files/report.bin")?.sha256, crypto.createHash("sha256").update(report).digest("hex"));
    assert.ok(manifest.entries.some((e) => e.path === "data/messages.jsonl"));

    await say("acme", "after the backup");
    await put("acme", "report.bin", crypto.randomBytes(1000));
    await put("acme", "later.txt", Buffer.from("later"));
    assert.notDeepEqual(await history("acme"), archived.history);

    const restoreStarted = Date.now();
    const { stdout } = await dormerOk(["restore", "acme", archive, "--stack", STACK], env);
    console.log(`      dormer restore: ${Date.now() - restoreStarted} ms`);
    assert.match(stdout, /restored tenant acme from .*checked/);
    assert.deepEqual(await history("acme"), archived.history, "the chat history is the archived one");
    assert.deepEqual(await file("acme", "report.bin"), report, "the file has the archived bytes");
    assert.equal((await site("acme", "/files/later.txt")).status, 404, "a file written after the backup is gone");
  });

  it("refuses a corrupted archive and another tenant's, naming the problem, and changes nothing", async () => {
    await say("acme", "after the restore");
    const before = await history("acme");
    const bytes = fs.readFileSync(archive);
    bytes[bytes.indexOf(archived.report.subarray(0, 64)) + 5000] ^= 0xff;
    const corrupted = path.join(dir, "corrupted.tar");
    fs.writeFileSync(corrupted, bytes);
    const bad = await dormer(["restore", "acme", corrupted, "--stack", STACK], env);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /refused: .*does not match its manifest:\n\s+files\/report\.bin: its sha256 is/);

    const globexArchive = await backupOf("globex");
    const foreign = await dormer(["restore", "acme", globexArchive, "--stack", STACK], env);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /a backup of tenant globex, not acme: nothing restored \(--force-tenant/);
    assert.deepEqual(await history("acme"), before, "acme's history is untouched");
    assert.deepEqual(await file("acme", "report.bin"), archived.report);
  });

  it("holds requests that arrive during a backup and loses none of them", async () => {
    const count = (await history("acme")).length;
    const backup = dormerOk(["backup", "acme", "--stack", STACK], env);
    await waitFor("acme held asleep", async () => !(await isRunning(`${PREFIX}-tenant-acme`)), 60_000, 50);
    const sent = Array.from({ length: 8 }, (_, i) => say("acme", `during the backup ${i}`));
    await Promise.all([backup, ...sent]);
    const after = await history("acme");
    // Each message gets the assistant's reply: two entries per message.
    assert.equal(after.length, count + 16, "every message sent during the backup was stored");
  });

  it("up that removes a tenant backs it up first and says where; purge refuses without a backup", async () => {
    await say("globex", "last words");
    declare(["acme"]);
    const { stdout } = await dormerOk(["up", "--stack", STACK], env);
    const m = stdout.match(/removed tenant globex: its volumes are kept, and backed up in (\S+\.tar)/);
    assert.ok(m, stdout);
    const manifest = await verifyArchive(m[1]);
    assert.equal(manifest.tenant, "globex");
    assert.ok(await volumeExists(`${PREFIX}-tenant-globex-data`));

    const declared = await dormer(["purge", "acme", "--stack", STACK], env);
    assert.equal(declared.code, 1);
    assert.match(declared.stderr, /tenant acme is declared in/);

    const aside = path.join(dir, "aside");
    fs.mkdirSync(aside);
    for (const f of fs.readdirSync(BACKUPS).filter((f) => f.startsWith("globex-"))) fs.renameSync(path.join(BACKUPS, f), path.join(aside, f));
    const refused = await dormer(["purge", "globex", "--stack", STACK], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no backup of tenant globex in .*--without-backup/);
    assert.ok(await volumeExists(`${PREFIX}-tenant-globex-data`), "nothing was deleted");

    for (const f of fs.readdirSync(aside)) fs.renameSync(path.join(aside, f), path.join(BACKUPS, f));
    const purged = await dormerOk(["purge", "globex", "--stack", STACK], env);
    assert.match(purged.stdout, /purged tenant globex/);
    assert.equal(await volumeExists(`${PREFIX}-tenant-globex-data`), false);
    assert.equal(await volumeExists(`${PREFIX}-tenant-globex-files`), false);
  });
});
