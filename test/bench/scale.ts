// The "1 000 tenants" part of `npm run bench`: brings a real stack of that many tenants up on this host (every
// network, volume and container), measures the operations that must stay fast at that size, and takes it down.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Redis from "ioredis";
import { Activity } from "../../runtime/wake/activity";
import { DockerEngine } from "../../runtime/engine/docker";
import { EngineDirectory } from "../../runtime/engine/directory";
import { Metrics } from "../../runtime/observe/metrics";
import { TenantEvents } from "../../runtime/observe/tenant-events";
import { UsageLedger } from "../../runtime/observe/usage";
import { Reaper } from "../../runtime/wake/reaper";
import { UpStates } from "../../runtime/engine/up-states";
import { RedisWakeLock } from "../../runtime/wake/wake-lock";
import { Waker } from "../../runtime/wake/waker";
import { docker, inspectContainer } from "../support/docker";
import { dormerOk } from "../support/dormer-cli";
import { manyTenants, ManyTenantsFile, tenantId, toYaml } from "../support/many-tenants";
import { startRedis } from "../support/redis-server";
import { login, siteOf } from "../support/supervisor";
import { bareStart } from "./bare-start";
import { timedGet } from "./http-timing";
import { stoppable, track, unlessStopped } from "./interrupt";
import { ms, quantile, spread } from "./stats";

const STACK = "bench";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:28088";
const CLI = path.resolve(__dirname, "../../cli/bin/dormer");
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

export interface ScaleOptions {
  tenants: number;
  wakeRounds: number;
  /** Tenants woken besides the measured one, so the thousand are not all asleep. */
  awake: number;
}

