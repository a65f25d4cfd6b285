import { Redis } from "ioredis";
import { Activity } from "./wake/activity";
import { createServer } from "./http/app";
import { listenOn } from "./http/listen";
import { ConfigError, loadConfig, RuntimeConfig } from "./config";
import { EngineDirectory } from "./engine/directory";
import { UpStates } from "./engine/up-states";
import Docker from "dockerode";
import { selfAddresses } from "./engine/self-addresses";
import { engineFor } from "./engine/select";
import { CloudflareAccess } from "./identity/cloudflare-access";
import { IdentitySource } from "./identity/identity";
import { TenantKeys } from "./identity/tenant-keys";
import { log } from "./observe/log";
import { Descriptors } from "./observe/descriptors";
import { DiskWatch } from "./observe/disk-watch";
import { Metrics } from "./observe/metrics";
import { ConnectionLimiter } from "./http/connections";
import { Drain } from "./http/drain";
import { TenantProxy } from "./http/proxy";
import { DailyQuota } from "./wake/quota";
import { Reaper } from "./wake/reaper";
import { RedisRevocationStore } from "./sessions/revocations";
import { Sessions } from "./sessions/sessions";
import { SignInCodes } from "./sessions/sign-in-codes";
import { Origins } from "./http/origins";
import { ClientAddresses } from "./http/client-address";
import { ApiKeys } from "./sessions/api-keys";
import { KeyedTunnels } from "./sessions/keyed-tunnels";
import { LoginThrottle } from "./sessions/login-throttle";
import { AdminSessions } from "./sessions/admin-sessions";
import { RedisHolds } from "./wake/hold";
import { RedisWakeLock } from "./wake/wake-lock";
import { Waker } from "./wake/waker";
import { Watchdog } from "./wake/watchdog";
import { WatchdogHistory } from "./wake/watchdog-history";
import { TenantEvents } from "./observe/tenant-events";
import { UsageLedger } from "./observe/usage";

function identitySource(config: RuntimeConfig, directory: EngineDirectory): IdentitySource {
  switch (config.identity) {
    case "keys":
      return new TenantKeys(directory);
    case "cloudflare-access":
      return new CloudflareAccess({ teamDomain: config.access!.teamDomain, audience: config.access!.audience, directory });
  }
}

// Health probes are tiny; 16 at once keeps a pass over a hundred awake tenants well under a second.
const WATCHDOG_CONCURRENCY = 16;
/** How often each supervisor adds what it counted to the shared usage; a reader sees others' with this lag. */
const USAGE_FLUSH_MS = 5_000;

