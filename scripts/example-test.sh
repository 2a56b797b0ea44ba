#!/usr/bin/env bash
# Examples/Thumbnails end to end: builds the example package, starts a private stack (a
# redis-server, offload-api, thumbnail-worker --processes 2 and thumbnail-app, on free loopback
# ports, stopped on exit) and runs thumbnail-check against it: 200 typed jobs from Swift, one
# through the app's own routes, one over Offload's HTTP API, and the dashboard mounted in the app.
# Bounded: each start 60 s, the check 5 minutes.
#
# The example builds in the root package's scratch folder (.build), reusing the modules the root's
# `swift build --build-tests` has just compiled. Measured on the 2-core test machine, root built:
#   - the example's first build: 25 s; in a scratch folder of its own, 235 s (the ~100 modules
#     of swift-nio, swift-nio-ssl, Hummingbird, AsyncHTTPClient... all over again);
#   - the root's `swift build --build-tests` right after it: 7-17 s instead of 0.4 s, and
#     `swift test --skip-build` runs as before (the example leaves the root's products alone);
#   - this script right after a root build: 14-21 s; run again: 6 s (4 s of up-to-date builds,
#     2 s of stack and check).
# Each switch between the two packages makes SwiftPM plan the build again, and it writes
# Hummingbird's trait flags in an order that changes with each run's hash seed, so about every
# other switch recompiles Hummingbird: those seconds are the whole cost of sharing. With
# SWIFT_DETERMINISTIC_HASHING=1 on both packages' builds the order is the same and nothing is
# recompiled (measured: two switches back and forth, 0 files); the example's builds set it.
#
#   OFFLOAD_BIN_DIR=/path/to/bin scripts/example-test.sh   # use another offload-api
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${OFFLOAD_BIN_DIR:-$(swift build --show-bin-path)}"
if [ -z "${OFFLOAD_BIN_DIR:-}" ] && [ ! -x "$bin/offload-api" ]; then
  swift build --product offload-api
fi

example_build() {
  SWIFT_DETERMINISTIC_HASHING=1 swift build --package-path Examples/Thumbnails --scratch-path "$PWD/.build" "$@"
}
# One product at a time: a plain `swift build` right after the root's can reuse the root's
# build plan and build nothing of the example, a named product cannot.
for product in thumbnail-worker thumbnail-app thumbnail-check; do
  example_build --quiet --product "$product"
done
example_bin=$(example_build --show-bin-path)

source scripts/lib/stack.sh
# On failure the stack's logs, before stop_stack removes them with the stack.
stop_stack_showing_logs() {
  local status=$?
  set +e  # a failing command here must not skip stop_stack
  if [ "$status" -ne 0 ]; then
    echo "--- example test failed; last lines of the logs:" >&2
    tail -n 20 "$workdir"/*.log >&2 2>/dev/null
  fi
  (exit "$status")  # stop_stack exits with the status it finds in $?
  stop_stack
}
trap stop_stack_showing_logs EXIT

answers() { curl -fsS --max-time 2 "$1"; }
publishes_thumbnail() { [ "$(redis-cli -p "$redis_port" hexists offload:job-types thumbnail)" = "1" ]; }

start_redis
start_api

# A short grace period: a job a failed check left running must not hold up the exit.
"$example_bin/thumbnail-worker" --processes 2 --grace-seconds 5 --redis-url "$redis_url" >"$workdir/worker.log" 2>&1 &
worker_pid=$!
pids+=($worker_pid)
app_port=$(scripts/free-port.sh)
app="http://127.0.0.1:$app_port"
"$example_bin/thumbnail-app" --port "$app_port" --redis-url "$redis_url" >"$workdir/app.log" 2>&1 &
app_pid=$!
pids+=($app_pid)
# Until the worker publishes its job type, submits of it are refused as unknown.
wait_for thumbnail-worker "$worker_pid" 60 publishes_thumbnail
wait_for thumbnail-app "$app_pid" 60 answers "$app/offload/healthz"

timeout 300 "$example_bin/thumbnail-check" --redis-url "$redis_url" --app-url "$app" --api-url "$api"
