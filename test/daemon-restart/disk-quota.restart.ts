// Restarts the Docker daemon: run it only as `npm run test:daemon-restart`, which holds the docker lock
// exclusively (flock -x /tmp/dormer-docker.lock), never inside `npm test`, whose other files use the daemon.
import { strict as assert } from "assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { demux } from "../../runtime/engine/docker-logs";
import { diskStatus, driverLog, ensureDiskDriver, runOnDisk, TestDisk, testDisk } from "../support/disk-driver";
import { docker } from "../support/docker";
import { waitFor } from "../support/poll";

const repoRoot = path.resolve(__dirname, "..", "..");

async function exec(container: string, script: string): Promise<{ output: string; exitCode: number }> {
  const e = await docker.getContainer(container).exec({ Cmd: ["sh", "-c", script], AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  await new Promise((resolve, reject) => stream.on("end", resolve).on("error", reject));
  return { output: demux(Buffer.concat(chunks)), exitCode: (await e.inspect()).ExitCode ?? -1 };
}

/** Stops dockerd (SIGTERM, as systemd would) and waits for it to be gone; returns when it was. */
function stopDockerd(): void {
  const pid = Number(readFileSync("/var/run/docker.pid", "utf8"));
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 60_000;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) throw new Error(`dockerd (pid ${pid}) did not stop within 60 s`);
    execFileSync("sleep", ["0.2"]);
  }
}

describe("disk quota across a Docker daemon restart (restarts dockerd; npm run test:daemon-restart only)", function () {
  this.timeout(300_000);
  let d: TestDisk;
  let container: string;

  before(async () => {
    ensureDiskDriver();
    d = await testDisk("dq-restart");
    container = `${d.disk}-app`;
    // A tenant that was awake when the daemon went down: restart policy brings it back with it (and runs this
    // command again, so it writes its file only once).
    await runOnDisk(d, 16, "[ -f /files/kept ] || { dd if=/dev/urandom of=/files/kept bs=64k count=32 2>/dev/null; sha256sum /files/kept > /state/sum; }; exec sleep 600", { name: container, restart: true });
    await waitFor("the first write", async () => (await exec(container, "test -s /state/sum && echo ok")).output.includes("ok"), 20_000);
  });

  after(async () => {
    await docker.getContainer(container).remove({ force: true }).catch(() => undefined);
    await d?.remove();
  });

  it("comes back mounted with its files, and still refuses writes past its quota", async () => {
    const sumBefore = (await exec(container, "cat /state/sum")).output;
    const logBefore = driverLog().length;
    stopDockerd();
    const started = Date.now();
    const up = spawnSync("setsid", ["bash", path.join(repoRoot, "scripts", "dockerd.sh")], { stdio: "inherit" });
    assert.equal(up.status, 0, "dockerd came back");
    const answered = Date.now();
    await waitFor("the tenant running again", async () => (await docker.getContainer(container).inspect().catch(() => undefined))?.State.Running, 60_000, 50);
    const running = Date.now();
    const mounts = driverLog().slice(logBefore).filter((l) => l.msg === "disk volume mounted" && l.disk === d.disk);
    assert.ok(mounts.length >= 1, "the daemon asked the driver to mount the disk again");
    console.log(`      daemon restart: dockerd answering after ${answered - started} ms; tenant running with its quota'd volumes ${running - started} ms after the start (${running - answered} ms after dockerd answered); driver mount calls: ${mounts.map((m) => `${m.ms} ms`).join(", ")}`);
    assert.equal((await exec(container, "sha256sum /files/kept")).output, sumBefore, "its file reads back the same");
    const past = await exec(container, "dd if=/dev/zero of=/files/fill bs=64k count=512 2>&1; echo dd-exit=$?");
    assert.match(past.output, /No space left on device/);
    assert.match(past.output, /dd-exit=1/);
    assert.equal((await diskStatus(d.files)).quotaMb, 16);
  });
});
