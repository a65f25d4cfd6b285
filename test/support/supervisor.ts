import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { freePort } from "./ports";
// Tenant origins are `<id>.localhost:<port>`: this process must resolve them as a browser does.
import "./localhost-names";

const MAIN = path.resolve(__dirname, "../../runtime/main.ts");
const START_TIMEOUT_MS = 60_000;

export interface SupervisorEnv {
  stack: string;
  redisUrl: string;
  sessionKey?: string;
  adminToken?: string;
  extra?: Record<string, string>;
}

export interface RunningSupervisor {
  url: string;
  port: number;
  /** The supervisor's own process (node itself, not a wrapper), e.g. to count its descriptors. */
  pid: number;
  sessionKey: string;
  adminToken: string;
  logs: () => string;
  /** Its exit code once it has exited on its own or been stopped, else null. */
  exitCode: () => number | null;
  /** SIGTERM, and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, in the middle of whatever it was doing. */
  kill(): Promise<void>;
}

/** Runs the real supervisor (runtime/main.ts) as a host process: it reaches tenants on their bridge IPs. */
export async function startSupervisor(env: SupervisorEnv): Promise<RunningSupervisor> {
  const port = await freePort();
  const sessionKey = env.sessionKey ?? crypto.randomBytes(32).toString("base64");
  const adminToken = env.adminToken ?? crypto.randomBytes(24).toString("hex");
  const child: ChildProcess = spawn(process.execPath, ["--require", "tsx/cjs", MAIN], {
    cwd: path.resolve(__dirname, "../.."),
    env: {
      ...process.env,
      PORT: String(port),
      DORMER_STACK: env.stack,
      DORMER_REDIS_URL: env.redisUrl,
      DORMER_SESSION_KEY: sessionKey,
      DORMER_ADMIN_TOKEN: adminToken,
      DORMER_PUBLIC_URL: `http://127.0.0.1:${port}`,
      DORMER_REAPER_INTERVAL_MS: "500",
      ...env.extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  // Compiling and starting main.ts takes ~1 s on an idle machine and far longer on a busy shared one:
  // wait for the answer (or the exit), with a deadline only a hang reaches.
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`supervisor exited at start:\n${output}`);
    // Any answer means it listens; a 503 (Redis or Docker not reachable yet) is for the test to judge.
    const ok = await fetch(`${url}/live`).then(() => true, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`supervisor did not answer /live within ${START_TIMEOUT_MS} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    pid: child.pid!,
    sessionKey,
    adminToken,
    logs: () => output,
    exitCode: () => child.exitCode,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
    kill: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * A tenant's own origin on a platform reached at `url` (local stacks: `http://<id>.localhost:<port>`), the
 * only place its session works.
 */
export function siteOf(url: string, tenant: string): string {
  const u = new URL(url);
  return `${u.protocol}//${tenant}.localhost${u.port ? `:${u.port}` : ""}`;
}

/**
 * Signs in as a browser would, across origins: the tenant key on the platform's origin (`url`) buys a
 * single-use code, which the tenant's origin exchanges for its session cookie. Returns the cookie
 * ("name=value"), good only on siteOf(url, tenant).
 */
export async function login(url: string, tenant: string, key: string): Promise<string> {
  const res = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tenant, key }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const { callback } = (await res.json()) as { callback: string };
  const exchanged = await fetch(callback, { headers: { accept: "application/json" } });
  if (exchanged.status !== 200) throw new Error(`sign-in code exchange failed: ${exchanged.status} ${await exchanged.text()}`);
  const cookie = exchanged.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0];
}
