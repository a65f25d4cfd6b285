import { strict as assert } from "assert";
import { managerProblems } from "../../cli/swarm-manager";

describe("unit: what a swarm stack asks of the engine it is declared on", () => {
  const manager = { Name: "n0", Swarm: { LocalNodeState: "active", ControlAvailable: true } };

  it("finds nothing missing on a manager that gives its containers no-new-privileges", () => {
    assert.deepEqual(managerProblems(manager, true), []);
  });

  it("refuses an engine outside a swarm, and a worker, naming the way to a manager", () => {
    const [outside] = managerProblems({ ...manager, Swarm: { LocalNodeState: "inactive", ControlAvailable: false } }, true);
    assert.match(outside!, /the engine \(n0\) is not a swarm manager \(its swarm state: inactive\); .*scripts\/swarm\.sh init/);
    const [worker] = managerProblems({ ...manager, Swarm: { LocalNodeState: "active", ControlAvailable: false } }, true);
    assert.match(worker!, /not a swarm manager \(its swarm state: active\)/);
  });

  it("refuses an engine that does not give no-new-privileges, naming the setting that does", () => {
    const problems = managerProblems(manager, false);
    assert.deepEqual(problems.length, 1);
    assert.match(problems[0]!, /does not give its containers no-new-privileges.*"no-new-privileges": true in \/etc\/docker\/daemon\.json on every node/);
  });
});
