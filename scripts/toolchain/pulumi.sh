#!/usr/bin/env bash
# Prints the path of a Pulumi CLI at least as new as the pinned version.
# Uses one on PATH when it is new enough; otherwise builds the pinned version from the Go module proxy
# into a cache outside the repository, so every later run takes seconds.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cached-build.sh"

PINNED="${DORMER_PULUMI_VERSION:-3.259.0}"
CACHE="${DORMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dormer}"
INSTALL_DIR="$CACHE/pulumi-v$PINNED"

version_ge() { # $1 >= $2, both x.y.z
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]
}

if command -v pulumi >/dev/null 2>&1; then
  have="$(pulumi version 2>/dev/null | sed 's/^v//')"
  if [ -n "$have" ] && version_ge "$have" "$PINNED"; then
    command -v pulumi
    exit 0
  fi
fi

build() {
  command -v go >/dev/null 2>&1 || { echo "pulumi.sh: no 'pulumi' >= $PINNED on PATH and no Go toolchain to build one" >&2; exit 1; }
  echo "pulumi.sh: building Pulumi CLI v$PINNED from the Go module proxy (first run only, ~5 min)" >&2
  local out="$1" work
  mkdir -p "$out/bin"
  work="$(mktemp -d)"
  trap "rm -rf '$work'" EXIT
  cat >"$work/go.mod" <<EOF
module dormer.local/tools

go 1.23

require github.com/pulumi/pulumi/pkg/v3 v$PINNED
EOF
  cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
  (
    cd "$work"
    GOFLAGS=-mod=mod go mod tidy -e >&2 2>&1 || true
    GOFLAGS=-mod=mod go get "github.com/pulumi/pulumi/pkg/v3@v$PINNED" >&2
    GOFLAGS=-mod=mod go build -trimpath -o "$out/bin/pulumi" \
      -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PINNED" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
  )
}
# Laid out as <dir>/bin/pulumi, as the Automation API expects.
cached_build "$INSTALL_DIR" bin/pulumi build
