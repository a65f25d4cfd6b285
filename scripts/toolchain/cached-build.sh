# Sourced by the toolchain scripts. `cached_build DIR BINARY BUILD_FN` prints DIR/BINARY, building it first
# when absent: BUILD_FN is called with a scratch directory that becomes DIR once the build succeeded. One
# build at a time per DIR (CI and a developer, or parallel worktrees): a second caller waits, then finds it.
cached_build() {
  local dir="$1" binary="$2" build="$3"
  if [ ! -x "$dir/$binary" ]; then
    mkdir -p "$(dirname "$dir")"
    exec 9>"$dir.lock"
    flock 9
    if [ ! -x "$dir/$binary" ]; then
      rm -rf "$dir.tmp"
      mkdir -p "$dir.tmp"
      "$build" "$dir.tmp"
      rm -rf "$dir"
      mv "$dir.tmp" "$dir"
    fi
    exec 9>&-
  fi
  echo "$dir/$binary"
}
