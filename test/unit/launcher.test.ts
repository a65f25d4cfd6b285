import { strict as assert } from "assert";
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const LAUNCHER = path.resolve(__dirname, "../../cli/bin/dormer");
const EXAMPLE = fs.readFileSync(path.resolve(__dirname, "../../tenants.yaml"));

/** The nice value of a running process, from /proc (field 19 of its stat, after the parenthesised name). */
function niceOf(pid: number): { comm: string; nice: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { comm, nice: Number(fields[16]) };
}

describe("unit: the dormer launcher (cli/bin/dormer)", function () {
  this.timeout(60_000);

  it("runs the CLI 10 nice levels below its caller, so a live stack's traffic comes first", async () => {
    // validate reads the file it is given: a FIFO nobody writes to yet keeps the CLI waiting there to be looked at.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-launcher-"));
    const fifo = path.join(dir, "tenants.yaml");
    execFileSync("mkfifo", [fifo]);
    const child = spawn(LAUNCHER, ["validate", fifo], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    let seen: { comm: string; nice: number } | undefined;
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 20))) {
      const now = niceOf(child.pid!);
      if (now.comm === "node") {
        seen = now;
        break;
      }
    }
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    fs.writeFileSync(fifo, EXAMPLE);
    const code = await exited;
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, `the example validates: ${output}`);
    assert.ok(seen, "the launcher exec'd node");
    assert.equal(seen.nice, Math.min(19, os.getPriority() + 10));
  });
});
