// `npm run bench`: brings up the bench stack, measures wake latency, warm overhead, a wake storm and the
// supervisor's memory with 10 000 declared tenants, then a real stack of 1 000 tenants (scale.ts), and writes
// the results to docs/BENCHMARKS.md, then the connections soak (connections.ts) and the light-sleep ladder
// (light.ts), then backup and restore of a 1 GB tenant (backup.ts), then each kind of `dormer up` on a live
// stack under traffic (changes.ts), then a tenant's wake on a Docker Swarm (swarm.ts). BENCH_ONLY=base, scale,
// connections, light, backup, changes or swarm runs one part.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { countStarts, docker } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { login, siteOf } from "../support/supervisor";
import { load, timedGet } from "./http-timing";
import { measureRss } from "./rss";
import { bareStart, ipOf } from "./bare-start";
import { connectionsSoak } from "./connections";
import { backupBench } from "./backup";
import { changesBench } from "./changes";
import { swarmWake } from "./swarm";
import { lightSleep } from "./light";
import { scale } from "./scale";
import { ms, quantile } from "./stats";

const STACK = "bench";
const GATEWAY = "http://127.0.0.1:28088";
const ROOT = path.resolve(__dirname, "../..");
const WAKE_ROUNDS = Number(process.env.BENCH_WAKE_ROUNDS ?? 15);
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 8);
const CONCURRENCY = 16;
const RSS_TENANTS = Number(process.env.BENCH_RSS_TENANTS ?? 10_000);
const SCALE_TENANTS = Number(process.env.BENCH_SCALE_TENANTS ?? 1000);
const LIGHT_TENANTS = Number(process.env.BENCH_LIGHT_TENANTS ?? 50);
const ONLY = process.env.BENCH_ONLY;

const TENANTS = `version: 1
plans:
  bench:
    cpus: 1
    memoryMb: 512
    idleTimeoutMinutes: 1440
    egress: false
    dailyRequestQuota: unlimited
    maxHeldRequests: 1000
    wakeTimeoutSeconds: 60
tenants:
  - id: sleepy
    plan: bench
  - id: busy
    plan: bench
`;

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

async function adminSleep(token: string, tenant: string): Promise<void> {
  const res = await fetch(`${GATEWAY}/admin/tenants/${tenant}/sleep`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`sleep ${tenant}: ${res.status} ${await res.text()}`);
}

async function main(): Promise<void> {
  if (ONLY === undefined || ONLY === "base") await base();
  if (ONLY === undefined || ONLY === "scale") await section("scale", await scale({ tenants: SCALE_TENANTS, wakeRounds: WAKE_ROUNDS, awake: Math.min(30, SCALE_TENANTS - 2) }));
  if (ONLY === undefined || ONLY === "connections") await section("connections", await connectionsSoak());
  if (ONLY === undefined || ONLY === "light") await section("light", await lightSleep({ tenants: LIGHT_TENANTS, wakeRounds: WAKE_ROUNDS }));
  if (ONLY === undefined || ONLY === "backup") await section("backup", await backupBench());
  if (ONLY === undefined || ONLY === "changes") await section("changes", await changesBench());
  if (ONLY === undefined || ONLY === "swarm") await section("swarm", await swarmWake({ wakeRounds: WAKE_ROUNDS }));
}

/** A section's table replaces whatever sits between its two markers in docs/BENCHMARKS.md. */
async function section(name: string, lines: string[]): Promise<void> {
  const file = path.join(ROOT, "docs", "BENCHMARKS.md");
  const doc = fs.readFileSync(file, "utf8");
  const [open, close] = [`<!-- ${name} -->`, `<!-- /${name} -->`];
  if (!doc.includes(open) || !doc.includes(close)) throw new Error(`docs/BENCHMARKS.md lacks the ${open} ... ${close} markers`);
  const table = `${open}\nMachine: ${await machine()}\n\n${lines.join("\n")}\n${close}`;
  fs.writeFileSync(file, doc.slice(0, doc.indexOf(open)) + table + doc.slice(doc.indexOf(close) + close.length));
  console.log(lines.join("\n"));
}

