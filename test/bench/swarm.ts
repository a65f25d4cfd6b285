// The swarm part of `npm run bench` (BENCH_ONLY=swarm): the wake of a tenant's service by the runtime's swarm
// engine against a bare `docker service scale` of the same service, alternating, on a single-node swarm of a
// dockerd of the bench's own (test/support/private-dockerd.ts), and where the swarm spends a wake's time.
import { execFile, execFileSync } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { promisify } from "util";
import Docker from "dockerode";
import { SwarmEngine } from "../../runtime/engine/swarm";
import { declaredTenant } from "../support/declared-tenant";
import { startPrivateDockerd } from "../support/private-dockerd";
import { tenantServiceSpec } from "../support/tenant-service";
import { BASE_IMAGE, tenantAppImage } from "../support/tenants";
import { ms, quantile, spread } from "./stats";

const run = promisify(execFile);
const SWARM_SCRIPT = path.resolve(__dirname, "../../scripts/swarm.sh");
// Outside the swarm's own pool (scripts/swarm.sh), every stack's and the swarm tests'.
const SUBNET = { Subnet: "10.215.254.64/28", Gateway: "10.215.254.65" };
/** How often the bench looks at the task: finer than the engine's own 50 ms, so the bare side is not slowed. */
const LOOK_MS = 10;
const STATES = ["assigned", "accepted", "preparing", "starting", "running"];
const sleep = (msec: number) => new Promise((r) => setTimeout(r, msec));
const msSince = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e6;

type Task = { DesiredState?: string; Status?: { State?: string } };

export interface SwarmOptions {
  wakeRounds: number;
}

/** Milliseconds since `since` at which each state of the service's newest task was first seen, until it runs. */
async function untilRunning(docker: Docker, service: string, since: bigint): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { service: [service], "desired-state": ["running"] } })) as Task[];
    const at = msSince(since);
    for (const t of tasks) {
      const state = t.Status?.State ?? "";
      if (!seen.has(state)) seen.set(state, at);
    }
    if (seen.has("running")) return seen;
    await sleep(LOOK_MS);
  }
}

async function untilStopped(docker: Docker, service: string): Promise<void> {
  for (;;) {
    const tasks = (await docker.listTasks({ filters: { service: [service] } })) as Task[];
    if (!tasks.some((t) => t.Status?.State === "running")) return;
    await sleep(LOOK_MS);
  }
}

const line = (label: string, xs: number[]) => `| ${label} | ${spread(xs)} |`;

export async function swarmWake(opts: SwarmOptions): Promise<string[]> {
  const appImage = tenantAppImage();
  const daemon = await startPrivateDockerd();
  const docker = daemon.docker;
  const stack = `bench${crypto.randomBytes(3).toString("hex")}`;
  const base = `dormer-bench-${stack}`;
  const tenant = declaredTenant("acme", { container: `${base}-acme`, network: `${base}-acme-net`, wakeTimeoutSeconds: 60 });
  const prober = `${base}-supervisor`;
  const anchor = `${base}-anchor`;
  try {
    execFileSync("bash", [SWARM_SCRIPT, "init"], { env: { ...process.env, DOCKER_HOST: daemon.host }, stdio: ["ignore", "ignore", "inherit"] });
    await daemon.load([appImage, BASE_IMAGE]);
    await docker.createNetwork({ Name: tenant.network, Driver: "overlay", Attachable: true, Internal: true, IPAM: { Config: [SUBNET] } });
    await docker.createService(tenantServiceSpec(stack, tenant, appImage) as never);
    // The supervisor's stand-in: a container on this node that joins the tenant's overlay as the supervisor's does.
    for (const name of [prober, anchor]) {
      await docker.createContainer({ name, Image: appImage, Cmd: ["sleep", "3600"], Entrypoint: [] }).then((c) => c.start());
    }
    const engine = new SwarmEngine(stack, daemon.socketPath, prober);
    const dormerWake = async (): Promise<{ took: number; states: Map<string, number> }> => {
      const since = process.hrtime.bigint();
      const watching = untilRunning(docker, tenant.container, since);
      await engine.start(tenant);
      await engine.address(tenant);
      const took = msSince(since);
      return { took, states: await watching };
    };
    const bareWake = async (): Promise<number> => {
      const since = process.hrtime.bigint();
      await run("docker", ["-H", daemon.host, "service", "scale", "--detach", `${tenant.container}=1`]);
      return (await untilRunning(docker, tenant.container, since)).get("running")!;
    };
    const asleep = async () => {
      await engine.stop(tenant, 0);
      await untilStopped(docker, tenant.container);
    };

    console.error(`bench: swarm wake, ${opts.wakeRounds} rounds each way`);
    await dormerWake(); // the first wake pulls nothing, but makes the overlay and the engine's caches once
    await asleep();
    const viaEngine: number[] = [];
    const bare: number[] = [];
    const timelines: Map<string, number>[] = [];
    for (let i = 0; i < opts.wakeRounds; i++) {
      const w = await dormerWake();
      viaEngine.push(w.took);
      timelines.push(w.states);
      await asleep();
      bare.push(await bareWake());
      await asleep();
    }

    // The same wakes with the tenant's overlay kept on the node while it sleeps: another container stays on it.
    console.error(`bench: swarm wake with the overlay kept on the node, ${opts.wakeRounds} rounds`);
    await docker.getNetwork(tenant.network).connect({ Container: anchor });
    const kept: number[] = [];
    for (let i = 0; i < opts.wakeRounds; i++) {
      kept.push((await dormerWake()).took);
      await asleep();
    }

    // The CLI's own wait: without --detach it watches the service converge, then checks it stays up.
    const cliWaits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const since = process.hrtime.bigint();
      await run("docker", ["-H", daemon.host, "service", "scale", `${tenant.container}=1`]);
      cliWaits.push(msSince(since));
      await asleep();
    }

    // A state that lasts less than one look (accepted, usually) is never seen.
    const p50Of = (state: string) => {
      const seen = timelines.map((t) => t.get(state)).filter((x): x is number => x !== undefined);
      return seen.length === 0 ? "not seen" : ms(quantile(seen, 0.5));
    };
    const ratio = quantile(viaEngine, 0.5) / quantile(bare, 0.5);
    return [
      "| what | measured |",
      "|---|---|",
      line("wake by the runtime's swarm engine: scale to 1, the task running, the supervisor on the tenant's overlay", viaEngine),
      line("bare `docker service scale --detach … =1` of the same service, until its task runs", bare),
      `| engine / bare, p50 | ${ratio.toFixed(2)}× |`,
      line("the engine's wake with the tenant's overlay kept on the node while it sleeps (another container on it)", kept),
      line("`docker service scale … =1` without `--detach` (the CLI waits for the service to converge and stay up)", cliWaits),
      `| where an engine wake's time goes (p50 of when each task state was first seen) | ${STATES.map((s) => `${s} ${p50Of(s)}`).join(", ")} |`,
    ];
  } finally {
    await docker.listServices({ filters: { name: [base] } }).then((all) => Promise.all(all.map((s) => docker.getService(s.ID!).remove())), () => undefined);
    for (const name of [prober, anchor]) await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
    daemon.stop();
  }
}
