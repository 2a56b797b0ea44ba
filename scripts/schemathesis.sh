#!/usr/bin/env bash
# Property-based API tests: Schemathesis reads the OpenAPI document the running API serves
# (/openapi.json) and checks every operation against it: no server errors, documented
# status codes, content types, headers and response schemas, and a method a path does not
# document answered with 405 and an `Allow` header. Starts its own redis-server,
# offload-api and offload-worker (--enable-test-jobs) on free ports and stops them on exit.
#
#   SCHEMATHESIS_SEED=1234 scripts/schemathesis.sh      # replay a run
#   SCHEMATHESIS_MAX_EXAMPLES=100 scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
seed=${SCHEMATHESIS_SEED:-$(( (RANDOM << 15) | RANDOM ))}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
echo "schemathesis: seed $seed (replay with SCHEMATHESIS_SEED=$seed scripts/schemathesis.sh)"

# Schemathesis, pinned, in a virtualenv of its own.
venv=.venv
if [ "$("$venv/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

for product in offload-api offload-worker; do
  if ! build_log=$(swift build --product "$product" 2>&1); then
    echo "$build_log" >&2
    exit 1
  fi
done
bin=$(swift build --show-bin-path)

workdir=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # offload-api's graceful shutdown waits for open event streams, which may never end.
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    for log in "$workdir"/*.log; do
      [ -s "$log" ] || continue
      echo "--- last lines of $(basename "$log")"
      tail -n 20 "$log"
    done
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT INT TERM

redis_port=$(scripts/free-port.sh)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" \
  --daemonize no --loglevel warning >"$workdir/redis.log" 2>&1 &
pids+=($!)
# Each start waits up to a minute (a loaded machine is slow to start processes), then fails.
for _ in $(seq 1 1200); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -p "$redis_port" ping >/dev/null || { echo "schemathesis: redis-server did not start" >&2; exit 1; }
redis_url="redis://127.0.0.1:$redis_port"

# The test token of the environment must not leak in: this run has no API token.
api_port=$(scripts/free-port.sh)
OFFLOAD_API_TOKEN= "$bin/offload-api" --host 127.0.0.1 --port "$api_port" --redis-url "$redis_url" >"$workdir/api.log" 2>&1 &
pids+=($!)
"$bin/offload-worker" --redis-url "$redis_url" --enable-test-jobs --concurrency 2 >"$workdir/worker.log" 2>&1 &
pids+=($!)

base="http://127.0.0.1:$api_port"
for _ in $(seq 1 1200); do
  curl -fsS --max-time 2 "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.05
done
curl -fsS --max-time 2 "$base/readyz" >/dev/null || { echo "schemathesis: offload-api did not start" >&2; exit 1; }
# Submits of test.noop need a worker that has published its job types.
published() { [ "$(redis-cli -p "$redis_port" hexists offload:job-types test.noop)" = 1 ]; }
for _ in $(seq 1 1200); do
  published && break
  sleep 0.05
done
published || { echo "schemathesis: offload-worker did not publish its job types" >&2; exit 1; }

# GET /v1/jobs/{id}?wait=N holds the request up to N (≤ 60) seconds while the job is not
# finished, and generated jobs often never are (a paused queue, a queue no worker serves,
# a delay). Valid waits above 1 s are sent as 1 s so a run stays short; invalid ones
# (negative, too large, not a number) go out unchanged. Event streams of such jobs never
# end either: Schemathesis reads each stream until --request-timeout and checks its events.
cat >"$workdir/hooks.py" <<'PY'
import schemathesis


@schemathesis.hook
def before_call(context, case, **kwargs):
    query = case.query
    if not isinstance(query, dict) or "wait" not in query:
        return
    value = query["wait"]
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            return
        value = int(value)
    if isinstance(value, int) and 1 < value <= 60:
        query["wait"] = "1"
PY

# An event stream is read until it ends or its timeout passes; one second holds a finished
# job's whole stream (it is written at once) and keeps never-ending ones cheap.
cat >"$workdir/schemathesis.toml" <<'TOML'
[[operations]]
include-operation-id = "streamJobEvents"
request-timeout = 1.0
TOML

# Run from the scratch folder so Schemathesis's crash cache (.schemathesis/) stays out of the repo.
venv_bin="$PWD/$venv/bin"
cd "$workdir"
SCHEMATHESIS_HOOKS="$workdir/hooks.py" "$venv_bin/schemathesis" --config-file "$workdir/schemathesis.toml" run "$base/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,unsupported_method,allow_header_conformance \
  --max-examples "$max_examples" \
  --seed "$seed" \
  --request-timeout 10 \
  --generation-database none \
  --workers 1 \
  --no-color
echo "schemathesis: passed (seed $seed)"
