import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { demux } from "../../runtime/engine/docker-logs";
import { LABEL } from "../../runtime/engine/labels";
import { docker } from "./docker";
import { BASE_IMAGE } from "./tenants";

/** The host's disk driver (started like dockerd, and left running like it: the daemon keeps asking it). */
export const DISK_DRIVER = "dormer-disk";
const repoRoot = path.resolve(__dirname, "..", "..");

export function ensureDiskDriver(): void {
  execFileSync("bash", [path.join(repoRoot, "scripts", "disk-driver.sh")], { stdio: ["ignore", "ignore", "inherit"] });
}

/** The driver's log: what it did, in JSON lines. */
export function driverLog(): Array<Record<string, unknown>> {
  const file = path.join(process.env.HOME ?? "/root", ".cache", "dormer", `disk-driver-${DISK_DRIVER}.log`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface TestDisk {
  disk: string;
  files: string;
  data: string;
  /** Removes both volumes, and with them the disk. */
  remove(): Promise<void>;
}

/** A tenant-like disk: two volumes (files, data) on one disk of a unique name, or of the names a stack gives them. */
export async function testDisk(prefix: string, opts: { names?: (kind: "files" | "data") => string; disk?: string } = {}): Promise<TestDisk> {
  const disk = opts.disk ?? `${prefix}-${crypto.randomBytes(3).toString("hex")}`;
  const volume = async (kind: "files" | "data") => {
    const name = opts.names?.(kind) ?? `${disk}-${kind}`;
    await docker.createVolume({
      Name: name,
      Driver: DISK_DRIVER,
      DriverOpts: { disk, owner: "10001:10001" },
    });
    return name;
  };
  const files = await volume("files");
  const data = await volume("data");
  return {
    disk,
    files,
    data,
    remove: async () => {
      for (const name of [files, data]) await docker.getVolume(name).remove().catch(() => undefined);
    },
  };
}

export interface Run {
  exitCode: number;
  output: string;
  ms: number;
}

/**
 * Runs `script` as the tenant user with the disk's volumes at /files and /state, declaring `diskMb` the way the
 * program does (a label on the container), and removes the container. Every write in a script must be
 * bounded (dd count=): a disk that failed to mount must not let a test fill the host.
 */
export async function runOnDisk(d: TestDisk, diskMb: number, script: string, extra: { name?: string; restart?: boolean } = {}): Promise<Run> {
  const started = Date.now();
  const container = await docker.createContainer({
    name: extra.name,
    Image: BASE_IMAGE,
    User: "10001:10001",
    Cmd: ["sh", "-c", script],
    Labels: { [LABEL.diskMb]: String(diskMb) },
    HostConfig: {
      Binds: [`${d.files}:/files`, `${d.data}:/state`],
      NetworkMode: "none",
      ...(extra.restart ? { RestartPolicy: { Name: "unless-stopped" } } : {}),
    },
  });
  if (extra.restart) {
    await container.start();
    return { exitCode: 0, output: "", ms: Date.now() - started };
  }
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    return { exitCode: StatusCode, output: demux(await container.logs({ stdout: true, stderr: true })), ms: Date.now() - started };
  } finally {
    await container.remove({ force: true });
  }
}

export interface DiskStatus {
  disk: string;
  quotaMb: number;
  capacityBytes: number;
  usedBytes: number;
  mounted: boolean;
}

export async function diskStatus(volume: string): Promise<DiskStatus> {
  return (await docker.getVolume(volume).inspect()).Status as unknown as DiskStatus;
}

/** Bytes dd reports it wrote: "6553600 bytes (6.6 MB, 6.2 MiB) copied". */
export function bytesWritten(ddOutput: string): number {
  const m = /(\d+) bytes .*copied/.exec(ddOutput);
  if (!m) throw new Error(`no dd summary in: ${ddOutput}`);
  return Number(m[1]);
}
