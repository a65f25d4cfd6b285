import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Docker from "dockerode";

// Sockets, pid file, exec-root and log of each daemon (one directory per daemon, named for the test process
// that owns it), and the data roots beside the host's /var/lib/docker: both outside anything the host's
// engine uses, so removing them can only remove a test daemon.
const RUN = "/run/dormer-swarmd";
const DATA = "/var/lib/dormer-swarmd";
const PREFIX = "dormer-swarmd-";
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * The daemon runs in a network namespace of its own, so its bridges, iptables rules, overlay sandboxes and
 * swarm ports live and die there. nsenter rather than `ip netns exec`, whose fresh /sys hides the cgroup
 * mounts dockerd needs: this keeps them (bound aside, moved onto the new /sys) while /sys/class/net shows this
 * namespace's devices. The private mount namespace (slave of the host's) keeps the daemon's layer mounts out
 * of the host's mount table.
 */
const LAUNCH =
  'keep="$(mktemp -d)" && mount --rbind /sys/fs/cgroup "$keep" && mount -t sysfs sysfs /sys && ' +
  'mount --move "$keep" /sys/fs/cgroup && rmdir "$keep" && exec dockerd "$@"';

interface Layout {
  netns: string;
  run: string;
  socketPath: string;
  pidfile: string;
  log: string;
  dataRoot: string;
  /** Every container's cgroup is under this, in each hierarchy: what was left running can be found. */
  cgroupParent: string;
}

function layoutOf(owner: number): Layout {
  const run = path.join(RUN, String(owner));
  return {
    netns: `${PREFIX}${owner}`,
    run,
    socketPath: path.join(run, "docker.sock"),
    pidfile: path.join(run, "dockerd.pid"),
    log: path.join(run, "dockerd.log"),
    dataRoot: path.join(DATA, String(owner)),
    cgroupParent: `${PREFIX}${owner}`,
  };
}

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);


function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

const readOr = (file: string, fallback: string) => {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return fallback;
  }
};

/**
 * Not a zombie either: the daemon is this process's child, and while a synchronous wait holds the event loop
 * Node cannot reap it, so signal 0 would still find it long after it exited.
 */
function alive(pid: number): boolean {
  const stat = readOr(`/proc/${pid}/stat`, "");
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "" && state !== "Z" && state !== "X";
}

/** The cgroup directories under the parent in every hierarchy, deepest first (the order they can be removed in). */
function cgroupDirs(parent: string): string[] {
  const dirs: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(path.join(dir, entry.name));
    dirs.push(dir);
  };
  for (const hierarchy of fs.readdirSync("/sys/fs/cgroup")) {
    const top = path.join("/sys/fs/cgroup", hierarchy, parent);
    if (fs.existsSync(top)) walk(top);
  }
  return dirs;
}

/** Stops the daemon (it stops its containers), kills whatever it left behind, and removes all it had. */
function tearDown(at: Layout): void {
  const pid = Number(readOr(at.pidfile, "0").trim());
  if (pid > 0 && readOr(`/proc/${pid}/comm`, "").trim() === "dockerd") {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (alive(pid) && Date.now() < deadline) sleepSync(100);
    if (alive(pid)) killAll([pid]);
  }
  // A daemon that was killed leaves its containerd, the shims and the containers' processes running.
  const inNetns = spawnSync("ip", ["netns", "pids", at.netns], { encoding: "utf8" }).stdout ?? "";
  killAll(inNetns.split(/\s+/).filter(Boolean).map(Number));
  for (const dir of cgroupDirs(at.cgroupParent)) {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (;;) {
      killAll(readOr(path.join(dir, "cgroup.procs"), "").split("\n").filter(Boolean).map(Number));
      try {
        fs.rmdirSync(dir);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") break;
        if (Date.now() > deadline) throw new Error(`cannot remove cgroup ${dir}: ${String(err)}`);
        sleepSync(100);
      }
    }
  }
  spawnSync("ip", ["netns", "del", at.netns], { stdio: "ignore" });
  fs.rmSync(at.run, { recursive: true, force: true });
  fs.rmSync(at.dataRoot, { recursive: true, force: true });
}

