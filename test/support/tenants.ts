import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { contextHash } from "../../components/context-hash";
import { LABEL, TENANT_APP_PORT } from "../../runtime/labels";
import { tenantLabels } from "../../runtime/engine/declared";
import { declaredTenant } from "./declared-tenant";
import { docker } from "./docker";

const TENANT_APP = path.resolve(__dirname, "../../runtime/tenant-app");
export const BASE_IMAGE = "dormer-base:bookworm";

/** The real tenant app image, built once per content hash and kept for later runs. */
export function tenantAppImage(): string {
  const tag = `dormer-test-tenant-app:${contextHash(TENANT_APP, [BASE_IMAGE])}`;
  try {
    execFileSync("docker", ["image", "inspect", tag], { stdio: "ignore" });
  } catch {
    execFileSync("docker", ["build", "-q", "--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, "-t", tag, TENANT_APP], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return tag;
}

export interface TestTenantOptions {
  idleTimeoutSeconds?: number;
  wakeTimeoutSeconds?: number;
  maxHeldRequests?: number;
  dailyRequestQuota?: number | "unlimited";
  members?: string[];
  /** Replaces the app's command, e.g. to make a tenant that never gets healthy. */
  command?: string[];
}

export interface TestTenant {
  id: string;
  key: string;
  container: string;
  network: string;
}

/**
 * Declares a tenant exactly as the program does (its own internal network, a data volume, a stopped
 * container with the labels the supervisor reads), without an engine run, so runtime tests stay fast.
 */
export async function declareTenant(stack: string, id: string, opts: TestTenantOptions = {}): Promise<TestTenant> {
  const base = `dormer-${stack}-tenant-${id}`;
  const key = crypto.randomBytes(16).toString("hex");
  const network = `${base}-net`;
  await docker.createNetwork({ Name: network, Internal: true, Labels: { [LABEL.stack]: stack, [LABEL.tenant]: id } });
  await docker.createVolume({ Name: `${base}-data`, Labels: { [LABEL.stack]: stack, [LABEL.tenant]: id } });
  await docker.createContainer({
    name: base,
    Image: tenantAppImage(),
    ...(opts.command ? { Cmd: opts.command } : {}),
    Env: [`DORMER_TENANT_ID=${id}`, `PORT=${TENANT_APP_PORT}`, "FILES_DIR=/data/files", "DATA_DIR=/data/state"],
    Labels: tenantLabels(
      stack,
      declaredTenant(id, {
        displayName: `Tenant ${id}`,
        plan: "test",
        container: base,
        network,
        idleTimeoutSeconds: opts.idleTimeoutSeconds ?? 600,
        wakeTimeoutSeconds: opts.wakeTimeoutSeconds ?? 30,
        maxHeldRequests: opts.maxHeldRequests ?? 500,
        dailyRequestQuota: opts.dailyRequestQuota ?? "unlimited",
        members: opts.members ?? [],
        accessKeySha256: crypto.createHash("sha256").update(key).digest("hex"),
      }),
    ),
    HostConfig: {
      NetworkMode: network,
      Binds: [`${base}-data:/data/state`],
      RestartPolicy: { Name: "unless-stopped" },
    },
  });
  return { id, key, container: base, network };
}

/** Removes every container, network and volume a runtime test made for its stack. */
export async function removeStack(stack: string): Promise<void> {
  const filters = { label: [`${LABEL.stack}=${stack}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}