async function machine(): Promise<string> {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Docker ${(await docker.version()).Version}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

async function base(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-bench-"));
  const env = { DORMER_TENANTS_FILE: path.join(dir, "tenants.yaml") };
  fs.writeFileSync(env.DORMER_TENANTS_FILE, TENANTS);
  const lines: string[] = [];
  try {
    console.error("bench: dormer up --stack bench");
    await dormerOk(["up", "--stack", STACK], env);
    const outputs = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as {
      adminToken: string;
      tenantKeys: Record<string, string>;
    };
    const sleepy = await login(GATEWAY, "sleepy", outputs.tenantKeys.sleepy);
    const busy = await login(GATEWAY, "busy", outputs.tenantKeys.busy);
    const sleepyContainer = `dormer-${STACK}-tenant-sleepy`;
    // Each tenant on its own origin, as a browser reaches it.
    const [SLEEPY, BUSY] = [siteOf(GATEWAY, "sleepy"), siteOf(GATEWAY, "busy")];

    // (a) wake latency, alternating the two ways so both see the same machine.
    console.error(`bench: (a) wake latency, ${WAKE_ROUNDS} rounds`);
    await timedGet(`${SLEEPY}/messages?limit=1`, { cookie: sleepy }); // first wake also joins the network
    const viaGateway: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < WAKE_ROUNDS; i++) {
      await adminSleep(outputs.adminToken, "sleepy");
      await sleep(300);
      const t = await timedGet(`${SLEEPY}/messages?limit=1`, { cookie: sleepy });
      if (t.status !== 200) throw new Error(`wake through gateway answered ${t.status}`);
      viaGateway.push(t.firstByteMs);
      await adminSleep(outputs.adminToken, "sleepy");
      await sleep(300);
      bare.push(await bareStart(sleepyContainer));
    }
    await adminSleep(outputs.adminToken, "sleepy");

    // (b) warm overhead: the same request straight to the container and through gateway + supervisor.
    console.error(`bench: (b) warm load, ${CONCURRENCY} connections x ${LOAD_SECONDS} s each way`);
    await timedGet(`${BUSY}/messages?limit=1`, { cookie: busy });
    const busyIp = await ipOf(`dormer-${STACK}-tenant-busy`);
    const directUrl = `http://${busyIp}:8080/messages?limit=1`;
    const directHeaders = { "x-user-id": "bench", "x-tenant-id": "busy" };
    await load(directUrl, directHeaders, CONCURRENCY, 2);
    const direct = await load(directUrl, directHeaders, CONCURRENCY, LOAD_SECONDS);
    await load(`${BUSY}/messages?limit=1`, { cookie: busy }, CONCURRENCY, 2);
    const proxied = await load(`${BUSY}/messages?limit=1`, { cookie: busy }, CONCURRENCY, LOAD_SECONDS);
    // One request at a time: the latency each hop adds when nothing queues behind the CPU.
    const directSerial = await load(directUrl, directHeaders, 1, LOAD_SECONDS / 2);
    const proxiedSerial = await load(`${BUSY}/messages?limit=1`, { cookie: busy }, 1, LOAD_SECONDS / 2);

    // (c) the wake storm.
    console.error("bench: (c) 200-request wake storm");
    await sleep(300);
    const starts = await countStarts(sleepyContainer);
    const storm = await Promise.all(Array.from({ length: 200 }, () => timedGet(`${SLEEPY}/messages?limit=1`, { cookie: sleepy }).catch(() => ({ status: 0, firstByteMs: NaN }))));
    await sleep(500);
    starts.stop();
    const stormErrors = storm.filter((s) => s.status !== 200).length;

    // (d) memory with many declared tenants.
    console.error(`bench: (d) supervisor RSS with ${RSS_TENANTS} declared tenants`);
    const rss = await measureRss(path.join(ROOT, ".dormer", "build", "supervisor", "supervisor.js"), RSS_TENANTS);

    const rps = (r: { requests: number; seconds: number }) => r.requests / r.seconds;
    const [gw50, gw99, b50, b99] = [quantile(viaGateway, 0.5), quantile(viaGateway, 0.99), quantile(bare, 0.5), quantile(bare, 0.99)];
    const [d50, d99, p50, p99] = [quantile(direct.latenciesMs, 0.5), quantile(direct.latenciesMs, 0.99), quantile(proxied.latenciesMs, 0.5), quantile(proxied.latenciesMs, 0.99)];
    const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
    lines.push(
      `| what | measured | target | |`,
      `|---|---|---|---|`,
      `| (a) wake → first byte, via gateway + supervisor | p50 ${ms(gw50)}, p99 ${ms(gw99)} (n=${viaGateway.length}) | | |`,
      `| (a) bare \`docker start\` → first byte, same container | p50 ${ms(b50)}, p99 ${ms(b99)} (n=${bare.length}) | | |`,
      `| (a) p50 difference | ${ms(gw50 - b50)} | ≤ 60 ms | ${verdict(gw50 - b50 <= 60)} |`,
      `| (a) p99 ratio | ${(gw99 / b99).toFixed(2)}× | ≤ 1.5× | ${verdict(gw99 / b99 <= 1.5)} |`,
      `| (b) direct to the container | ${rps(direct).toFixed(0)} req/s, p50 ${ms(d50)}, p99 ${ms(d99)}, ${direct.errors} errors | | |`,
      `| (b) through gateway + supervisor | ${rps(proxied).toFixed(0)} req/s, p50 ${ms(p50)}, p99 ${ms(p99)}, ${proxied.errors} errors | | |`,
      `| (b) throughput ratio | ${((100 * rps(proxied)) / rps(direct)).toFixed(0)} % | ≥ 80 % | ${verdict(rps(proxied) >= 0.8 * rps(direct))} |`,
      `| (b) p50 added, ${CONCURRENCY} connections (CPU saturated) | ${ms(p50 - d50)} | ≤ 1 ms | ${verdict(p50 - d50 <= 1)} |`,
      `| (b) p50 added, one request at a time | ${ms(quantile(proxiedSerial.latenciesMs, 0.5) - quantile(directSerial.latenciesMs, 0.5))} (direct ${ms(quantile(directSerial.latenciesMs, 0.5))}, proxied ${ms(quantile(proxiedSerial.latenciesMs, 0.5))}) | ≤ 1 ms | ${verdict(quantile(proxiedSerial.latenciesMs, 0.5) - quantile(directSerial.latenciesMs, 0.5) <= 1)} |`,
      `| (c) 200-request wake storm | ${starts.count()} start(s), ${stormErrors} errors, p99 ${ms(quantile(storm.map((s) => s.firstByteMs), 0.99))} | 1 start, 0 errors | ${verdict(starts.count() === 1 && stormErrors === 0)} |`,
      `| (d) supervisor RSS, ${rss.tenants} declared tenants (stopped labelled containers without networks; the 1 000-tenant run below has real ones) | ${rss.idleMb.toFixed(0)} MB idle, ${rss.afterTrafficMb.toFixed(0)} MB after traffic (declaring them took ${rss.declareSeconds.toFixed(0)} s) | < 150 MB | ${verdict(rss.afterTrafficMb < 150)} |`,
    );
  } finally {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const doc = fs.readFileSync(path.join(ROOT, "docs", "BENCHMARKS.md"), "utf8");
  const marker = "<!-- results -->";
  const results = `${marker}\nMachine: ${await machine()} (load generator and RSS run)\n\n${lines.join("\n")}\n`;
  fs.writeFileSync(path.join(ROOT, "docs", "BENCHMARKS.md"), doc.slice(0, doc.includes(marker) ? doc.indexOf(marker) : doc.length) + results);
  console.log(lines.join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
