#!/usr/bin/env bash
# Installs and starts whatever dormer and its tests need and this machine lacks: Debian packages, dockerd,
# npm dependencies, the disk driver, the Pulumi CLI (built from the Go module proxy when none is on PATH), the offline
# stand-in plugins (only where the official ones are absent) and the offline base image. Safe to re-run:
# everything already in place is skipped, so a warm run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*" >&2; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

step "docker engine"
bash scripts/dockerd.sh

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "npm ci"
  npm ci --no-audit --no-fund
fi

step "disk driver"
bash scripts/disk-driver.sh

step "pulumi CLI"
pulumi="$(bash scripts/toolchain/pulumi.sh)"
"$pulumi" version >&2

step "resource plugins"
bash scripts/offline/install-plugins.sh "$pulumi"

step "offline base image"
bash scripts/base-image.sh dormer-base:bookworm >/dev/null

step "workflow linter"
bash scripts/toolchain/actionlint.sh >/dev/null
