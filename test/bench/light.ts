// The light-sleep part of `npm run bench` (BENCH_ONLY=light): (e) a light wake against a deep wake of the same
// container through the gateway, and (f) fifty tenants taken down the ladder with the stack's paused-memory cap
// (Pulumi.bench.yaml) sending some to deep sleep: the host memory they hold, and a request to each.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { docker } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { tenantId, toYaml, ManyTenantsFile } from "../support/many-tenants";
import { login, siteOf } from "../support/supervisor";
import { timedGet, Timed } from "./http-timing";
import { ms, quantile } from "./stats";

const STACK = "bench";
const GATEWAY = "http://127.0.0.1:28088";
const MEMORY_MB = 128;
/** The stack's dormer:pausedMemoryMb in stacks/Pulumi.bench.yaml. */
const CAP_MB = 4096;
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

export interface LightOptions {
  tenants: number;
  wakeRounds: number;
}

function tenantsFile(count: number): ManyTenantsFile {
  return {
    version: 1,
    plans: {
      // The example's free plan (0.25 CPU), with the shortest light sleep a plan can have.
      light: {
        cpus: 0.25,
        memoryMb: MEMORY_MB,
        idleTimeoutMinutes: 1440,
        lightSleepAfterMinutes: 1,
        egress: false,
        dailyRequestQuota: "unlimited",
        maxHeldRequests: 100,
        wakeTimeoutSeconds: 60,
      },
    },
    tenants: Array.from({ length: count }, (_, i) => ({ id: tenantId(i + 1), plan: "light" })),
  };
}

/** Freezes the engine refused (503 pause_failed) and the bench asked again; reported beside (e). */
let refusedPauses = 0;

async function admin(token: string, tenant: string, action: "pause" | "sleep"): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${GATEWAY}/admin/tenants/${tenant}/${action}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) return;
    const body = await res.text();
    if (res.status !== 503 || attempt >= 5) throw new Error(`${action} ${tenant}: ${res.status} ${body}`);
    refusedPauses++;
    await sleep(200);
  }
}

const kindOf = (t: Timed): string => /desc="(light|deep)"/.exec(t.serverTiming ?? "")?.[1] ?? "none";

/** RSS the kernel charges to the tenant containers (cgroup v1 memory.stat total_rss, or v2 anon). */
async function tenantsRssMb(): Promise<{ mb: number; containers: number }> {
  const list = await docker.listContainers({ filters: { label: [`dormer.stack=${STACK}`, "dormer.role=tenant"] } });
  let bytes = 0;
  for (const c of list) {
    const v1 = `/sys/fs/cgroup/memory/docker/${c.Id}/memory.stat`;
    const v2 = `/sys/fs/cgroup/system.slice/docker-${c.Id}.scope/memory.stat`;
    const stat = fs.readFileSync(fs.existsSync(v1) ? v1 : v2, "utf8");
    bytes += Number(/^(?:total_rss|anon) (\d+)$/m.exec(stat)?.[1] ?? 0);
  }
  return { mb: bytes / 2 ** 20, containers: list.length };
}

async function states(): Promise<{ running: number; paused: number }> {
  const list = await docker.listContainers({ filters: { label: [`dormer.stack=${STACK}`, "dormer.role=tenant"] } });
  return { running: list.filter((c) => c.State === "running").length, paused: list.filter((c) => c.State === "paused").length };
}

