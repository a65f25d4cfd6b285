#!/usr/bin/env bash
# Starts the dormer disk driver (runtime/volumes: the Docker volume plugin that gives each tenant a size-capped
# disk) when none answers on its socket, as scripts/dockerd.sh does for dockerd. A real host runs it from a
# systemd unit ordered before docker.service instead (docs/operating.md). It must stay up once used: the
# daemon remembers every volume driver it has talked to, and while one is gone every volume lookup waits
# for it (15 s here) until the daemon restarts.
set -euo pipefail
cd "$(dirname "$0")/.."

name="${DORMER_DISK_DRIVER:-dormer-disk}"
sock="${DORMER_PLUGIN_DIR:-/run/docker/plugins}/$name.sock"
answers() { curl -fsS --max-time 2 --unix-socket "$sock" -X POST http://plugin/Plugin.Activate >/dev/null 2>&1; }
answers && exit 0

for tool in losetup mkfs.ext4 e2fsck resize2fs mount umount; do
  command -v "$tool" >/dev/null 2>&1 || { echo "disk-driver.sh: $tool is missing (apt-get install util-linux e2fsprogs mount)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "disk-driver.sh: the disk driver attaches loop devices and mounts file systems: run it as root" >&2; exit 1; }

cache="${DORMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dormer}"
mkdir -p "$cache"
bundle="$cache/disk-driver.js" log="$cache/disk-driver-$name.log" pidfile="$cache/disk-driver-$name.pid"
# One bundled file, like the supervisor's image: it keeps running whatever happens to this checkout.
node_modules/.bin/esbuild runtime/volumes/main.ts --bundle --platform=node --target=node18 \
  --external:cpu-features '--external:*.node' --log-level=warning --outfile="$bundle.tmp"
mv "$bundle.tmp" "$bundle"
echo "dormer: starting the disk driver $name (log: $log)" >&2
# Its own session: it must outlive whatever shell started it.
DORMER_DISK_DRIVER="$name" setsid nohup node "$bundle" >>"$log" 2>&1 </dev/null &
echo $! >"$pidfile"

for _ in $(seq 1 40); do
  answers && exit 0
  sleep 0.25
done
echo "disk-driver.sh: the disk driver did not answer on $sock within 10 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
