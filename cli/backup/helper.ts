import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import { Readable } from "stream";
import { LABEL } from "../../runtime/engine/labels";

/**
 * Short-lived helper containers that copy a tenant's volumes: no network, every capability dropped but the
 * few a copy needs, a read-only root. They mount the volumes by name, so any volume driver works.
 */

/** Volume kind (its folder in the archive) → Docker volume name. */
export type TenantVolumes = Record<string, string>;

interface Helper {
  stdout: Readable;
  /** Resolves once the container is gone; rejects naming its exit code and what it printed on stderr. */
  done: Promise<void>;
  child: ChildProcess;
}

function runHelper(image: string, stack: string, job: string, mounts: string[], caps: string[], command: string[], stdin: boolean): Helper {
  const name = `dormer-${stack}-${job}-${crypto.randomBytes(4).toString("hex")}`;
  const args = [
    "run", "--rm", ...(stdin ? ["-i"] : []), "--name", name,
    "--label", `${LABEL.stack}=${stack}`, "--label", `${LABEL.role}=${job}`,
    "--network", "none", "--read-only", "--security-opt", "no-new-privileges:true",
    "--cap-drop", "ALL", ...caps.flatMap((c) => ["--cap-add", c]),
    ...mounts.flatMap((m) => ["-v", m]),
    "--entrypoint", command[0], image, ...command.slice(1),
  ];
  const child = spawn("docker", args, { stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const done = new Promise<void>((resolve, reject) => {
    child.on("error", (err) => reject(new Error(`could not run the ${job} helper (docker): ${err.message}`)));
    child.on("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`the ${job} helper container ${name} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || "no message"}`));
    });
  });
  // Awaited by whoever needs it; a job that failed first must not also crash on this one's rejection.
  done.catch(() => undefined);
  return { stdout: child.stdout!, done, child };
}

/** A tar stream of the volumes, each under a folder named for its kind, read-only mounts. */
export function readVolumes(image: string, stack: string, volumes: TenantVolumes): Helper {
  const kinds = Object.keys(volumes).sort();
  return runHelper(
    image, stack, "backup",
    kinds.map((k) => `${volumes[k]}:/v/${k}:ro`),
    // Root reads every file whatever its owner and mode: the tenant's uid owns them.
    ["DAC_READ_SEARCH"],
    ["tar", "-c", "-f", "-", "--format=pax", "--numeric-owner", "-C", "/v", ...kinds],
    false,
  );
}

/**
 * Unpacks an archive into each volume's `.dormer-restore` folder first; only once every byte is down does it
 * move the old content aside and the new in (renames within one file system), then delete the old. A
 * failure before that point removes the new folders and leaves the volumes as they were. (S: a symlink's
 * target is the tenant's own text, never rewritten.)
 */
export function writeVolumes(image: string, stack: string, volumes: TenantVolumes, manifestNames: string[]): Helper & { stdin: NodeJS.WritableStream } {
  const kinds = Object.keys(volumes).sort();
  const transform = kinds.map((k) => `s,^${k}/,${k}/.dormer-restore/,S;s,^${k}$,${k}/.dormer-restore,S`).join(";");
  const script = `set -eu
kinds="${kinds.join(" ")}"
cleanup() { for k in $kinds; do rm -rf "/v/$k/.dormer-restore"; done; }
trap 'cleanup' EXIT
for k in $kinds; do rm -rf "/v/$k/.dormer-restore" "/v/$k/.dormer-old"; mkdir "/v/$k/.dormer-restore"; done
tar -x -f - --numeric-owner --same-permissions ${manifestNames.map((n) => `--exclude=${n}`).join(" ")} --transform '${transform}' -C /v
trap - EXIT
for k in $kinds; do
  d="/v/$k"
  mkdir "$d/.dormer-old"
  find "$d" -mindepth 1 -maxdepth 1 ! -name .dormer-restore ! -name .dormer-old -exec mv -t "$d/.dormer-old" {} +
  find "$d/.dormer-restore" -mindepth 1 -maxdepth 1 -exec mv -t "$d" {} +
  chown --reference="$d/.dormer-restore" "$d" && chmod --reference="$d/.dormer-restore" "$d"
  rmdir "$d/.dormer-restore"
  rm -rf "$d/.dormer-old"
done`;
  const helper = runHelper(
    image, stack, "restore",
    kinds.map((k) => `${volumes[k]}:/v/${k}`),
    // Ownership, modes and times as archived, whoever owns the files.
    ["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID"],
    ["sh", "-c", script],
    true,
  );
  return { ...helper, stdin: helper.child.stdin! };
}
