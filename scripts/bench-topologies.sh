#!/usr/bin/env bash
# The queue engine on real deployments in one run, each on free loopback ports: one
# redis-server, a Redis Cluster of 3 primaries with a replica each, a primary with 2
# replicas behind 3 sentinels, and a primary with 1 replica. On each, `offload-bench
# throughput` submits and drains the same jobs spread over QUEUES queues (on the cluster
# also over queues as their names fall and over one queue, a hot queue; on the replicated
# primary without and with `--min-replicas 1`). Then `offload-bench routing-overhead` times the client's cost per
# command through the cluster and sentinel URLs against a plain URL to the same server, and
# offload-api takes submits under wrk on one redis-server and on the replicated primary
# without and with `--min-replicas 1`. Prints markdown tables; every figure also as a ratio
# to the single Redis of the same run.
#   RUNS=3 JOBS=50000 QUEUES=6 SUBMITTERS=32 BATCH=1000 LATENCY_JOBS=2000
#   WORKER_ARGS="--processes 2" ROUTING_REQUESTS=50000 ROUTING_ROUNDS=3 DURATION=10s (wrk)
#   TOPOLOGIES="standalone cluster cluster-unbalanced cluster-1q sentinel replicated replicated-wait1"
#   (cluster: the queues named so that each primary holds two; cluster-unbalanced: named
#   bench-0 … bench-5, as their slots fall)
#   ROUTING=1 WRK=1 (0: skip routing-overhead, the wrk runs)   RAW=FILE keeps the JSON records
#   CONFIGURATION=release (debug: to check quickly that everything runs; no figures from it)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
JOBS=${JOBS:-50000}
QUEUES=${QUEUES:-6}
SUBMITTERS=${SUBMITTERS:-32}
BATCH=${BATCH:-1000}
LATENCY_JOBS=${LATENCY_JOBS:-2000}
WORKER_ARGS=${WORKER_ARGS:---processes 2}
ROUTING_REQUESTS=${ROUTING_REQUESTS:-50000}
ROUTING_ROUNDS=${ROUTING_ROUNDS:-3}
TOPOLOGIES=${TOPOLOGIES:-standalone cluster cluster-unbalanced cluster-1q sentinel replicated replicated-wait1}
ROUTING=${ROUTING:-1}
WRK=${WRK:-1}
DURATION=${DURATION:-10s}

[ "$WRK" = 1 ] && scripts/install-deps.sh wrk
CONFIGURATION=${CONFIGURATION:-release}
for product in offload-bench offload-worker offload-api; do
  swift build -c "$CONFIGURATION" --product "$product" >&2
done
bin=$(swift build -c "$CONFIGURATION" --show-bin-path)
source scripts/lib/stack.sh
source scripts/bench/topologies.sh
raw=${RAW:-$workdir/raw.jsonl}
: >"$raw"

echo "starting: one redis-server, a 3+3 cluster, a primary with 2 replicas and 3 sentinels, a primary with 1 replica" >&2
start_standalone
start_cluster 3
start_sentinel 2
start_replicated

# throughput TOPOLOGY RUN: one measurement, appended to $raw.
throughput() {
  local topology=$1 run=$2 url queues=$QUEUES replicas=0 balance=() report
  case $topology in
    standalone) url=$standalone_url ;;
    cluster) url=$cluster_url balance=(--balance) ;;
    cluster-unbalanced) url=$cluster_url ;;
    cluster-1q) url=$cluster_url queues=1 ;;
    sentinel) url=$sentinel_url ;;
    replicated) url=$replicated_url ;;
    replicated-wait1) url=$replicated_url replicas=1 ;;
    *) echo "unknown topology $topology" >&2; return 2 ;;
  esac
  report=$("$bin/offload-bench" throughput --redis-url "$url" --queues "$queues" "${balance[@]}" --jobs "$JOBS" \
    --submitters "$SUBMITTERS" --batch-size "$BATCH" --latency-jobs "$LATENCY_JOBS" --min-replicas "$replicas" \
    --worker-executable "$bin/offload-worker" --worker-arguments="$WORKER_ARGS" --flush --json)
  printf '{"kind": "throughput", "topology": "%s", "run": %s, "report": %s}\n' "$topology" "$run" "$report" >>"$raw"
}

