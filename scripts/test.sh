#!/usr/bin/env bash
# `make test`: a throwaway redis-server on a free port for the whole run, stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(scripts/free-port.sh)
workdir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" \
  --daemonize no --loglevel warning >"$workdir/redis.log" 2>&1 &
redis_pid=$!
cleanup() {
  kill "$redis_pid" 2>/dev/null || true
  wait "$redis_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done

swift build --build-tests
export OFFLOAD_TEST_REDIS_URL="redis://127.0.0.1:$port"
export OFFLOAD_BIN_DIR="$(swift build --show-bin-path)"

# Whole-stack checks on the same (debug) binaries, each with a private Redis of its own:
OFFLOAD_CHAOS_BIN_DIR="$OFFLOAD_BIN_DIR" scripts/chaos/run.sh --short  # SIGKILL storm, Redis restart with AOF, zombie worker
scripts/dashboard-test.sh  # web dashboard in headless Chromium (Selenium): counts, retry, screenshot
scripts/schemathesis.sh    # the API against docs/openapi.json: Schemathesis, seeded, all response checks

# Last, so its summary closes the run.
swift test --skip-build "$@"
