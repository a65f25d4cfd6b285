import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pipeline } from "stream/promises";
import { ArchiveError, verifyArchive, writeArchive } from "../../cli/backup/archive";

/** GNU tar's stream of a folder holding files/ and data/, as the backup helper writes it. */
function tarOf(dir: string, folders = ["data", "files"]) {
  const child = spawn("tar", ["-c", "-f", "-", "--format=pax", "--numeric-owner", "-C", dir, ...folders], { stdio: ["ignore", "pipe", "inherit"] });
  const done = new Promise<void>((resolve, reject) => child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`tar exit ${code}`)))));
  return { stdout: child.stdout, done };
}

describe("backup archives: written as a stream with a manifest, verified entry by entry", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-archive-"));
  const src = path.join(dir, "src");
  const archive = path.join(dir, "t.tar");
  const longName = `${"deep/".repeat(30)}${"n".repeat(120)}.txt`;
  const big = crypto.randomBytes(300_000);
  const meta = { stack: "test", tenant: "acme", plan: "free", volumes: { files: "v-files", data: "v-data" } };
  const copy = (name: string, edit: (b: Buffer) => void) => {
    const b = fs.readFileSync(archive);
    edit(b);
    fs.writeFileSync(path.join(dir, name), b);
    return path.join(dir, name);
  };

  before(async () => {
    fs.mkdirSync(path.join(src, "files", path.dirname(longName)), { recursive: true });
    fs.mkdirSync(path.join(src, "data"), { recursive: true });
    fs.writeFileSync(path.join(src, "files", "big.bin"), big);
    fs.writeFileSync(path.join(src, "files", longName), "long");
    fs.writeFileSync(path.join(src, "files", "empty"), "");
    fs.symlinkSync("big.bin", path.join(src, "files", "link"));
    fs.writeFileSync(path.join(src, "data", "messages.jsonl"), '{"id":1}\n');
    const t = tarOf(src);
    await writeArchive(t.stdout, t.done, archive, meta);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("lists every entry with its size and sha256, and verifies", async () => {
    const m = await verifyArchive(archive);
    assert.equal(m.tenant, "acme");
    const byPath = new Map(m.entries.map((e) => [e.path, e]));
    assert.equal(byPath.get("files/big.bin")?.sha256, crypto.createHash("sha256").update(big).digest("hex"));
    assert.equal(byPath.get("files/big.bin")?.size, big.length);
    assert.equal(byPath.get(`files/${longName}`)?.size, 4, "a name past 100 characters comes through its pax header");
    assert.equal(byPath.get("files/link")?.linkTarget, "big.bin");
    assert.equal(byPath.get("files")?.type, "directory");
    assert.equal(m.files, 4);
  });

  it("is a plain tar the system's tar reads, the manifest and its sum last", () => {
    const list = execFileSync("tar", ["-tf", archive], { encoding: "utf8" }).trim().split("\n");
    assert.deepEqual(list.slice(-2), ["manifest.json", "manifest.json.sha256"]);
    assert.ok(list.includes("files/big.bin"));
  });

  it("refuses a flipped byte in a file's data, naming the file", async () => {
    const data = fs.readFileSync(archive).indexOf(big.subarray(0, 64));
    const bad = copy("flip.tar", (b) => (b[data + 1000] ^= 0xff));
    await assert.rejects(verifyArchive(bad), (e: Error) => e instanceof ArchiveError && /files\/big\.bin: its sha256 is/.test(e.message));
  });

  it("refuses a damaged header, a cut-short archive, an edited manifest and a missing one", async () => {
    const damaged = copy("header.tar", (b) => (b[10] ^= 0x01));
    await assert.rejects(verifyArchive(damaged), /header at byte 0 is damaged/);
    const full = fs.readFileSync(archive);
    const cut = path.join(dir, "cut.tar");
    fs.writeFileSync(cut, full.subarray(0, 200_000));
    await assert.rejects(verifyArchive(cut), /cut short/);
    const edited = copy("edited.tar", (b) => {
      const at = b.indexOf('"tenant": "acme"');
      b.write('"tenant": "acmf"', at);
    });
    await assert.rejects(verifyArchive(edited), /manifest\.json does not match its sha256/);
    const plain = path.join(dir, "plain.tar");
    const t = tarOf(src);
    // Both at once: a close awaited only after tar's exit may already have happened, and would never come.
    await Promise.all([pipeline(t.stdout, fs.createWriteStream(plain)), t.done]);
    await assert.rejects(verifyArchive(plain), /holds no manifest\.json/);
  });

  it("refuses an archive with an entry outside the tenant's volumes, even one its manifest lists", async () => {
    fs.mkdirSync(path.join(src, "etc"), { recursive: true });
    fs.writeFileSync(path.join(src, "etc", "cron"), "* * * * * evil");
    const t = tarOf(src, ["files", "etc"]);
    const outside = path.join(dir, "outside.tar");
    await writeArchive(t.stdout, t.done, outside, meta);
    await assert.rejects(verifyArchive(outside), /etc \(directory\) is not a file, folder or link inside the volumes files, data/);
  });
});
