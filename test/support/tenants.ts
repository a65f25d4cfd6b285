import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import { contextHash } from "../../components/context-hash";
import { diskName, diskVolumeName } from "../../components/disk-quota";
import { LABEL, TENANT_APP_PORT } from "../../runtime/engine/labels";
import { tenantLabels } from "../../runtime/engine/declared";
import { declaredTenant } from "./declared-tenant";
import { docker } from "./docker";

const TENANT_APP = path.resolve(__dirname, "../../runtime/tenant-app");
const FENCE = path.resolve(__dirname, "../../components/images/fence");
export const BASE_IMAGE = "dormer-base:bookworm";

/** An image of this repository's, built on the host's engine once per content hash and kept for later runs. */
function builtImage(repository: string, context: string): string {
  const tag = `${repository}:${contextHash(context, [BASE_IMAGE])}`;
  try {
    execFileSync("docker", ["image", "inspect", tag], { stdio: "ignore" });
  } catch {
    execFileSync("docker", ["build", "-q", "--build-arg", `BASE_IMAGE=${BASE_IMAGE}`, "-t", tag, context], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return tag;
}

/** The real tenant app image. */
export function tenantAppImage(): string {
  return builtImage("dormer-test-tenant-app", TENANT_APP);
}

/** The host firewall fence's image (components/images/fence). */
export function fenceImage(): string {
  return builtImage("dormer-test-fence", FENCE);
}

export interface TestTenantOptions {
  idleTimeoutSeconds?: number;
  wakeTimeoutSeconds?: number;
  maxHeldRequests?: number;
  maxConnections?: number;
  requestTimeoutSeconds?: number;
  dailyRequestQuota?: number | "unlimited";
  members?: string[];
  /** Replaces the app's command, e.g. to make a tenant that never gets healthy. */
  command?: string[];
  /** Memory limit in MiB, with no swap beyond it, as the program declares it. */
  memoryMb?: number;
  /** The PID limit label the supervisor applies before starting the container. */
  pidsLimit?: number;
  /** Light sleep after this many idle seconds; labelled with memoryMb (default 256) as the program does. */
  lightSleepSeconds?: number;
  /** Host names of the tenant's own (tenants.yaml `hostnames`). */
  hostnames?: string[];
  /** Extra ports (tenants.yaml `ports`): labelled, and served by the app through DORMER_PORTS, as the program does. */
  ports?: number[];
  /** The extra ports the app really listens on, when a test needs them to differ from `ports`. */
  servedPorts?: number[];
  /** Files and data on a disk of this many MiB of the host's disk driver (scripts/disk-driver.sh), as the program declares it. */
  diskMb?: number;
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
  const volumeLabels = { [LABEL.stack]: stack, [LABEL.tenant]: id };
  const onDisk = (kind: "files" | "data") => diskVolumeName(`dormer-${stack}`, id, kind);
  if (opts.diskMb === undefined) {
    await docker.createVolume({ Name: `${base}-data`, Labels: volumeLabels });
  } else {
    for (const kind of ["files", "data"] as const) {
      await docker.createVolume({ Name: onDisk(kind), Driver: "dormer-disk", DriverOpts: { disk: diskName(`dormer-${stack}`, id), owner: "10001:10001" }, Labels: volumeLabels });
    }
  }
  const served = opts.servedPorts ?? opts.ports ?? [];
  await docker.createContainer({
    name: base,
    Image: tenantAppImage(),
    ...(opts.command ? { Cmd: opts.command } : {}),
    Env: [
      `DORMER_TENANT_ID=${id}`,
      `PORT=${TENANT_APP_PORT}`,
      "FILES_DIR=/data/files",
      "DATA_DIR=/data/state",
      ...(served.length ? [`DORMER_PORTS=${served.join(",")}`] : []),
    ],
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
        maxConnections: opts.maxConnections ?? 1000,
        requestTimeoutSeconds: opts.requestTimeoutSeconds ?? 60,
        dailyRequestQuota: opts.dailyRequestQuota ?? "unlimited",
        members: opts.members ?? [],
        hostnames: opts.hostnames ?? [],
        ports: opts.ports ?? [],
        accessKeySha256: crypto.createHash("sha256").update(key).digest("hex"),
        ...(opts.pidsLimit === undefined ? {} : { pidsLimit: opts.pidsLimit }),
        ...(opts.lightSleepSeconds === undefined ? {} : { lightSleepSeconds: opts.lightSleepSeconds, memoryMb: opts.memoryMb ?? 256 }),
        ...(opts.diskMb === undefined ? {} : { disk: { sizeMb: opts.diskMb, volume: onDisk("files") } }),
      }),
    ),
    HostConfig: {
      ...(opts.memoryMb === undefined ? {} : { Memory: opts.memoryMb * 1024 * 1024, MemorySwap: opts.memoryMb * 1024 * 1024 }),
      NetworkMode: network,
      Binds: opts.diskMb === undefined ? [`${base}-data:/data/state`] : [`${onDisk("files")}:/data/files`, `${onDisk("data")}:/data/state`],
      RestartPolicy: { Name: "unless-stopped" },
    },
  });
  return { id, key, container: base, network };
}

/**
 * Replaces a tenant's container with a new one of the same name and declaration, stopped, as `dormer up`
 * does when a tenant changes (delete first, then create), gapMs after the delete; `labels` are changed on the
 * way.
 */
export async function replaceContainer(container: string, labels: Record<string, string> = {}, gapMs = 0): Promise<string> {
  const old = await docker.getContainer(container).inspect();
  await docker.getContainer(container).remove({ force: true });
  if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
  const created = await docker.createContainer({
    name: container,
    Image: old.Config.Image,
    Cmd: old.Config.Cmd,
    Env: old.Config.Env,
    Labels: { ...old.Config.Labels, ...labels },
    HostConfig: { Memory: old.HostConfig.Memory, MemorySwap: old.HostConfig.MemorySwap, NetworkMode: old.HostConfig.NetworkMode, Binds: old.HostConfig.Binds, RestartPolicy: old.HostConfig.RestartPolicy },
  });
  return created.id;
}

/**
 * Gives a tenant a new deploy-time key as `dormer rotate-key` does: the container is replaced with the new
 * key's hash on its labels. Returns the new key.
 */
export async function rotateKey(tenant: TestTenant): Promise<string> {
  const key = crypto.randomBytes(16).toString("hex");
  await replaceContainer(tenant.container, { [LABEL.accessKeySha256]: crypto.createHash("sha256").update(key).digest("hex") });
  tenant.key = key;
  return key;
}

/** Removes every container, network and volume a runtime test made for its stack. */
export async function removeStack(stack: string): Promise<void> {
  const filters = { label: [`${LABEL.stack}=${stack}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}