/** Our address on the gateway's network; the engine may need a moment after a daemon restart. */
async function listenAddresses(config: RuntimeConfig, network: string): Promise<string[]> {
  const docker = new Docker({ socketPath: config.dockerSocket });
  for (let attempt = 1; ; attempt++) {
    try {
      return await selfAddresses(docker, config.selfContainer, network);
    } catch (err) {
      if (attempt >= 30) throw err;
      if (attempt === 1) log.warn("own address not known yet; retrying", { network, error: String(err) });
      await new Promise((r) => setTimeout(r, 1000));
    }
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

  const engine = engineFor(config.orchestrator, config.stack, config.dockerSocket, config.selfContainer);
  const directory = new EngineDirectory(() => engine.discover());
  const metrics = new Metrics();
  const descriptors = new Descriptors();
  const lock = new RedisWakeLock(redis, prefix);
  const holds = new RedisHolds(redis, prefix);
  const usage = new UsageLedger(redis, prefix, config.usageRetentionDays, metrics);
  const events = new TenantEvents(redis, prefix, usage);
  const waker = new Waker(engine, lock, metrics, events, holds);
  const activity = new Activity(redis, `${prefix}activity`);
  const drain = new Drain();
  const proxy = new TenantProxy(metrics, usage, (tenant) => waker.forget(tenant), { tunnelIdleMs: config.tunnelIdleSeconds * 1000, leaving: drain.signal });
  const sessions = new Sessions({
    key: config.sessionKey,
    stack: config.stack,
    secureCookie: new URL(config.publicUrl).protocol === "https:",
    store: new RedisRevocationStore(redis, config.stack),
  });
  const upStates = new UpStates(() => engine.running());
  const reaper = new Reaper(engine, upStates, directory, activity, lock, waker, metrics, events, { maxIdleTimeoutSeconds: config.maxIdleTimeoutSeconds, pausedMemoryMb: config.pausedMemoryMb });
  const watchdogHistory = new WatchdogHistory(redis, prefix);
  const watchdog = new Watchdog(engine, directory, waker, lock, metrics, watchdogHistory, events, { ...config.watchdog, concurrency: WATCHDOG_CONCURRENCY });

  await redis.connect().catch((err: Error) => log.warn("redis not reachable at start; retrying", { error: err.message }));
  await directory.refresh().catch((err) => log.warn("docker engine not reachable at start", { error: String(err) }));
  const unwatch = engine.watch((event) => {
    upStates.onEvent(event);
    if (event.kind === "declared-changed") void directory.refresh().catch(() => undefined);
    if (event.kind === "stopped" || event.kind === "paused") waker.forget(event.tenant);
    if (event.kind === "removed") waker.removed(event.tenant);
  });
  const resync = setInterval(() => void directory.refresh().catch(() => undefined), 60_000);
  resync.unref();
  reaper.start(config.reaperIntervalMs);
  const disk = new DiskWatch(engine, directory, metrics, events);
  disk.start(config.diskCheckSeconds * 1000);
  watchdog.start();
  const stopUsage = usage.start(USAGE_FLUSH_MS);

  const apiKeys = new ApiKeys(redis, prefix, { maxPerTenant: config.apiKeysPerTenant });
  const keyedTunnels = new KeyedTunnels(apiKeys);
  const server = createServer({
    stack: config.stack,
    adminToken: config.adminToken,
    adminSessions: new AdminSessions(redis, prefix, new URL(config.publicUrl).protocol === "https:"),
    redis,
    engine,
    directory,
    sessions,
    signInCodes: new SignInCodes(redis, config.stack),
    origins: new Origins(config.publicUrl, config.tenantBaseDomain, (host) => directory.byHostname(host)?.id, (tenant) => directory.get(tenant)?.ports ?? []),
    identity: identitySource(config, directory),
    waker,
    proxy,
    connections: new ConnectionLimiter(metrics),
    activity,
    quota: new DailyQuota(redis, prefix),
    usage,
    events,
    usageRetentionDays: config.usageRetentionDays,
    lock,
    holds,
    metrics,
    watchdogHistory,
    descriptors,
    clients: new ClientAddresses(config.trustedProxies),
    loginThrottle: new LoginThrottle(redis, prefix, config.loginThrottle),
    apiKeys,
    keyedTunnels,
    // Only the per-client bound: a key is 256 random bits, nothing to guess together, and a tenant-wide bound
    // would let anyone lock a tenant's programs out by sending bad keys.
    apiKeyThrottle: new LoginThrottle(redis, `${prefix}api-key-`, { ...config.apiKeyThrottle, perTenant: Number.MAX_SAFE_INTEGER }),
    disk,
    drain,
  });
  const hosts = ["127.0.0.1", ...(config.listenNetwork ? await listenAddresses(config, config.listenNetwork) : [])];
  const stopAccepting = await listenOn(server, config.port, hosts, (err) => {
    if (!descriptors.noteError(err)) throw err;
  });
  const unstuck = descriptors.exitWhenStuck(config.exhaustedExitSeconds * 1000, (state) => {
    log.error("file descriptors exhausted; exiting so the container restarts", { ...state, seconds: config.exhaustedExitSeconds });
    process.exit(1);
  });
  log.info("supervisor listening", { hosts, port: config.port, stack: config.stack, publicUrl: config.publicUrl, tenantBaseDomain: config.tenantBaseDomain, identity: config.identity, tenants: directory.all().length });

  /**
   * A drain, not a drop (a rolling replacement stops one supervisor while another serves): no new
   * connection is accepted, /live and /ready say draining, WebSockets get 1012 and every request already
   * taken, held wakes included, is answered within drainSeconds; then the background work and the store
   * connection end. Redis stays up until then: a held wake still needs its lock.
   */
  const shutdown = (signal: string) => {
    if (drain.draining) return;
    const started = Date.now();
    log.info("draining", { signal, seconds: config.drainSeconds });
    reaper.stop();
    disk.stop();
    watchdog.stop();
    unstuck();
    drain.start();
    let exiting = false;
    const exit = (drained: boolean) => {
      if (exiting) return;
      exiting = true;
      // The last flush of usage gets a moment, not forever (the store may be the thing that is down).
      setTimeout(() => process.exit(0), 2_000).unref();
      unwatch();
      keyedTunnels.stop();
      activity.close();
      void stopUsage().finally(() => {
        redis.disconnect();
        log.info(drained ? "drained; exiting" : "drain bound reached; exiting with requests still open", { ms: Date.now() - started });
        process.exit(0);
      });
    };
    const bound = setTimeout(() => exit(false), config.drainSeconds * 1000);
    stopAccepting(() => {
      clearTimeout(bound);
      exit(true);
    });
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