/** Runs `fn` over items, `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  }));
  return out;
}

export async function lightSleep(options: LightOptions): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-bench-light-"));
  const env = { DORMER_TENANTS_FILE: path.join(dir, "tenants.yaml") };
  fs.writeFileSync(env.DORMER_TENANTS_FILE, toYaml(tenantsFile(options.tenants)));
  const ids = Array.from({ length: options.tenants }, (_, i) => tenantId(i + 1));
  try {
    console.error(`bench: light: dormer up --stack ${STACK} with ${options.tenants} tenants`);
    await dormerOk(["up", "--stack", STACK], env);
    const outputs = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as {
      adminToken: string;
      tenantKeys: Record<string, string>;
    };
    const cookies = new Map<string, string>();
    for (const id of ids) cookies.set(id, await login(GATEWAY, id, outputs.tenantKeys[id]!));
    const get = (id: string) => timedGet(`${siteOf(GATEWAY, id)}/messages?limit=1`, { cookie: cookies.get(id)! });

    // (e) the same container, woken light and deep in turn, everything else asleep.
    console.error(`bench: (e) light vs deep wake, ${options.wakeRounds} rounds each`);
    const measured = ids[0]!;
    await get(measured); // the first wake also joins the tenant's network
    const light: number[] = [];
    const deep: number[] = [];
    const wrongKind: string[] = [];
    for (let i = 0; i < options.wakeRounds; i++) {
      for (const [action, into, kind] of [["pause", light, "light"], ["sleep", deep, "deep"]] as const) {
        await admin(outputs.adminToken, measured, action);
        await sleep(300);
        const t = await get(measured);
        if (t.status !== 200) throw new Error(`${kind} wake through the gateway answered ${t.status}`);
        if (kindOf(t) !== kind) wrongKind.push(`${kind} round ${i}: Server-Timing ${t.serverTiming}`);
        into.push(t.firstByteMs);
      }
    }
    await admin(outputs.adminToken, measured, "sleep");

    // (f) every tenant awake, then left alone: the ladder pauses them and the cap stops the oldest.
    console.error(`bench: (f) ${options.tenants} tenants down the ladder, cap ${CAP_MB} MiB`);
    await pool(ids, 8, async (id) => {
      const t = await get(id);
      if (t.status !== 200) throw new Error(`waking ${id} answered ${t.status}`);
    });
    const awakeRss = await tenantsRssMb();
    const keep = Math.floor(CAP_MB / MEMORY_MB);
    const settledStarted = Date.now();
    for (;;) {
      const s = await states();
      if (s.running === 0 && s.paused <= keep) break;
      if (Date.now() - settledStarted > 300_000) throw new Error(`the ladder did not settle in 5 min: ${JSON.stringify(s)}`);
      await sleep(1000);
    }
    const settled = await states();
    const pausedRss = await tenantsRssMb();
    const answers = await pool(ids, 1, async (id) => ({ id, t: await get(id) }));
    const errors = answers.filter((a) => a.t.status !== 200).length;
    const byKind = (kind: string) => answers.filter((a) => kindOf(a.t) === kind).map((a) => a.t.firstByteMs);
    const [fl, fd] = [byKind("light"), byKind("deep")];

    const [l50, l99, d50, d99] = [quantile(light, 0.5), quantile(light, 0.99), quantile(deep, 0.5), quantile(deep, 0.99)];
    const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
    return [
      `| what | measured | target | |`,
      `|---|---|---|---|`,
      `| (e) light wake (paused → thawed) → first byte, via gateway + supervisor | p50 ${ms(l50)}, p99 ${ms(l99)} (n=${light.length}) | p50 < 50 ms, p99 < 100 ms | ${verdict(l50 < 50 && l99 < 100)} |`,
      `| (e) deep wake (stopped → started), same container | p50 ${ms(d50)}, p99 ${ms(d99)} (n=${deep.length}) | | |`,
      `| (e) pauses the engine refused and the bench asked again | ${refusedPauses} | | |`,
      `| (e) answers whose Server-Timing named the wrong kind | ${wrongKind.length}${wrongKind.length ? ` (${wrongKind.slice(0, 3).join("; ")})` : ""} | 0 | ${verdict(wrongKind.length === 0)} |`,
      `| (f) host RSS of the ${awakeRss.containers} tenants, all awake | ${awakeRss.mb.toFixed(0)} MB | | |`,
      `| (f) after the ladder: ${settled.paused} paused, ${options.tenants - settled.paused - settled.running} stopped by the cap (${CAP_MB} MiB = ${keep} × ${MEMORY_MB} MiB) | host RSS of the paused ${pausedRss.containers}: ${pausedRss.mb.toFixed(0)} MB | ≤ ${keep} paused | ${verdict(settled.paused <= keep && settled.running === 0)} |`,
      `| (f) a request to each, one at a time | ${fl.length} light: p50 ${ms(quantile(fl, 0.5))}, p99 ${ms(quantile(fl, 0.99))}; ${fd.length} deep: p50 ${ms(quantile(fd, 0.5))}, p99 ${ms(quantile(fd, 0.99))}; ${errors} errors | 0 errors | ${verdict(errors === 0)} |`,
    ];
  } finally {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
