import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { freePort } from "./ports";

const MAIN = path.resolve(__dirname, "../../runtime/main.ts");

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
  sessionKey: string;
  adminToken: string;
  logs: () => string;
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
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`supervisor exited at start:\n${output}`);
    const ok = await fetch(`${url}/live`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 200) throw new Error(`supervisor did not answer /live:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    sessionKey,
    adminToken,
    logs: () => output,
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

/** Logs in with a tenant key and returns the session cookie ("name=value"). */
export async function login(url: string, tenant: string, key: string): Promise<string> {
  const res = await fetch(`${url}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tenant, key }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0];
}
