import { Redis } from "ioredis";
import { Activity } from "./activity";
import { createServer } from "./app";
import { ConfigError, loadConfig, RuntimeConfig } from "./config";
import { EngineDirectory } from "./directory";
import { DockerEngine } from "./engine/docker";
import { CloudflareAccess } from "./identity/cloudflare-access";
import { IdentitySource } from "./identity/identity";
import { TenantKeys } from "./identity/tenant-keys";
import { log } from "./log";
import { Metrics } from "./metrics";
import { TenantProxy } from "./proxy";
import { DailyQuota } from "./quota";
import { Reaper } from "./reaper";
import { RedisRevocationStore } from "./revocations";
import { Sessions } from "./sessions";
import { RedisWakeLock } from "./wake-lock";
import { Waker } from "./waker";

function identitySource(config: RuntimeConfig, directory: EngineDirectory): IdentitySource {
  switch (config.identity) {
    case "keys":
      return new TenantKeys(directory);
    case "cloudflare-access":
      return new CloudflareAccess({ teamDomain: config.access!.teamDomain, audience: config.access!.audience, directory });
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const prefix = `dormer:${config.stack}:`;
  // Commands fail at once while Redis is down instead of queueing: sessions must fail closed, not hang.
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
  let redisUp = false;
  redis.on("ready", () => {
    redisUp = true;
    log.info("redis connected");
  });
  // "close" fires on every loss, also one too short to raise an error; log each loss once.
  redis.on("close", () => {
    if (redisUp) log.warn("redis connection lost; retrying");
    redisUp = false;
  });
  redis.on("error", () => undefined);

  const engine = new DockerEngine(config.stack, config.dockerSocket, config.selfContainer);
  const directory = new EngineDirectory(() => engine.discover());
  const metrics = new Metrics();
  const lock = new RedisWakeLock(redis, prefix);
  const waker = new Waker(engine, lock, metrics);
  const activity = new Activity(redis, `${prefix}activity`);
  const proxy = new TenantProxy(metrics, (tenant) => waker.forget(tenant));
  const sessions = new Sessions({
    key: config.sessionKey,
    stack: config.stack,
    secureCookie: new URL(config.publicUrl).protocol === "https:",
    store: new RedisRevocationStore(redis, config.stack),
  });
  const reaper = new Reaper(engine, directory, activity, lock, waker, metrics, config.maxIdleTimeoutSeconds);

  await redis.connect().catch((err: Error) => log.warn("redis not reachable at start; retrying", { error: err.message }));
  await directory.refresh().catch((err) => log.warn("docker engine not reachable at start", { error: String(err) }));
  const unwatch = engine.watch((event) => {
    if (event.kind === "declared-changed") void directory.refresh().catch(() => undefined);
    if (event.kind === "stopped") waker.forget(event.tenant);
  });
  const resync = setInterval(() => void directory.refresh().catch(() => undefined), 60_000);
  resync.unref();
  reaper.start(config.reaperIntervalMs);

  const server = createServer({
    adminToken: config.adminToken,
    redis,
    engine,
    directory,
    sessions,
    identity: identitySource(config, directory),
    waker,
    proxy,
    activity,
    quota: new DailyQuota(redis, prefix),
    lock,
    metrics,
  });
  server.listen(config.port, () => {
    log.info("supervisor listening", { port: config.port, stack: config.stack, identity: config.identity, tenants: directory.all().length });
  });

  const shutdown = (signal: string) => {
    log.info("shutting down", { signal });
    reaper.stop();
    unwatch();
    activity.close();
    server.close(() => {
      redis.disconnect();
      process.exit(0);
    });
    // Held requests and open WebSockets get a moment to finish, not forever.
    setTimeout(() => process.exit(0), 5_000).unref();
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
