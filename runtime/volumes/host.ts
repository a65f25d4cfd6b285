// The host tools the disk driver drives. It runs as root on the host (not in a container): it attaches loop
// devices and mounts file systems the Docker daemon then binds into tenant containers.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

export class HostCommandError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`${command} failed (exit ${code}): ${output.trim() || "no output"}`);
    this.name = "HostCommandError";
  }
}

/** Runs a host tool without a shell; resolves with its stdout, rejects naming the command and its stderr. */
export function run(file: string, args: string[], okCodes: number[] = [0]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
      if (code !== null && okCodes.includes(code)) resolve(stdout);
      // Some tools (e2fsck) say why they stopped on stdout.
      else reject(new HostCommandError([file, ...args].join(" "), code, [stdout, stderr].filter(Boolean).join("\n") || String(err?.message ?? "")));
    });
  });
}

/** Whether `dir` is a mount point in this mount namespace (the host's). */
export async function isMountPoint(dir: string): Promise<boolean> {
  const info = await readFile("/proc/self/mountinfo", "utf8");
  // Field 5 is the mount point, with spaces and the like octal-escaped.
  return info.split("\n").some((line) => unescapeMountPath(line.split(" ")[4] ?? "") === dir);
}

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}
