// `BENCH_ONLY=connections npm run bench`: the connections soak on the bench stack. One tenant (noisy) takes
// 2 000 held WebSockets and 20 000 open/abrupt-close cycles while another (quiet) is asked every 100 ms;
// then the most WebSockets the host holds at once across tenants, in steps, each step echoed with 0 errors.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerFds, containerPid, openFds } from "../support/fds";
import { docker } from "../support/docker";
import { dormer, dormerOk } from "../support/dormer-cli";
import { login, siteOf } from "../support/supervisor";
import { RawWebSocket } from "../tenant-app/ws-client";
import { timedGet } from "./http-timing";
import { ms, quantile } from "./stats";

const STACK = "bench";
const PREFIX = `dormer-${STACK}`;
const GATEWAY = "http://127.0.0.1:28088";
const PORT = 28088;
const HELD = Number(process.env.BENCH_SOAK_HELD ?? 2000);
const CYCLES = Number(process.env.BENCH_SOAK_CYCLES ?? 20_000);
const CYCLE_CONCURRENCY = 64;
const WIDE = ["wide-a", "wide-b", "wide-c", "wide-d"];
const CAPS: Record<string, number> = { noisy: 4000, quiet: 100, ...Object.fromEntries(WIDE.map((id) => [id, 1200])) };
const STEP = 1000;
const TEXT = 0x1;

// Caps add up to 8 900, within the bench stack's budget of 9 000 (stacks/Pulumi.bench.yaml).
const TENANTS = `version: 1
plans:
  soak:
    cpus: 1
    memoryMb: 512
    idleTimeoutMinutes: 1440
    egress: false
    dailyRequestQuota: unlimited
tenants:
${Object.entries(CAPS).map(([id, cap]) => `  - id: ${id}\n    plan: soak\n    limits:\n      maxConnections: ${cap}`).join("\n")}
`;

const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));

function within<T>(p: Promise<T>, msec: number, what: string): Promise<T> {
  return Promise.race([p, sleep(msec).then(() => Promise.reject(new Error(`${what}: no answer in ${msec} ms`)))]);
}

/** Opens a WebSocket to the tenant through the gateway and proves it with one echo. */
async function echoing(tenant: string, cookie: string): Promise<RawWebSocket> {
  const ws = await within(RawWebSocket.connect(PORT, { cookie }, `${tenant}.localhost:${PORT}`), 30_000, "handshake");
  ws.socket.on("error", () => undefined);
  ws.send(TEXT, "ping");
  const frame = await within(ws.next(), 30_000, "echo");
  if (frame.payload.toString() !== "ping") throw new Error(`echo answered ${frame.payload.toString()}`);
  return ws;
}

/** Leaves without a close frame, three ways in turn: FIN, plain destroy, TCP reset. */
function abruptly(ws: RawWebSocket, i: number): void {
  if (i % 3 === 0) ws.socket.end();
  else if (i % 3 === 1) ws.socket.destroy();
  else ws.socket.resetAndDestroy();
}

async function fds(): Promise<{ supervisor: number; gateway: number }> {
  // The gateway shares connections between the supervisor's replicas: theirs are counted together.
  const supervisor = (await Promise.all([1, 2].map(async (i) => openFds(await containerPid(`${PREFIX}-supervisor-${i}`))))).reduce((a, b) => a + b, 0);
  return { supervisor, gateway: await containerFds(`${PREFIX}-gateway`) };
}

/** Waits (up to 30 s: the half-close grace is 2 s) for both back within slack of the baseline. */
async function settled(baseline: { supervisor: number; gateway: number }): Promise<{ supervisor: number; gateway: number; seconds: number }> {
  const started = Date.now();
  let now = await fds();
  while (Date.now() - started < 30_000 && (now.supervisor > baseline.supervisor + 4 || now.gateway > baseline.gateway + 4)) {
    await sleep(500);
    now = await fds();
  }
  return { ...now, seconds: (Date.now() - started) / 1000 };
}

/** In batches, so the handshakes do not all queue at once; returns the sockets and the count that failed. */
async function openMany(targets: { tenant: string; cookie: string }[], batch = 200): Promise<{ open: RawWebSocket[]; errors: number; firstError?: string }> {
  const open: RawWebSocket[] = [];
  let errors = 0;
  let firstError: string | undefined;
  for (let i = 0; i < targets.length; i += batch) {
    const results = await Promise.allSettled(targets.slice(i, i + batch).map((t) => echoing(t.tenant, t.cookie)));
    for (const r of results) {
      if (r.status === "fulfilled") open.push(r.value);
      else {
        errors++;
        firstError ??= String(r.reason?.message ?? r.reason);
      }
    }
  }
  return { open, errors, firstError };
}

