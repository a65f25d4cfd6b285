import { Redis } from "ioredis";
import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config";
import { DockerEngine } from "./engine/docker";
import { log } from "./log";

async function main(): Promise<void> {
  const config = loadConfig();
  // Commands fail at once while Redis is down instead of queueing: sessions must fail closed, not hang.
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on("error", (err: Error) => log.warn("redis error", { error: err.message }));
  const engine = new DockerEngine(config.stack, config.dockerSocket);

  await redis.connect().catch((err: Error) => log.warn("redis not reachable at start; will keep retrying", { error: err.message }));
  if (!(await engine.ping())) log.warn("docker engine not reachable at start", { socket: config.dockerSocket });

  const server = createApp({ redis, engine }).listen(config.port, () => {
    log.info("supervisor listening", { port: config.port, stack: config.stack, identity: config.identity });
  });

  const shutdown = (signal: string) => {
    log.info("shutting down", { signal });
    server.close(() => {
      redis.disconnect();
      process.exit(0);
    });
    setTimeout(() => process.exit(0), 10_000).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((err) => {
  log.error(err instanceof ConfigError ? err.message : "supervisor failed to start", {
    error: err instanceof ConfigError ? err.problems : String(err?.stack ?? err),
  });
  process.exit(1);
});
