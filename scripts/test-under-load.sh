#!/usr/bin/env bash
# The Swift suite, RUNS times over, with LOAD busy loops competing for the CPU: the way to
# find a test (or a product path) that only holds on an idle machine. Lists each run's
# failures; exits non-zero if any run failed. Run `make test` once first (it builds).
#   RUNS=5 LOAD=2 scripts/test-under-load.sh [--filter NAME]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
load=${LOAD:-2}

export TMPDIR="$PWD/.build/test-tmp"
mkdir -p "$TMPDIR"
source scripts/lib/stack.sh
start_redis
export OFFLOAD_TEST_REDIS_URL="$redis_url"
export OFFLOAD_BIN_DIR="$(swift build --show-bin-path)"
tests="$OFFLOAD_BIN_DIR/offloadPackageTests.xctest"
[ -x "$tests" ] || { echo "no test build at $tests: run make test first" >&2; exit 2; }

busy=()
stop_busy() { [ ${#busy[@]} -eq 0 ] || kill "${busy[@]}" 2>/dev/null || true; busy=(); }
# stop_stack exits with the status it finds in $?: the script's, not stop_busy's.
trap 'status=$?; stop_busy; (exit "$status"); stop_stack' EXIT INT TERM

failed=0
for run in $(seq 1 "$runs"); do
  # Each run starts from an empty Redis, as `make test` does: the keys a run leaves (the
  # end-to-end stacks' jobs) would otherwise pile up and slow every later run's clean-ups.
  redis-cli -p "$redis_port" flushall >/dev/null
  for _ in $(seq 1 "$load"); do (while :; do :; done) & busy+=($!); done
  log="$TMPDIR/under-load-$run.log"
  status=0
  "$tests" --testing-library swift-testing "$@" >"$log" 2>&1 || status=$?
  stop_busy
  echo "run $run: $(grep -a 'Test run with' "$log" | tail -1)"
  if [ "$status" -ne 0 ]; then
    failed=1
    grep -a -E '✘ Test .* recorded an issue' "$log" | cut -c1-300 || true
  fi
done
exit "$failed"
