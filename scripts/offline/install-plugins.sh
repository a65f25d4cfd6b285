#!/usr/bin/env bash
# Installs the offline stand-ins for the docker and random resource plugins, at exactly the versions the npm
# packages declare, but only where the official plugin of that name and version is absent. An official plugin
# installed later (`pulumi plugin install resource docker 5.2.0`) takes over with no change to the program.
#   install-plugins.sh [PULUMI_BINARY]
set -euo pipefail

pulumi="${1:-pulumi}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
plugins_home="${PULUMI_HOME:-$HOME/.pulumi}/plugins"
node_bin="$(command -v node)"

for name in docker random; do
  version="$(node -p "require('$root/node_modules/@pulumi/$name/package.json').version")"
  dir="$plugins_home/resource-$name-v$version"
  marker="$dir/.dormer-stand-in"
  if [ -d "$dir" ] && [ ! -f "$marker" ]; then
    continue # the official plugin is installed: use it
  fi
  entry="$root/scripts/offline/plugins/$name/main.ts"
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$entry" ]; then
    echo "dormer: using the offline stand-in for the $name $version plugin (official plugin absent)" >&2
    continue
  fi
  echo "dormer: installing the offline stand-in for the $name $version plugin (official plugin absent)" >&2
  pkg="$(mktemp -d)"
  cat >"$pkg/pulumi-resource-$name" <<LAUNCHER
#!/bin/sh
# dormer's offline stand-in for pulumi-resource-$name $version; runs from the checkout at $root.
exec "$node_bin" --require "$root/node_modules/tsx/dist/cjs/index.cjs" "$entry" "\$@"
LAUNCHER
  chmod +x "$pkg/pulumi-resource-$name"
  printf '%s' "$entry" >"$pkg/.dormer-stand-in"
  tar -C "$pkg" -czf "$pkg.tgz" .
  "$pulumi" plugin install resource "$name" "$version" --file "$pkg.tgz" --reinstall >/dev/null
  rm -rf "$pkg" "$pkg.tgz"
done
