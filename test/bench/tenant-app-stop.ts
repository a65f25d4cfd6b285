// `npm run bench:tenant-stop`: how long the tenant app takes from SIGTERM to exit with an idle keep-alive
// connection open (what `docker stop` waits for when a tenant is put to sleep). Its tests check that it stops
// cleanly; this measures how fast, on an idle machine, over ROUNDS runs.
import * as http from "http";
import { startApp, tempDirs } from "../tenant-app/harness";
import { ms, quantile } from "./stats";

const ROUNDS = Number(process.env.BENCH_STOP_ROUNDS ?? 20);
/** What the app aims for: well inside docker stop's 10 s, and far from its own 5 s forced exit. */
const TARGET_MS = 1000;

async function once(): Promise<number> {
  const dirs = tempDirs();
  try {
    const app = await startApp(dirs);
    const agent = new http.Agent({ keepAlive: true });
    await new Promise((resolve) => http.get(`${app.url}/health`, { agent }, (res) => res.resume().on("end", resolve)));
    const started = performance.now();
    const code = await app.stop();
    const took = performance.now() - started;
    agent.destroy();
    if (code !== 0) throw new Error(`the tenant app exited with ${code}`);
    return took;
  } finally {
    dirs.remove();
  }
}

async function main(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await once());
  console.log(`tenant app stop with an idle keep-alive connection, ${ROUNDS} runs: p50 ${ms(quantile(times, 0.5))}, p95 ${ms(quantile(times, 0.95))}, max ${ms(Math.max(...times))}`);
  const over = times.filter((t) => t >= TARGET_MS).length;
  if (over > 0) {
    console.log(`${over} of ${ROUNDS} runs took ${TARGET_MS} ms or more`);
    process.exitCode = 1;
  }
}

void main();
