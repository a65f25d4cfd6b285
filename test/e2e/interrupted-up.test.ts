import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { manyTenants, toYaml } from "../support/many-tenants";

const STACK = "ci";
const CLI = path.resolve(__dirname, "../../cli/bin/dormer");
const STATE = path.resolve(__dirname, "../../.dormer/state/.pulumi/stacks/dormer");
const COUNT = 12;

/** Every Docker object id the stack's recorded state holds, read from its file backend. */
function recordedIds(): Set<string> {
  const file = JSON.parse(fs.readFileSync(path.join(STATE, `${STACK}.json`), "utf8")) as {
    checkpoint: { latest?: { resources?: { id?: string }[] } };
  };
  return new Set((file.checkpoint.latest?.resources ?? []).map((r) => r.id ?? "").filter(Boolean));
}

async function stackObjects(): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const filters = { label: [`dormer.stack=${STACK}`] };
  return {
    containers: (await docker.listContainers({ all: true, filters })).map((c) => c.Id),
    networks: (await docker.listNetworks({ filters })).map((n) => n.Id),
    volumes: ((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name),
  };
}

/** `dormer up`, sent SIGTERM once its output shows `after` tenant networks created; resolves to its exit code. */
function upStoppedAfter(after: number, env: Record<string, string>): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, ["up", "--stack", STACK], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let sent = false;
    const onData = (d: Buffer) => {
      output += d;
      if (!sent && (output.match(/docker:index:Network t\d+-net created/g) ?? []).length >= after) {
        sent = true;
        child.kill("SIGTERM");
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output }));
  });
}

describe("e2e: an up stopped half way (ci stack)", function () {
  this.timeout(15 * 60_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-e2e-interrupted-"));
  const env = { DORMER_TENANTS_FILE: path.join(dir, "tenants.yaml") };

  before(() => fs.writeFileSync(env.DORMER_TENANTS_FILE, toYaml(manyTenants(COUNT))));

  after(async () => {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("records everything it created before it exits, and the next up finishes the rest", async () => {
    const stopped = await upStoppedAfter(3, env);
    assert.notEqual(stopped.code, 0, `the stopped up fails\n${stopped.output.slice(-2000)}`);
    assert.match(stopped.output, /SIGTERM: stopping/);

    const recorded = recordedIds();
    const made = await stackObjects();
    assert.ok(made.networks.length >= 3, `networks were created before the stop: ${made.networks.length}`);
    for (const id of [...made.containers, ...made.networks, ...made.volumes]) {
      assert.ok(recorded.has(id), `${id} exists in Docker but the stack's state does not record it`);
    }

    await dormerOk(["up", "--stack", STACK], env);
    const all = await docker.listContainers({ all: true, filters: { label: [`dormer.stack=${STACK}`, "dormer.role=tenant"] } });
    assert.equal(all.length, COUNT);
  });
});
