import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contextHash } from "../../components/context-hash";
import { GATEWAY_PORT, renderNginxConf } from "../../components/gateway-config";
import { SUPERVISOR_PORT } from "../../components/supervisor";
import { freePort } from "./ports";
import { BASE_IMAGE } from "./tenants";

const GATEWAY = path.resolve(__dirname, "../../components/images/gateway");

/** The real gateway image (nginx and its entrypoint), built once per content hash and kept for later runs. */
export function gatewayImage(): string {
  const tag = `dormer-test-gateway:${contextHash(GATEWAY, [BASE_IMAGE])}`;
  try {
    execFileSync("docker", ["image", "inspect", tag], { stdio: "ignore" });
  } catch {
    execFileSync("docker", ["build", "-q", "--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, "-t", tag, GATEWAY], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return tag;
}

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * The real gateway, with the nginx.conf the program renders, in front of a supervisor run on this host at
 * `supervisorPort` (or its replicas, one port each). It shares the host's network namespace and listens on
 * 127.0.0.1 only, so clients reach it, and it the supervisor, over loopback.
 */
export async function startGateway(name: string, supervisorPort: number | number[], tenantBaseDomain = "localhost", tenantHostnames: string[] = [], cloudflaredAddress?: string): Promise<RunningGateway> {
  const port = await freePort();
  const replicas = ([] as number[]).concat(supervisorPort);
  // Rendered with a name per replica, as the program does, then pointed at each one's port on loopback.
  let conf = renderNginxConf({
    supervisorHosts: replicas.map((_, i) => `supervisor-${i + 1}`),
    supervisorPort: SUPERVISOR_PORT,
    rateLimitPerMinute: 6000,
    rateLimitBurst: 1000,
    maxBodyMb: 10,
    openFiles: 4096,
    workerConnections: 1024,
    cloudflaredAddress,
    platformHost: "127.0.0.1",
    tenantBaseDomain,
    tenantHostnames,
  }).replaceAll(`listen ${GATEWAY_PORT}`, `listen 127.0.0.1:${port}`);
  replicas.forEach((replicaPort, i) => (conf = conf.replace(`server supervisor-${i + 1}:${SUPERVISOR_PORT} `, `server 127.0.0.1:${replicaPort} `)));
  // The config volume of a real stack, as a directory holding the one nginx.conf the gateway reads.
  const confDir = fs.mkdtempSync(path.join(os.tmpdir(), "dormer-gateway-conf-"));
  fs.writeFileSync(path.join(confDir, "nginx.conf"), conf, { mode: 0o644 });
  fs.chmodSync(confDir, 0o755);
  execFileSync(
    "docker",
    ["run", "-d", "--name", name, "--network", "host", "-v", `${confDir}:/etc/dormer/conf:ro`, "-e", "DORMER_SUPERVISOR_HOST=127.0.0.1", gatewayImage()],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/live`).then((r) => r.ok, () => false))) {
    if (Date.now() > deadline) {
      const logs = execFileSync("docker", ["logs", name], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      execFileSync("docker", ["rm", "-f", name], { stdio: "ignore" });
      fs.rmSync(confDir, { recursive: true, force: true });
      throw new Error(`gateway ${name} did not answer within 30 s:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    stop: async () => {
      execFileSync("docker", ["rm", "-f", name], { stdio: "ignore" });
      fs.rmSync(confDir, { recursive: true, force: true });
    },
  };
}
