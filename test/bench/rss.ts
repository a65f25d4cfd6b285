import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import { tenantLabels } from "../../runtime/engine/declared";
import { LABEL } from "../../runtime/engine/labels";
import { declaredTenant } from "../support/declared-tenant";
import { docker } from "../support/docker";
import { freePort } from "../support/ports";
import { startRedis } from "../support/redis-server";
import { BASE_IMAGE } from "../support/tenants";

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

function rssMb(pid: number): number {
  const line = fs.readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.split(/\s+/)[1]) / 1024;
}

export interface RssResult {
  tenants: number;
  idleMb: number;
  afterTrafficMb: number;
  declareSeconds: number;
}

/**
 * RSS of the real supervisor bundle with `count` declared tenants: that many stopped containers carrying
 * tenant labels (never started, no network), discovered through the Docker API as in production.
 */
export async function measureRss(bundle: string, count: number): Promise<RssResult> {
  const stack = `bench${crypto.randomBytes(2).toString("hex")}`;
  const ids = Array.from({ length: count }, (_, i) => `t${String(i).padStart(5, "0")}`);
  const started = Date.now();
  await inBatches(ids, 32, (id) =>
    docker.createContainer({
      name: `dormer-${stack}-tenant-${id}`,
      Image: BASE_IMAGE,
      Cmd: ["true"],
      Labels: tenantLabels(
        stack,
        declaredTenant(id, {
          displayName: `Tenant ${id}`,
          network: `dormer-${stack}-tenant-${id}-net`,
          idleTimeoutSeconds: 600,
          dailyRequestQuota: 1000,
          maxHeldRequests: 20,
          members: [`@${id}.example.com`],
          accessKeySha256: crypto.createHash("sha256").update(id).digest("hex"),
        }),
      ),
      HostConfig: { NetworkMode: "none" },
    }),
  );
  const declareSeconds = (Date.now() - started) / 1000;
  const redis = await startRedis();
  const port = await freePort();
  let child: ChildProcess | undefined;
  try {
    child = spawn(process.execPath, [bundle], {
      env: {
        ...process.env,
        PORT: String(port),
        DORMER_STACK: stack,
        DORMER_REDIS_URL: redis.url,
        DORMER_SESSION_KEY: crypto.randomBytes(32).toString("base64"),
        DORMER_ADMIN_TOKEN: crypto.randomBytes(24).toString("hex"),
        DORMER_PUBLIC_URL: `http://127.0.0.1:${port}`,
      },
      stdio: "ignore",
    });
    let tenants = 0;
    for (let i = 0; i < 600 && tenants !== count; i++) {
      await new Promise((r) => setTimeout(r, 200));
      tenants = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.json() as Promise<{ tenants: number }>).then((h) => h.tenants, () => 0);
    }
    if (tenants !== count) throw new Error(`supervisor learned ${tenants} of ${count} tenants`);
    await new Promise((r) => setTimeout(r, 2000));
    const idleMb = rssMb(child.pid!);
    for (let i = 0; i < 20; i++) await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.arrayBuffer());
    return { tenants: count, idleMb, afterTrafficMb: rssMb(child.pid!), declareSeconds };
  } finally {
    child?.kill("SIGTERM");
    await redis.stop();
    const containers = await docker.listContainers({ all: true, filters: { label: [`${LABEL.stack}=${stack}`] } });
    await inBatches(containers, 32, (c) => docker.getContainer(c.Id).remove({ force: true }));
  }
}
