import { strict as assert } from "assert";
import * as crypto from "crypto";
import { tenantLabels } from "../../runtime/engine/declared";
import { declaredTenant } from "../support/declared-tenant";
import { startRedis, RedisServer } from "../support/redis-server";
import { RunningSupervisor, startSupervisor } from "../support/supervisor";
import { SWARM_SOCKET, swarmDocker as docker, useSwarm } from "../support/swarm";
import { BASE_IMAGE } from "../support/tenants";

type Health = { docker_ok: boolean; tenants: number };

describe("runtime: the supervisor drives the engine its stack's orchestrator names (DORMER_ORCHESTRATOR)", function () {
  this.timeout(180_000);
  const stack = `orch${crypto.randomBytes(3).toString("hex")}`;
  const service = `dormer-test-${stack}-acme`;
  let redis: RedisServer;
  const running: RunningSupervisor[] = [];

  const supervisor = async (extra: Record<string, string>) => {
    const s = await startSupervisor({ stack, redisUrl: redis.url, extra: { DOCKER_SOCKET: SWARM_SOCKET, ...extra } });
    running.push(s);
    return s;
  };
  const health = async (s: RunningSupervisor) => (await (await fetch(`${s.url}/health`)).json()) as Health;

  useSwarm({
    images: () => [BASE_IMAGE],
    cleanup: async () => {
      for (const s of running) await s.stop();
      await redis?.stop();
      await docker.getService(service).remove().catch(() => undefined);
    },
  });
  before(async () => {
    redis = await startRedis();
    // A sleeping tenant as a swarm stack declares it: a service with its labels, 0 replicas; no container.
    await docker.createService({
      Name: service,
      Labels: tenantLabels(stack, declaredTenant("acme", { container: service })),
      TaskTemplate: { ContainerSpec: { Image: BASE_IMAGE, Command: ["sleep", "3600"] } },
      Mode: { Replicated: { Replicas: 0 } },
    } as never);
  });

  it("on swarm, finds the stack's tenants among the manager's services", async () => {
    const s = await supervisor({ DORMER_ORCHESTRATOR: "swarm" });
    const h = await health(s);
    assert.deepEqual([h.docker_ok, h.tenants], [true, 1]);
  });

  it("by default drives containers, as docker stacks always have: a service is no tenant there", async () => {
    const s = await supervisor({});
    const h = await health(s);
    assert.deepEqual([h.docker_ok, h.tenants], [true, 0]);
  });

  it("refuses an orchestrator it has no engine for, naming the variable", async () => {
    await assert.rejects(supervisor({ DORMER_ORCHESTRATOR: "kubernetes" }), /DORMER_ORCHESTRATOR: Invalid option: expected one of/);
  });
});