interface Run {
  seconds: number;
  /** Largest sum of the CLI's and the engine's RSS seen at one moment; its plugins (stand-ins, policy pack) apart. */
  peakCliEngineMb: number;
  /** The CLI's own RSS at that moment; the rest of the sum is the engine's. */
  cliAtPeakMb: number;
  peakPluginsMb: number;
  stdout: string;
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Children started by any of the process's threads: the engine (Go) starts its plugins from any of them. */
function childrenOf(pid: number): number[] {
  let threads: string[];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return threads.flatMap((tid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

/** Runs the CLI and samples its process tree's memory every 200 ms. */
function timedCli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    unlessStopped();
    const child = spawn(CLI, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    track(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    let peakCliEngine = 0;
    let cliAtPeak = 0;
    let peakPlugins = 0;
    const sample = setInterval(() => {
      let cliEngine = 0;
      let plugins = 0;
      const walk = (pid: number) => {
        const kb = rssKb(pid);
        if (/plugins\/(docker|random)\/main\.ts|pulumi-resource-|run-policy-pack/.test(commandOf(pid))) plugins += kb;
        else cliEngine += kb;
        childrenOf(pid).forEach(walk);
      };
      if (!child.pid) return;
      walk(child.pid);
      if (cliEngine > peakCliEngine) [peakCliEngine, cliAtPeak] = [cliEngine, rssKb(child.pid)];
      peakPlugins = Math.max(peakPlugins, plugins);
    }, 200);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(sample);
      if (code !== 0) reject(new Error(`dormer ${args.join(" ")} exited ${code}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
      else resolve({ seconds: (Date.now() - started) / 1000, peakCliEngineMb: peakCliEngine / 1024, cliAtPeakMb: cliAtPeak / 1024, peakPluginsMb: peakPlugins / 1024, stdout });
    });
  });
}

async function adminSleep(token: string, tenant: string): Promise<void> {
  const res = await fetch(`${GATEWAY}/admin/tenants/${tenant}/sleep`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`sleep ${tenant}: ${res.status} ${await res.text()}`);
}

interface Outputs {
  adminToken: string;
  tenantKeys: Record<string, string>;
}

async function outputs(env: Record<string, string>): Promise<Outputs> {
  return JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as Outputs;
}

/** The tenant's wakes through the gateway, each followed by a bare `docker start` of its container: same machine. */
async function wakeTimes(out: Outputs, id: string, rounds: number): Promise<{ wakes: number[]; bare: number[] }> {
  const cookie = await login(GATEWAY, id, out.tenantKeys[id]!);
  await timedGet(`${siteOf(GATEWAY, id)}/messages?limit=1`, { cookie }); // the first wake also joins the network
  const wakes: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < rounds; i++) {
    unlessStopped();
    await adminSleep(out.adminToken, id);
    await sleep(300);
    const t = await timedGet(`${siteOf(GATEWAY, id)}/messages?limit=1`, { cookie });
    if (t.status !== 200) throw new Error(`wake of ${id} answered ${t.status}`);
    wakes.push(t.firstByteMs);
    await adminSleep(out.adminToken, id);
    await sleep(300);
    bare.push(await bareStart(`${PREFIX}-tenant-${id}`));
  }
  await adminSleep(out.adminToken, id);
  return { wakes, bare };
}

/**
 * The supervisor's memory as its cgroup counts it, without the page cache (what `docker stats` shows): the
 * larger of its replicas' (dormer:supervisorReplicas, 2 on the bench stack), each holding every tenant's state.
 */
async function supervisorMb(): Promise<number> {
  let mb = 0;
  for (const i of [1, 2]) {
    const s = await docker.getContainer(`${PREFIX}-supervisor-${i}`).stats({ stream: false });
    const cache = (s.memory_stats.stats as Record<string, number> | undefined)?.inactive_file ?? 0;
    mb = Math.max(mb, ((s.memory_stats.usage ?? 0) - cache) / 2 ** 20);
  }
  return mb;
}

/** The reaper's pass as the supervisor runs it, in this process, against this stack's containers. */
async function reaperPassMs(awake: string[], passes: number): Promise<number[]> {
  const redisServer = await startRedis();
  const redis = new Redis(redisServer.url);
  let unwatch: () => void = () => undefined;
  try {
    const engine = new DockerEngine(STACK, "/var/run/docker.sock");
    const directory = new EngineDirectory(() => engine.discover());
    await directory.refresh();
    const metrics = new Metrics();
    const lock = new RedisWakeLock(redis, `${STACK}:lock:`);
    const activity = new Activity(redis, `${STACK}:activity`);
    // Every declared tenant has a recent record, so a pass decides but stops nothing.
    const now = Date.now();
    await redis.zadd(`${STACK}:activity`, ...directory.all().flatMap((t) => [now, t.id]));
    const events = new TenantEvents(redis, `${STACK}:`, new UsageLedger(redis, `${STACK}:`, 1, metrics));
    // Which tenants are up, kept from the engine's events as the supervisor keeps it: watched, then listed once.
    const upStates = new UpStates(() => engine.running());
    const connected = new Promise<void>((resolve) => {
      unwatch = engine.watch((event) => {
        upStates.onEvent(event);
        if (event.kind === "watching") resolve();
      });
    });
    await connected;
    await upStates.current();
    const reaper = new Reaper(engine, upStates, directory, activity, lock, new Waker(engine, lock, metrics, events), metrics, events);
    const times: number[] = [];
    for (let i = 0; i < passes; i++) {
      const started = process.hrtime.bigint();
      await reaper.sweep(Date.now());
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    activity.close();
    for (const id of awake) {
      if ((await inspectContainer(`${PREFIX}-tenant-${id}`))?.State.Running !== true) throw new Error(`the reaper stopped ${id}`);
    }
    return times;
  } finally {
    unwatch();
    redis.disconnect();
    await redisServer.stop();
  }
}

/**
 * `dormer down` for cleanup, in its own process group: a terminal's next ^C must not stop it half way.
 */
function cleanupDown(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(CLI, ["down", "--stack", STACK], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"], detached: true });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (err) => resolve({ code: 1, stderr: err.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/** What a failed `down` left of this stack: its containers, then its networks (each by its stack label). */
async function removeLeftovers(): Promise<void> {
  const label = { label: [`dormer.stack=${STACK}`] };
  for (const c of await docker.listContainers({ all: true, filters: label })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const n of await docker.listNetworks({ filters: label })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
}

/** Takes the stack down and removes every Docker object labelled with it; true when `down` alone did it. */
async function cleanUp(env: Record<string, string>): Promise<boolean> {
  const down = await cleanupDown(env);
  if (down.code !== 0) console.error(`bench: scale: down exited ${down.code}, removing what is left by label\n${down.stderr.slice(-2000)}`);
  await removeLeftovers();
  await removeVolumes();
  return down.code === 0;
}

async function removeVolumes(): Promise<void> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
const s = (seconds: number) => `${seconds.toFixed(1)} s`;

/** Returns the markdown table of the "1 000 tenants" section. */
export function scale(opts: ScaleOptions): Promise<string[]> {
  return stoppable(() => measure(opts));
}

async function measure(opts: ScaleOptions): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-bench-scale-"));
  const env = { DORMER_TENANTS_FILE: path.join(dir, "tenants.yaml") };
  const write = (file: ManyTenantsFile) => fs.writeFileSync(env.DORMER_TENANTS_FILE, toYaml(file));
  const measured = tenantId(1);
  const rows: string[] = [];
  const row = (what: string, value: string, target = "", ok?: boolean) =>
    rows.push(`| ${what} | ${value} | ${target} | ${ok === undefined ? "" : verdict(ok)} |`);
  try {
    // A run that was killed outright (nothing can clean up after SIGKILL) left its stack: start from nothing.
    await cleanUp(env);
    // The same tenant's wake on a 3-tenant stack, for the comparison below.
    console.error("bench: scale: wake on a 3-tenant stack");
    write(manyTenants(3));
    await timedCli(["up", "--stack", STACK], env);
    const small = await wakeTimes(await outputs(env), measured, opts.wakeRounds);
    await timedCli(["down", "--stack", STACK], env);
    await removeVolumes();

    const file = manyTenants(opts.tenants);
    write(file);
    console.error(`bench: scale: validate, then up of ${opts.tenants} tenants from empty`);
    const validate = await timedCli(["validate", "--stack", STACK], env);
    const up = await timedCli(["up", "--stack", STACK], env);
    const networks = await docker.listNetworks({ filters: { label: [`dormer.stack=${STACK}`] } });
    const containers = await docker.listContainers({ all: true, filters: { label: [`dormer.stack=${STACK}`, "dormer.role=tenant"] } });
    if (containers.length !== opts.tenants) throw new Error(`${containers.length} tenant containers, expected ${opts.tenants}`);

    // Each preview twice: as it runs (the unchanged tenants left out) and with --full (every tenant diffed).
    console.error("bench: scale: preview with no change");
    const same = await timedCli(["preview", "--stack", STACK, "--json"], env);
    const sameFull = await timedCli(["preview", "--stack", STACK, "--json", "--full"], env);
    const changesOf = (run: { stdout: string }) =>
      Object.entries((JSON.parse(run.stdout) as { changeSummary: Record<string, number> }).changeSummary).filter(([op, n]) => op !== "same" && n > 0);
    const [sameChanges, sameFullChanges] = [changesOf(same), changesOf(sameFull)];

    console.error("bench: scale: one tenant's change");
    const changed = tenantId(Math.ceil(opts.tenants / 2));
    write({ ...file, tenants: file.tenants.map((t) => (t.id === changed ? { ...t, limits: { memoryMb: 256 } } : t)) });
    const stepsOf = (run: { stdout: string }) => (JSON.parse(run.stdout) as { steps: { urn: string }[] }).steps;
    const onePreview = await timedCli(["preview", "--stack", STACK, "--json"], env);
    const onePreviewFull = await timedCli(["preview", "--stack", STACK, "--json", "--full"], env);
    const [steps, fullSteps] = [stepsOf(onePreview), stepsOf(onePreviewFull)];
    const oneUp = await timedCli(["up", "--stack", STACK], env);

    console.error(`bench: scale: wake among ${opts.tenants}, ${opts.awake} others awake`);
    const out = await outputs(env);
    const others = Array.from({ length: opts.awake }, (_, i) => tenantId(opts.tenants - i));
    for (const id of others) {
      unlessStopped();
      const t = await timedGet(`${siteOf(GATEWAY, id)}/messages?limit=1`, { cookie: await login(GATEWAY, id, out.tenantKeys[id]!) });
      if (t.status !== 200) throw new Error(`waking ${id} answered ${t.status}`);
    }
    const large = await wakeTimes(out, measured, opts.wakeRounds);
    unlessStopped();
    const supervisor = await supervisorMb();
    const reaper = await reaperPassMs(others, 20);

    const [small50, large50] = [quantile(small.wakes, 0.5), quantile(large.wakes, 0.5)];
    const [smallBare50, largeBare50] = [quantile(small.bare, 0.5), quantile(large.bare, 0.5)];
    row(`\`dormer validate\` of the ${opts.tenants}-tenant file (whole CLI process)`, s(validate.seconds), "≤ 1 s", validate.seconds <= 1);
    row(
      `\`up\` from empty: ${opts.tenants} tenants, ${networks.length} networks, ${containers.length} tenant containers, ${2 * opts.tenants} volumes`,
      s(up.seconds),
      "≤ 10 min",
      up.seconds <= 600,
    );
    const noChange = (changes: [string, number][]) => (changes.length === 0 ? "no changes" : `changes: ${JSON.stringify(changes)}`);
    row("preview, no change (every tenant left out, unchanged)", `${s(same.seconds)}, ${noChange(sameChanges)}`, "≤ 60 s", same.seconds <= 60 && sameChanges.length === 0);
    row("the same with `--full` (every tenant diffed)", `${s(sameFull.seconds)}, ${noChange(sameFullChanges)}`, "≤ 60 s", sameFull.seconds <= 60 && sameFullChanges.length === 0);
    const onlyChanged = (list: { urn: string }[]) => list.every((st) => st.urn.includes(`dormer:index:Tenant`) && new RegExp(`::${changed}(-\\w+)?$`).test(st.urn));
    const touched = (list: { urn: string }[]) => `${list.length} step(s), ${onlyChanged(list) ? `all of ${changed}` : "**other tenants touched**"}`;
    row(`preview of one tenant's change (memory of ${changed}; the others left out)`, `${s(onePreview.seconds)}, ${touched(steps)}`, "≤ 20 s", onePreview.seconds <= 20 && onlyChanged(steps));
    row("the same with `--full`", `${s(onePreviewFull.seconds)}, ${touched(fullSteps)}`, "≤ 20 s", onePreviewFull.seconds <= 20 && onlyChanged(fullSteps));
    row("its up (the others left out)", s(oneUp.seconds), "≤ 30 s", oneUp.seconds <= 30);
    const plugins = (runs: [string, Run][]) => Math.max(...runs.map(([, r]) => r.peakPluginsMb));
    /** The largest peak of the runs, which run it was, and how it splits between the CLI and the engine. */
    const peakOf = (runs: [string, Run][]) => {
      const [name, top] = runs.reduce((a, b) => (b[1].peakCliEngineMb > a[1].peakCliEngineMb ? b : a));
      const cli = top.cliAtPeakMb;
      return {
        mb: top.peakCliEngineMb,
        text: `${top.peakCliEngineMb.toFixed(0)} MB, in ${name} (CLI ${cli.toFixed(0)} MB, engine ${(top.peakCliEngineMb - cli).toFixed(0)} MB); stand-in plugins and policy pack ${plugins(runs).toFixed(0)} MB`,
      };
    };
    const asRun = peakOf([["the up from empty", up], ["the preview with no change", same], ["the one-change preview", onePreview], ["its up", oneUp]]);
    row("CLI + engine peak RSS: the up from empty (in batches of `upBatchTenants`) and the runs above as they run; plugins apart", asRun.text, "≤ 1 GB", asRun.mb <= 1024);
    const full = peakOf([["the no-change one", sameFull], ["the one-change one", onePreviewFull]]);
    row("the same for the two `--full` previews (every tenant at once)", full.text, "≤ 1 GB", full.mb <= 1024);
    row(`wake → first byte of ${measured}, 3-tenant stack`, spread(small.wakes));
    row(`the same among ${opts.tenants} (${opts.awake} others awake)`, spread(large.wakes));
    row("wake p50 ratio", `${(large50 / small50).toFixed(2)}×`, "≤ 1.15×", large50 / small50 <= 1.15);
    row(`bare \`docker start\` of ${measured}'s container → first byte, 3-tenant stack (alternating with the wakes)`, spread(small.bare));
    row(`the same among ${opts.tenants}`, spread(large.bare));
    row("bare start p50 ratio: Docker's own, the floor under the wake ratio", `${(largeBare50 / smallBare50).toFixed(2)}×`);
    row(`supervisor memory, ${opts.tenants} declared, ${opts.awake + 1} woken`, `${supervisor.toFixed(0)} MB`, "< 150 MB", supervisor < 150);
    row(`reaper pass, ${opts.tenants} declared, ${opts.awake} awake`, `p50 ${ms(quantile(reaper, 0.5))}, max ${ms(Math.max(...reaper))} (n=${reaper.length})`, "≤ 100 ms", Math.max(...reaper) <= 100);
  } finally {
    console.error("bench: scale: down");
    const started = Date.now();
    if (await cleanUp(env)) row("`down` of all of it", s((Date.now() - started) / 1000));
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return [`| what | measured | target | |`, `|---|---|---|---|`, ...rows];
}
