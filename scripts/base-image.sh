#!/usr/bin/env bash
# Makes sure a Debian base image exists locally and prints the name to build FROM.
#   base-image.sh IMAGE
# IMAGE present: nothing to do. Pullable: pulled. Otherwise (offline machines) the project's own
# dormer-base:bookworm is built with debootstrap + docker import, once, and its name is printed instead.
set -euo pipefail

want="${1:?usage: base-image.sh IMAGE}"
offline="dormer-base:bookworm"

if docker image inspect "$want" >/dev/null 2>&1; then
  echo "$want"; exit 0
fi
if [ "$want" != "$offline" ] && timeout 60 docker pull -q "$want" >/dev/null 2>&1; then
  echo "$want"; exit 0
fi
if docker image inspect "$offline" >/dev/null 2>&1; then
  [ "$want" = "$offline" ] || echo "base-image.sh: $want cannot be pulled; using $offline" >&2
  echo "$offline"; exit 0
fi

command -v debootstrap >/dev/null 2>&1 || { echo "base-image.sh: $want cannot be pulled and debootstrap is not installed" >&2; exit 1; }
[ "$want" = "$offline" ] || echo "base-image.sh: $want cannot be pulled; building $offline with debootstrap" >&2
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" >&2
# Keep the image small and apt usable without recommends, as the slim images are.
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$root/etc/apt/apt.conf.d/99dormer"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | docker import -c 'CMD ["bash"]' - "$offline" >/dev/null
echo "$offline"