# wrk_submit LABEL RUN URL [API OPTIONS]: offload-api on URL (emptied first), its job types
# published by a worker that then leaves; wrk with 32 connections, then with 1 (a lone
# client's latency). wrk's done() hook prints the figures as one JSON line.
cat >"$workdir/submit.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type": "test.noop", "payload": {"n": 1}}'
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{"rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "non2xx": %d, "errors": %d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
LUA
noop_published() { [ "$(redis-cli -u "$1" hexists offload:job-types test.noop)" = 1 ]; }
wrk_submit() {
  local label=$1 run=$2 url=$3 port api_pid worker_pid connections figures
  shift 3
  redis-cli -u "$url" flushall >/dev/null
  port=$(scripts/free-port.sh)
  "$bin/offload-api" --port "$port" --redis-url "$url" "$@" >>"$workdir/api.log" 2>&1 &
  api_pid=$!
  pids+=($api_pid)  # stopped with the rest if anything below fails
  wait_for offload-api "$api_pid" 60 curl -sf --max-time 2 "http://127.0.0.1:$port/healthz"
  "$bin/offload-worker" --redis-url "$url" --enable-test-jobs --processes 1 >>"$workdir/worker.log" 2>&1 &
  worker_pid=$!
  pids+=($worker_pid)
  wait_for offload-worker "$worker_pid" 60 noop_published "$url"
  kill -TERM "$worker_pid"
  wait "$worker_pid" 2>/dev/null || true
  for connections in 32 1; do
    figures=$(wrk -t1 -c"$connections" -d"$DURATION" --latency -s "$workdir/submit.lua" "http://127.0.0.1:$port/v1/jobs" | grep '^{')
    printf '{"kind": "wrk", "topology": "%s", "run": %s, "connections": %s, "figures": %s}\n' \
      "$label" "$run" "$connections" "$figures" >>"$raw"
  done
  kill -TERM "$api_pid"
  wait "$api_pid" 2>/dev/null || true
}

started=$SECONDS
for run in $(seq 1 "$RUNS"); do
  for topology in $TOPOLOGIES; do
    echo "run $run/$RUNS: $topology, $((SECONDS - started)) s in" >&2
    throughput "$topology" "$run"
  done
  if [ "$WRK" = 1 ]; then
    echo "run $run/$RUNS: offload-api under wrk, $((SECONDS - started)) s in" >&2
    wrk_submit standalone "$run" "$standalone_url"
    wrk_submit replicated "$run" "$replicated_url"
    wrk_submit replicated-wait1 "$run" "$replicated_url" --min-replicas 1
  fi
done
if [ "$ROUTING" = 1 ]; then
  for topology in cluster sentinel; do
    echo "routing overhead: $topology, $((SECONDS - started)) s in" >&2
    url=$cluster_url
    [ "$topology" = sentinel ] && url=$sentinel_url
    report=$("$bin/offload-bench" routing-overhead --redis-url "$url" --requests "$ROUTING_REQUESTS" \
      --rounds "$ROUTING_ROUNDS" --json)
    printf '{"kind": "routing", "topology": "%s", "report": %s}\n' "$topology" "$report" >>"$raw"
  done
fi

echo
echo "$RUNS runs, $((SECONDS - started)) s, $CONFIGURATION build; redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores, $(swift --version 2>&1 | head -1)"
python3 scripts/bench/topologies.py "$raw" --jobs "$JOBS" --queues "$QUEUES" --submitters "$SUBMITTERS" --batch "$BATCH" \
  --worker-args "$WORKER_ARGS" --duration "$DURATION"
