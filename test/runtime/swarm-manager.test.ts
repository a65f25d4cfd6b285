import { strict as assert } from "assert";
import { checkSwarmManager } from "../../cli/swarm-manager";
import { BASE_IMAGE } from "../support/tenants";

// The host's engine, which the tests never make a swarm manager (test/support/swarm.ts) and which runs
// without the daemon-wide no-new-privileges: both refusals, found for real. The
// manager the swarm tests start passes the same check (swarm-engine.test.ts).
describe("runtime: what a swarm stack's run asks of the host's engine, which is no manager", () => {
  it("refuses it, naming each problem and its fix", async () => {
    await assert.rejects(checkSwarmManager("swarm-ci", BASE_IMAGE), (err: Error) => {
      assert.match(err.message, /^swarm stack "swarm-ci":\n/);
      assert.match(err.message, /is not a swarm manager \(its swarm state: inactive\); make it one with `bash scripts\/swarm\.sh init`/);
      assert.match(err.message, /does not give its containers no-new-privileges.*"no-new-privileges": true in \/etc\/docker\/daemon\.json/);
      return true;
    });
  });
});
