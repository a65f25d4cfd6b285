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

# The policy pack (policy/) runs in a Node host that the Pulumi CLI starts through a nodejs language plugin or,
# where none is installed, through the `pulumi-analyzer-policy-nodejs` launcher. Offline builds have neither,
# so a launcher that does what the official one does (run @pulumi/pulumi's run-policy-pack with node, from the
# pack's directory) is installed as an analyzer plugin, again only where no official one is there.
version="$(node -p "require('$root/node_modules/@pulumi/pulumi/package.json').version")"
dir="$plugins_home/analyzer-policy-nodejs-v$version"
marker="$dir/.dormer-stand-in"
if command -v pulumi-language-nodejs >/dev/null 2>&1 || command -v pulumi-analyzer-policy-nodejs >/dev/null 2>&1; then
  exit 0 # an official host is on PATH: the CLI uses it
fi
if [ -d "$dir" ] && [ ! -f "$marker" ]; then
  exit 0 # the official launcher is installed
fi
# The launcher holds nothing of the checkout, only the node it runs, so every checkout shares one install.
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$node_bin" ]; then
  echo "dormer: using the offline stand-in for the pulumi-analyzer-policy-nodejs $version launcher (no Node policy host installed)" >&2
  exit 0
fi
echo "dormer: installing the offline stand-in for the pulumi-analyzer-policy-nodejs $version launcher (no Node policy host installed)" >&2
pkg="$(mktemp -d)"
cat >"$pkg/pulumi-analyzer-policy-nodejs" <<LAUNCHER
#!/bin/sh
# dormer's offline stand-in for pulumi-analyzer-policy-nodejs $version. As the official launcher does, it finds
# @pulumi/pulumi's policy host from the policy pack's directory (the CLI starts it there) and runs it with node,
# passing on the engine address and the pack path.
host="\$("$node_bin" -e "try { console.log(require.resolve('@pulumi/pulumi/cmd/run-policy-pack')) } catch (e) { console.error(e.message) }")"
[ -n "\$host" ] || exit 1
exec "$node_bin" "\$host" "\$@"
LAUNCHER
chmod +x "$pkg/pulumi-analyzer-policy-nodejs"
printf '%s' "$node_bin" >"$pkg/.dormer-stand-in"
tar -C "$pkg" -czf "$pkg.tgz" .
"$pulumi" plugin install analyzer policy-nodejs "$version" --file "$pkg.tgz" --reinstall >/dev/null
rm -rf "$pkg" "$pkg.tgz"
