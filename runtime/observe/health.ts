import type { Redis } from "ioredis";
import { TenantDirectory } from "../engine/directory";
import { Engine } from "../engine/engine";
import { Descriptors } from "./descriptors";

export interface HealthReport {
  /** draining: the supervisor is stopping (SIGTERM); it finishes what it serves and takes nothing new. */
  status: "ok" | "degraded" | "draining";
  time: string;
  redis_ok: boolean;
  docker_ok: boolean;
  /** False when descriptors are (nearly) exhausted: connections are refused and Docker and Redis unreachable. */
  accepting: boolean;
  /** Open descriptors of the supervisor and its soft limit (-1 when even counting them failed). */
  fds: { open: number; limit: number };
  /** How many tenants the program declared for this stack, as the supervisor knows them now. */
  tenants: number;
  draining: boolean;
}

const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms))]);

/**
 * Checks the three things the supervisor cannot work without: descriptors to accept with, Docker and
 * Redis; each check is bounded so health always answers. The tenant count comes from the directory (kept
 * current by engine events), so a health check costs the same with 10 000 tenants as with 3. A draining
 * supervisor is never ok, whatever its checks say: it is on its way out.
 */
export async function checkHealth(redis: Redis, engine: Engine, directory: TenantDirectory, descriptors: Descriptors, draining: boolean): Promise<HealthReport> {
  const [redisOk, dockerOk] = await Promise.all([
    withTimeout(redis.ping(), 1000).then((r) => r === "PONG", () => false),
    withTimeout(engine.ping(), 2000).catch(() => false),
  ]);
  const fds = descriptors.state();
  return {
    status: draining ? "draining" : redisOk && dockerOk && fds.accepting ? "ok" : "degraded",
    time: new Date().toISOString(),
    redis_ok: redisOk,
    docker_ok: dockerOk,
    accepting: fds.accepting,
    fds: { open: fds.open, limit: fds.limit },
    tenants: directory.all().length,
    draining,
  };
}
