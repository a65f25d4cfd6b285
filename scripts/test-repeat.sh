#!/usr/bin/env bash
# Runs tests again and again to flush out timing-dependent ones: the whole suite N times back to back, then
# each heavy file M times. Prints each run's result and time and a summary; exits 1 if any run failed.
# Every run takes the shared Docker lock (and the whole suite also the e2e lock) only while it runs.
#
#   npm run test:repeat                                  # suite x3, then test/runtime/*.test.ts x10 each
#   npm run test:repeat -- --suite 0 --each 10 test/runtime/reaper.test.ts
set -uo pipefail
cd "$(dirname "$0")/.."

suite=3
each=10
files=()
while [ $# -gt 0 ]; do
  case "$1" in
    --suite) suite="$2"; shift 2 ;;
    --each) each="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    -*) echo "test-repeat: unknown option $1" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done
[[ "$suite" =~ ^[0-9]+$ && "$each" =~ ^[0-9]+$ ]] || { echo "test-repeat: --suite and --each take a count" >&2; exit 2; }
[ ${#files[@]} -gt 0 ] || files=(test/runtime/*.test.ts)
for f in "${files[@]}"; do [ -f "$f" ] || { echo "test-repeat: no such test file: $f" >&2; exit 2; }; done

logs=$(mktemp -d /tmp/dormer-test-repeat.XXXXXX)
failed=0
summary=()

# run LABEL N COMMAND...: one run of COMMAND, its log kept only when it fails.
run() {
  local label="$1" i="$2"; shift 2
  local log="$logs/$(echo "$label" | tr '/ ' '__').$i.log" start end rc
  start=$(date +%s.%N)
  "$@" >"$log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  local secs counts
  secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
  counts=$(grep -Eo '[0-9]+ (passing|failing|pending)' "$log" | tr '\n' ' ')
  if [ $rc -eq 0 ]; then
    echo "  $label run $i: ok in ${secs}s (${counts% })"
    rm -f "$log"
  else
    echo "  $label run $i: FAILED (exit $rc) in ${secs}s (${counts% }); log: $log"
    grep -E '^\s+[0-9]+\) ' "$log" | head -10 | sed 's/^/      /'
  fi
  echo "$rc $secs" >>"$logs/$(echo "$label" | tr '/ ' '__').results"
  return $rc
}

tally() {
  local label="$1" results="$logs/$(echo "$1" | tr '/ ' '__').results"
  [ -f "$results" ] || return 0
  awk -v label="$label" '{ n++; t += $2; if ($1 != 0) f++; if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
    END { printf "%-40s %3d runs %3d failed  total %7.1fs  min %6.1fs  max %6.1fs\n", label, n, f, t, min, max }' "$results"
}

mocha=(npx mocha --reporter dot)

if [ "$suite" -gt 0 ]; then
  echo "== whole suite x$suite (typecheck once first)"
  npm run --silent typecheck || { echo "typecheck failed" >&2; exit 1; }
  for i in $(seq 1 "$suite"); do
    run "suite" "$i" flock /tmp/dormer-e2e.lock flock -s /tmp/dormer-docker.lock "${mocha[@]}" 'test/**/*.test.ts' || failed=1
  done
  summary+=("$(tally suite)")
fi

if [ "$each" -gt 0 ]; then
  for f in "${files[@]}"; do
    echo "== $f x$each"
    locks=(flock -s /tmp/dormer-docker.lock)
    case "$f" in test/e2e/*|test/engine/*) locks=(flock /tmp/dormer-e2e.lock "${locks[@]}") ;; esac
    for i in $(seq 1 "$each"); do
      run "$f" "$i" "${locks[@]}" "${mocha[@]}" "$f" || failed=1
    done
    summary+=("$(tally "$f")")
  done
fi

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
rm -f "$logs"/*.results
if [ $failed -eq 0 ]; then
  rmdir "$logs"
  echo "all runs passed"
else
  echo "SOME RUNS FAILED; their logs are in $logs"
fi
exit $failed
