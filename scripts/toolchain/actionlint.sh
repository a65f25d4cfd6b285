#!/usr/bin/env bash
# Prints the path of actionlint, the linter the test suite runs on .github/workflows/. Uses one on PATH;
# otherwise builds the pinned version from the Go module proxy once into the cache beside the Pulumi CLI.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cached-build.sh"

PINNED="${DORMER_ACTIONLINT_VERSION:-1.7.12}"
CACHE="${DORMER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dormer}"

if command -v actionlint >/dev/null 2>&1; then
  command -v actionlint
  exit 0
fi

build() {
  command -v go >/dev/null 2>&1 || { echo "actionlint.sh: no actionlint on PATH and no Go toolchain to build one" >&2; exit 1; }
  echo "actionlint.sh: building actionlint v$PINNED from the Go module proxy (first run only)" >&2
  GOBIN="$1" go install "github.com/rhysd/actionlint/cmd/actionlint@v$PINNED" >&2
}
cached_build "$CACHE/actionlint-v$PINNED" actionlint build
