import type { Redis } from "ioredis";
import { Engine } from "./engine/engine";

export interface HealthReport {
  status: "ok" | "degraded";
  time: string;
  redis_ok: boolean;
  docker_ok: boolean;
  /** How many tenants the program declared for this stack, as learned from the engine. */
  tenants: number;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))]);

/** Checks the two things the supervisor cannot work without; each check is bounded so /health always answers. */
export async function checkHealth(redis: Redis, engine: Engine): Promise<HealthReport> {
  const [redisOk, tenants] = await Promise.all([
    withTimeout(redis.ping(), 1000).then((r) => r === "PONG", () => false),
    withTimeout(engine.discover(), 2000).then((t) => t.length, () => undefined),
  ]);
  const dockerOk = tenants !== undefined;
  return {
    status: redisOk && dockerOk ? "ok" : "degraded",
    time: new Date().toISOString(),
    redis_ok: redisOk,
    docker_ok: dockerOk,
    tenants: tenants ?? 0,
  };
}