export async function connectionsSoak(): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-bench-conns-"));
  const env = { DORMER_TENANTS_FILE: path.join(dir, "tenants.yaml") };
  fs.writeFileSync(env.DORMER_TENANTS_FILE, TENANTS);
  const lines: string[] = [];
  try {
    console.error("bench: connections: dormer up --stack bench");
    await dormerOk(["up", "--stack", STACK], env);
    const { tenantKeys } = JSON.parse((await dormerOk(["outputs", "--stack", STACK, "--json", "--show-secrets"], env)).stdout) as { tenantKeys: Record<string, string> };
    const cookies: Record<string, string> = {};
    for (const id of Object.keys(CAPS)) {
      cookies[id] = await login(GATEWAY, id, tenantKeys[id]!);
      (await echoing(id, cookies[id]!)).socket.destroy(); // woken, and its network joined
    }
    await sleep(3000);
    const baseline = await fds();

    // The quiet tenant, every 100 ms on a new connection, for the whole soak.
    const quiet: number[] = [];
    let quietErrors = 0;
    let probing = true;
    const prober = (async () => {
      while (probing) {
        const next = sleep(100);
        await timedGet(`${siteOf(GATEWAY, "quiet")}/messages?limit=1`, { cookie: cookies.quiet! }).then(
          (t) => (t.status === 200 ? quiet.push(t.firstByteMs) : quietErrors++),
          () => quietErrors++,
        );
        await next;
      }
    })();

    console.error(`bench: connections: ${HELD} held WebSockets to noisy`);
    const held = await openMany(Array.from({ length: HELD }, () => ({ tenant: "noisy", cookie: cookies.noisy! })));
    const duringHeld = await fds();
    console.error(`bench: connections: ${CYCLES} open/abrupt-close cycles on noisy`);
    const cycleStart = Date.now();
    let cycleErrors = 0;
    let firstCycleError: string | undefined;
    let done = 0;
    await Promise.all(Array.from({ length: CYCLE_CONCURRENCY }, async () => {
      while (done < CYCLES) {
        const i = done++;
        try {
          abruptly(await echoing("noisy", cookies.noisy!), i);
        } catch (err) {
          cycleErrors++;
          firstCycleError ??= String((err as Error).message);
        }
      }
    }));
    const cycleSeconds = (Date.now() - cycleStart) / 1000;
    held.open.forEach((ws, i) => abruptly(ws, i));
    probing = false;
    await prober;
    const afterSoak = await settled(baseline);

    // The most WebSockets held at once across tenants, within their caps, in steps of STEP.
    console.error("bench: connections: the most concurrent WebSockets with 0 errors");
    const slots = [
      ...Array.from({ length: CAPS.noisy! }, () => "noisy"),
      ...WIDE.flatMap((id) => Array.from({ length: CAPS[id]! }, () => id)),
    ].sort((a, b) => (a === b ? 0 : a < b ? -1 : 1));
    // Interleave the tenants so every step spreads across them.
    const order = slots.map((_, i) => slots[(i * 7919) % slots.length]!);
    const holding: RawWebSocket[] = [];
    let most = 0;
    let stepFailure: string | undefined;
    for (let n = STEP; n <= order.length + STEP - 1 && !stepFailure; n += STEP) {
      const want = order.slice(holding.length, Math.min(n, order.length)).map((tenant) => ({ tenant, cookie: cookies[tenant]! }));
      const step = await openMany(want);
      holding.push(...step.open);
      // Every one held still answers, not only the new ones.
      const echoes = await Promise.allSettled(holding.map(async (ws) => {
        ws.send(TEXT, "ping");
        await within(ws.next(), 30_000, "echo");
      }));
      const lost = echoes.filter((e) => e.status === "rejected").length;
      if (step.errors + lost > 0) stepFailure = `${step.errors} refused or failed opening, ${lost} held ones silent, at ${holding.length + step.errors}: ${step.firstError ?? "echo timeout"}`;
      else most = holding.length;
      console.error(`bench: connections: ${holding.length} held, ${step.errors + lost} errors`);
    }
    const atMost = await fds();
    holding.forEach((ws, i) => abruptly(ws, i));
    const afterMost = await settled(baseline);

    const verdict = (ok: boolean) => (ok ? "met" : "**missed**");
    const back = (a: { supervisor: number; gateway: number }) => a.supervisor <= baseline.supervisor + 4 && a.gateway <= baseline.gateway + 4;
    lines.push(
      `| what | measured | target | |`,
      `|---|---|---|---|`,
      `| ${HELD} held WebSockets to noisy | ${held.open.length} open, ${held.errors} errors${held.firstError ? ` (${held.firstError})` : ""}; supervisor ${duringHeld.supervisor} fds, gateway ${duringHeld.gateway} | 0 errors | ${verdict(held.errors === 0)} |`,
      `| ${CYCLES} open/echo/abrupt-close cycles on noisy (FIN, close, reset in turn; ${CYCLE_CONCURRENCY} at a time) | ${(CYCLES / cycleSeconds).toFixed(0)} cycles/s, ${cycleErrors} errors${firstCycleError ? ` (${firstCycleError})` : ""} | 0 errors | ${verdict(cycleErrors === 0)} |`,
      `| quiet, asked every 100 ms meanwhile | ${quiet.length + quietErrors} requests, ${quietErrors} errors, p50 ${ms(quantile(quiet, 0.5))}, p99 ${ms(quantile(quiet, 0.99))} | 0 errors | ${verdict(quietErrors === 0)} |`,
      `| descriptors before → after the soak | supervisor ${baseline.supervisor} → ${afterSoak.supervisor}, gateway ${baseline.gateway} → ${afterSoak.gateway} (${afterSoak.seconds.toFixed(1)} s after the last close) | back to baseline (± 4) | ${verdict(back(afterSoak))} |`,
      `| most concurrent WebSockets through the platform, 0 errors (noisy 4 000 + 4 tenants × 1 200 caps, steps of ${STEP}, every held one echoing) | ${most}${stepFailure ? `; next step: ${stepFailure}` : " (every cap full)"}; supervisor ${atMost.supervisor} fds, gateway ${atMost.gateway} | ≥ 10 000 | ${verdict(most >= 10_000)} |`,
      `| descriptors after those close | supervisor ${afterMost.supervisor}, gateway ${afterMost.gateway} (${afterMost.seconds.toFixed(1)} s) | back to baseline (± 4) | ${verdict(back(afterMost))} |`,
    );
  } finally {
    await dormer(["down", "--stack", STACK], env);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`dormer.stack=${STACK}`] } });
    for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}
