import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Stack } from "@pulumi/pulumi/automation";
import { openStack } from "../../cli/stack";
import { pulumiBinDir } from "../../cli/toolchain";

/** A gRPC client as the SDK makes them, seen from outside: what state its channel is in. */
type Client = { getChannel(): { getConnectivityState(tryToConnect: boolean): number } };
/** @grpc/grpc-js's connectivityState.SHUTDOWN: the channel is closed. */
const SHUTDOWN = 4;

describe("engine: several runs of the inline program in one CLI process (batches of an up)", function () {
  this.timeout(5 * 60_000);
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-inline-runs-"));
  const seen: Client[][] = [];
  let stack: Stack;

  before(async () => {
    fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: dormer-inline-runs\nruntime: nodejs\n");
    stack = await openStack({
      stackName: "runs",
      projectName: "dormer-inline-runs",
      // No resources: what matters is the program's connections to the engine, which every run opens.
      program: async () => {
        seen.push([pulumi.runtime.getMonitor(), pulumi.runtime.getEngine()] as unknown as Client[]);
        return { run: seen.length };
      },
      workDir,
      stateDir: path.join(workDir, ".dormer"),
      pulumiDir: pulumiBinDir(),
      passphrase: "inline-runs",
    });
  });

  after(() => fs.rmSync(workDir, { recursive: true, force: true }));

  it("closes a run's connections to the engine when the next run starts, so nothing of it stays alive", async () => {
    await stack.preview({ onOutput: () => undefined });
    await stack.preview({ onOutput: () => undefined });
    await stack.preview({ onOutput: () => undefined });
    assert.equal(seen.length, 3);
    const state = (c: Client) => c.getChannel().getConnectivityState(false);
    for (const [i, run] of seen.slice(0, 2).entries()) {
      for (const client of run) assert.equal(state(client), SHUTDOWN, `run ${i + 1}: a client of a finished run is still open`);
    }
    // The last run's are the process's to close when it ends.
    for (const client of seen[2]!) assert.notEqual(state(client), SHUTDOWN);
  });
});
