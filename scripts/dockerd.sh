#!/usr/bin/env bash
# Starts dockerd when no Docker engine answers. Fresh CI machines and new sessions have none running.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi
command -v dockerd >/dev/null 2>&1 || { echo "dockerd.sh: dockerd is not installed (apt-get install docker.io)" >&2; exit 1; }

log="${DORMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dormer}/dockerd.log"
mkdir -p "$(dirname "$log")"
# A dockerd that was killed (or a machine that lost power) leaves its pid file behind, and a new dockerd
# refuses to start over it. Remove it only when no dockerd is running under that pid.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ] && ! ps -p "$(cat "$pidfile" 2>/dev/null || echo 0)" -o comm= 2>/dev/null | grep -qx dockerd; then
  echo "dockerd.sh: removing a stale $pidfile (no dockerd runs under pid $(cat "$pidfile" 2>/dev/null))" >&2
  rm -f "$pidfile"
fi
echo "dockerd.sh: starting dockerd (log: $log)" >&2
# Published ports are forwarded by the kernel rather than by a docker-proxy process per port: the gateway's
# port is on the path of every request.
nohup dockerd --userland-proxy=false >"$log" 2>&1 &

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd.sh: dockerd did not answer within 30 s; last lines of $log:" >&2
tail -n 20 "$log" >&2
exit 1
