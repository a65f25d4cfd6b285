import assert from "node:assert/strict";
import { checkOrchestrator, engineSocketFrom, OrchestratorError, orchestratorFrom, orchestratorProblems, placementOf, swarmNodeFrom } from "../../components/orchestrator";
import { parseTenantsFile, TenantsFileError } from "../../components/tenants-file";

const PLANS = `plans:
  free: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000 }
  fenced: { cpus: 0.25, memoryMb: 256, idleTimeoutMinutes: 10, egress: false, dailyRequestQuota: 1000, diskMb: 64, lightSleepAfterMinutes: 2 }
`;
const parse = (...tenants: string[]) => parseTenantsFile(`version: 1\n${PLANS}tenants:\n${tenants.map((t) => `  - ${t}\n`).join("")}`);

describe("unit: the stack's orchestrator and what of tenants.yaml it honours", () => {
  it("defaults to docker, accepts swarm, and refuses anything else naming the setting", () => {
    assert.equal(orchestratorFrom(undefined), "docker");
    assert.equal(orchestratorFrom("swarm"), "swarm");
    assert.throws(() => orchestratorFrom("kubernetes"), /^Error: dormer:orchestrator: must be one of docker, swarm, got "kubernetes"$/);
  });

  it("takes a node hostname for dormer:swarmNode and refuses one a placement constraint could not hold", () => {
    assert.equal(swarmNodeFrom("worker-2.lan"), "worker-2.lan");
    assert.equal(swarmNodeFrom(undefined), undefined);
    assert.throws(() => swarmNodeFrom("a b"), /^Error: dormer:swarmNode: must be a node's hostname/);
  });

  it("refuses a bad node in tenants.yaml, naming the tenant", () => {
    assert.throws(() => parse("{ id: acme, plan: free, node: 'x==y' }"), (err: unknown) => {
      assert.ok(err instanceof TenantsFileError);
      assert.match(err.problems[0]!, /^tenants\[0\] \(acme\): node: must be a node's hostname/);
      return true;
    });
  });

  it("on docker accepts today's files and refuses a node, which only a swarm honours", () => {
    assert.deepEqual(orchestratorProblems(parse("{ id: acme, plan: fenced }"), "docker", undefined), []);
    assert.deepEqual(orchestratorProblems(parse("{ id: acme, plan: free, node: n1 }"), "docker", undefined), [
      "tenants[0] (acme): node: only a swarm stack places tenants on nodes (dormer:orchestrator: swarm)",
    ]);
  });

  it("on swarm refuses diskMb, lightSleepAfterMinutes and swap, each naming the tenant and where the field came from", () => {
    const problems = orchestratorProblems(
      parse("{ id: acme, plan: fenced, node: n1 }", "{ id: globex, plan: free, limits: { swapMb: 128, diskMb: 32 } }", "{ id: initech, plan: free, limits: { swapMb: 0 } }"),
      "swarm",
      "n1",
    );
    assert.deepEqual(problems.map((p) => p.split(": ").slice(0, 2).join(": ")), [
      "tenants[0] (acme): diskMb (from plan fenced)",
      "tenants[0] (acme): lightSleepAfterMinutes (from plan fenced)",
      "tenants[1] (globex): limits.diskMb",
      "tenants[1] (globex): limits.swapMb",
    ]);
  });

  it("on swarm needs a node for every tenant: its own or the stack's", () => {
    const validated = parse("{ id: acme, plan: free, node: n1 }", "{ id: globex, plan: free }");
    assert.deepEqual(orchestratorProblems(validated, "swarm", "n0"), []);
    assert.throws(() => checkOrchestrator(validated, "swarm", undefined), (err: unknown) => {
      assert.ok(err instanceof OrchestratorError);
      assert.deepEqual(err.problems, ["tenants[1] (globex): node: required on a swarm stack (the node that holds its volumes), or set dormer:swarmNode for every tenant"]);
      return true;
    });
  });

  it("places a tenant on its own node, else on the stack's", () => {
    const [acme, globex] = parse("{ id: acme, plan: free, node: n1 }", "{ id: globex, plan: free }").tenants;
    assert.equal(placementOf(acme!, "n0"), "node.hostname==n1");
    assert.equal(placementOf(globex!, "n0"), "node.hostname==n0");
  });

  it("mounts the socket of the engine the stack is declared on for a swarm stack's supervisor; docker stacks keep theirs", () => {
    assert.equal(engineSocketFrom("docker", "unix:///run/dormer-swarmd/7/docker.sock"), "/var/run/docker.sock");
    assert.equal(engineSocketFrom("swarm", "unix:///run/dormer-swarmd/7/docker.sock"), "/run/dormer-swarmd/7/docker.sock");
    assert.equal(engineSocketFrom("swarm", undefined), "/var/run/docker.sock");
    assert.throws(() => engineSocketFrom("swarm", "tcp://10.0.0.1:2376"), /^Error: DOCKER_HOST: a swarm stack's supervisor mounts its manager's socket/);
  });
});