/** Daemons whose test process is gone (it crashed or was killed): found by any trace they left. */
function removeOrphans(): void {
  const owners = new Set<number>();
  for (const dir of [RUN, DATA]) for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) owners.add(Number(name));
  for (const line of execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n")) {
    const name = line.split(" ")[0];
    if (name.startsWith(PREFIX)) owners.add(Number(name.slice(PREFIX.length)));
  }
  for (const owner of owners) if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && !alive(owner)) tearDown(layoutOf(owner));
}

export interface PrivateDockerd {
  socketPath: string;
  /** For DOCKER_HOST. */
  host: string;
  docker: Docker;
  /** Copies images from the engine at DOCKER_HOST (the host's) into this one, those it lacks: there is no registry. */
  load(images: string[]): Promise<void>;
  /** Synchronous, so that it can run on the process's way out; repeated calls do nothing. */
  stop(): void;
}

/** Where the daemon of this test process is (or will be): fixed for the process, so clients can be made up front. */
export function privateSocketPath(): string {
  return layoutOf(process.pid).socketPath;
}

/**
 * A dockerd of this test process's own: its network namespace (loopback only), data root, exec root, socket,
 * cgroups and containerd, with none of the host engine's state. Needs root, iproute2 and nsenter.
 */
export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  removeOrphans();
  const at = layoutOf(process.pid);
  tearDown(at);
  fs.mkdirSync(at.run, { recursive: true });
  fs.mkdirSync(at.dataRoot, { recursive: true });
  // Not the host's /etc/docker/daemon.json: whatever it says (hosts, data root) is for the host's engine.
  const config = path.join(at.run, "daemon.json");
  fs.writeFileSync(config, "{}\n");
  execFileSync("ip", ["netns", "add", at.netns]);
  execFileSync("ip", ["-n", at.netns, "link", "set", "lo", "up"]);
  const args = [
    `--config-file=${config}`,
    `--host=unix://${at.socketPath}`,
    `--data-root=${at.dataRoot}`,
    `--exec-root=${path.join(at.run, "exec")}`,
    `--pidfile=${at.pidfile}`,
    // The data root is on the host's ext4, where overlayfs layers work as they do for the host's engine.
    "--storage-driver=overlay2",
    // Nothing outside the namespace routes to these; they are kept off the stacks' 10.212-10.214 and the swarm
    // pool (scripts/swarm.sh) so that addresses a test sees are never ambiguous.
    "--bip=10.215.200.1/24",
    "--default-address-pool=base=10.215.208.0/20,size=24",
    `--cgroup-parent=${at.cgroupParent}`,
    // Its own names in a containerd it shares by accident (a system one at /run/containerd); a managed one otherwise.
    `--containerd-namespace=${at.netns}`,
    `--containerd-plugins-namespace=${at.netns}-plugins`,
    // Test containers have nothing to save: stopping the daemon should not wait out their stop grace.
    "--shutdown-timeout=2",
    // What a swarm stack asks of every node's engine (cli/swarm-manager.ts): a service cannot set it itself.
    "--no-new-privileges",
  ];
  const log = fs.openSync(at.log, "a");
  const child = spawn("nsenter", [`--net=/run/netns/${at.netns}`, "unshare", "--mount", "--propagation", "slave", "sh", "-c", LAUNCH, "sh", ...args], {
    // Its own process group: a Ctrl-C to the tests reaches the test process, which stops the daemon in order.
    detached: true,
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  child.unref();

  const docker = new Docker({ socketPath: at.socketPath });
  let stopped = false;
  const daemon: PrivateDockerd = {
    socketPath: at.socketPath,
    host: `unix://${at.socketPath}`,
    docker,
    async load(images) {
      const missing: string[] = [];
      for (const image of images) {
        if (!(await docker.getImage(image).inspect().then(() => true, () => false))) missing.push(image);
      }
      if (missing.length === 0) return;
      // One save of all of them: the layers they share (the base image's) are sent once.
      execFileSync("bash", ["-c", 'set -o pipefail; docker save "$@" | docker -H "$PRIVATE" load -q', "load", ...missing], {
        env: { ...process.env, PRIVATE: daemon.host },
        stdio: ["ignore", "ignore", "inherit"],
      });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      tearDown(at);
    },
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await docker.ping().then(() => true, () => false))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const lines = readOr(at.log, "").trim().split("\n").slice(-15).join("\n");
      daemon.stop();
      throw new Error(`the tests' private dockerd did not answer on ${at.socketPath} (exit ${String(child.exitCode)}); its log ends:\n${lines}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return daemon;
}
