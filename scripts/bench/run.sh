#!/usr/bin/env bash
# `make bench`: Offload side by side with FastAPI + uvicorn + Celery (Redis broker) and
# Sidekiq on this machine, in one run, then the results (tables, goals, docs/images/bench-*.png)
# written between the bench markers of docs/benchmarks.md. docs/benchmarks.md describes the
# steps:
#   a HTTP submit       b end to end, no-op jobs   c CPU efficiency    d responsiveness
#   e pickup latency    f memory                   g scale (Offload)
# Every stack is private: a fresh redis-server (--save "" --appendonly no) on a free loopback
# port, the system's processes, and the measuring client, all on this machine.
#
#   STEPS="a b c d e f g"  the steps to run          RUNS=3  runs of each (min / median / max)
#   QUICK=1  tiny sizes, to check that everything works; the figures say QUICK
#   DURATION=10s (a)  N=50000 (b)  CPU_JOBS=200 TARGET_MS=75 (c, d)
#   PACE_RATE=50 PACE_SECONDS=20 PACE_IDLE_SECONDS=5 (d)  PICKUP_JOBS=1000 (e)
#   MEMORY_JOBS=100000 PAYLOAD_BYTES=100 (f)  SCALE_PENDING="0 100000 1000000" SCALE_DURATION=5s (g)
#   DOC=docs/benchmarks.md (empty: print the section only)  BENCH_RAW=FILE keeps the raw records
set -euo pipefail
cd "$(dirname "$0")/../.."

QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
  RUNS=${RUNS:-1} DURATION=${DURATION:-2s} N=${N:-2000} CPU_JOBS=${CPU_JOBS:-20}
  PACE_SECONDS=${PACE_SECONDS:-3} PACE_IDLE_SECONDS=${PACE_IDLE_SECONDS:-1} PICKUP_JOBS=${PICKUP_JOBS:-100}
  MEMORY_JOBS=${MEMORY_JOBS:-5000} SCALE_PENDING=${SCALE_PENDING:-"0 5000 20000"} SCALE_DURATION=${SCALE_DURATION:-2s}
fi
STEPS=${STEPS:-a b c d e f g}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
N=${N:-50000}
CPU_JOBS=${CPU_JOBS:-200}
TARGET_MS=${TARGET_MS:-75}
PACE_RATE=${PACE_RATE:-50}
PACE_SECONDS=${PACE_SECONDS:-20}
PACE_IDLE_SECONDS=${PACE_IDLE_SECONDS:-5}
PICKUP_JOBS=${PICKUP_JOBS:-1000}
MEMORY_JOBS=${MEMORY_JOBS:-100000}
PAYLOAD_BYTES=${PAYLOAD_BYTES:-100}
SCALE_PENDING=${SCALE_PENDING:-0 100000 1000000}
SCALE_DURATION=${SCALE_DURATION:-5s}
DOC=${DOC-docs/benchmarks.md}
for step in $STEPS; do
  case $step in a|b|c|d|e|f|g) ;; *) echo "STEPS: unknown step $step (a to g)" >&2; exit 2 ;; esac
done

scripts/peers/setup.sh
build_log=$(mktemp)
for product in offload-api offload-worker offload; do
  swift build -c release --product "$product" >"$build_log" 2>&1 || { cat "$build_log" >&2; exit 1; }
done
rm -f "$build_log"
bin=$(swift build -c release --show-bin-path 2>/dev/null)
venv=$PWD/.venv-peers
py=$venv/bin/python
raw=${BENCH_RAW:-$(mktemp)}
[ -n "${BENCH_RAW:-}" ] || trap 'rm -f "$raw"' EXIT
: >"$raw"
run=0

# client TAG=VALUE... -- SUBCOMMAND ARGS...: sets cmd to scripts/bench/clients.py against the
# current stack ($api, $redis_url), recording its result with the tags and the run's number.
client() {
  local tags=(--tag "run=$run")
  while [ "$1" != "--" ]; do tags+=(--tag "$1"); shift; done
  shift
  cmd=("$py" scripts/bench/clients.py --record "$raw" "${tags[@]}")
  [ -n "${api:-}" ] && cmd+=(--api "$api")
  [ -n "${redis_url:-}" ] && cmd+=(--redis-url "$redis_url")
  cmd+=("$@")
}
# rec TAG=VALUE... -- SUBCOMMAND ARGS...: runs it.
rec() { client "$@"; timeout 900 "${cmd[@]}"; }
# watch_rss TAG=VALUE... -- PID...: the peak RSS of the processes and their children, from
# now until unwatch_rss.
watch_rss() {
  local tags=()
  while [ "$1" != "--" ]; do tags+=("$1"); shift; done
  shift
  client "${tags[@]}" -- rss "$@"
  "${cmd[@]}" &
  rss_pid=$!
}
# A watcher killed before it took its first sample (a drain shorter than Python's start-up,
# in QUICK runs) records nothing; the report shows the figure as missing.
unwatch_rss() { kill -TERM "$rss_pid"; wait "$rss_pid" || true; }

# The systems' processes, on the stack of scripts/lib/stack.sh.
# front SYSTEM [REDIS OPTIONS]: Redis and the system's HTTP API (none for Sidekiq); sets $api
# and $api_pid. Offload's job types are published by a worker that then leaves, so jobs pile
# up until start_workers.
front() {
  local system=$1
  shift
  start_redis "$@"
  case $system in
    offload)
      start_api
      start_worker --processes 1
      kill -TERM "$worker_pid"
      wait "$worker_pid" 2>/dev/null || true
      ;;
    celery)
      local port
      port=$(scripts/free-port.sh)
      REDIS_URL=$redis_url "$venv/bin/uvicorn" --app-dir scripts/peers celery_app.api:api --host 127.0.0.1 \
        --port "$port" --no-access-log --log-level warning >"$workdir/uvicorn.log" 2>&1 &
      api_pid=$!
      pids+=($api_pid)
      api="http://127.0.0.1:$port"
      for _ in $(seq 1 200); do curl -sf --max-time 2 "$api/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
      ;;
    sidekiq) api="" ;;
  esac
}
# start_workers SYSTEM MODE [NICE]: 2 worker processes; sets worker_pids. MODE e2e: each
# system's defaults (Offload 2 slots a process, Sidekiq 10 threads); cpu: one job at a time
# per process.
start_workers() {
  local system=$1 mode=$2 nice=${3:-0}
  worker_pids=()
  case $system in
    offload)
      local priority=(--nice "$nice")
      [ "$nice" -gt 0 ] && priority+=(--idle-priority)  # as `make run` starts them
      if [ "$mode" = cpu ]; then start_worker --processes 2 --concurrency 1 "${priority[@]}"; else start_worker --processes 2 "${priority[@]}"; fi
      worker_pids=("$worker_pid")
      ;;
    celery)
      REDIS_URL=$redis_url nice -n "$nice" "$venv/bin/celery" --workdir scripts/peers -A celery_app.tasks worker \
        --concurrency 2 --pool prefork --loglevel WARNING --without-gossip --without-mingle --without-heartbeat \
        >>"$workdir/celery.log" 2>&1 &
      worker_pids=($!)
      ;;
    sidekiq)
      local threads=10
      [ "$mode" = cpu ] && threads=1
      for _ in 1 2; do
        REDIS_URL=$redis_url nice -n "$nice" sidekiq -r ./scripts/peers/sidekiq_app/workers.rb -q default -t 5 \
          -c "$threads" >>"$workdir/sidekiq.log" 2>&1 &
        worker_pids+=($!)
      done
      ;;
  esac
  pids+=("${worker_pids[@]}")
}

# each FUNCTION SYSTEM...: FUNCTION SYSTEM for each system, on a private stack of its own.
each() {
  local function=$1 system
  shift
  for system in "$@"; do (source scripts/lib/stack.sh; "$function" "$system"); done
}

step_a() { each http_submit offload celery; }
http_submit() {
  local body='{"type": "noop"}' path=/jobs
  [ "$1" = offload ] && body='{"type": "test.noop"}' path=/v1/jobs
  front "$1"
  rec step=f system="$1" what=api-idle -- rss --once "$api_pid"
  rec step=a system="$1" endpoint=healthz -- wrk --duration "$DURATION" "$api/healthz"
  watch_rss step=f system="$1" what=api-load -- "$api_pid"
  rec step=a system="$1" endpoint=submit -- wrk --duration "$DURATION" --body "$body" "$api$path"
  unwatch_rss
}

step_b() { each end_to_end offload celery sidekiq; }
end_to_end() {
  front "$1"
  rec step=b system="$1" what=submit -- submit "$1" --jobs "$N"
  # The watcher starts before the workers, so it sees the first job processed.
  client step=b system="$1" what=drain -- drain "$1" --jobs "$N" --ready "$workdir/ready" --cpu-of "$workdir/worker-pids"
  timeout 330 "${cmd[@]}" &
  local drain_pid=$!
  for _ in $(seq 1 200); do [ -e "$workdir/ready" ] && break; sleep 0.05; done
  start_workers "$1" e2e
  # The watcher reads the workers' CPU time from when it finds this file and jobs processed.
  echo "${worker_pids[@]}" >"$workdir/worker-pids.new" && mv "$workdir/worker-pids.new" "$workdir/worker-pids"
  watch_rss step=f system="$1" what=workers-load -- "${worker_pids[@]}"
  wait "$drain_pid"
  unwatch_rss
}

step_c() { each cpu_efficiency offload celery sidekiq; }
cpu_efficiency() {
  front "$1"
  start_workers "$1" cpu
  rec step=c system="$1" -- cpu "$1" --jobs "$CPU_JOBS" --target-ms "$TARGET_MS"
}

step_d() { each responsiveness offload celery fastapi-inline; }
responsiveness() {
  local pace=(--rate "$PACE_RATE" --seconds "$PACE_SECONDS" --idle-seconds "$PACE_IDLE_SECONDS" --target-ms "$TARGET_MS" --singles 3)
  if [ "$1" = fastapi-inline ]; then
    front celery
    rec step=d system="$1" -- inline "${pace[@]}"
  else
    front "$1"
    start_workers "$1" cpu 10  # niced, as `make run` starts Offload's
    rec step=d system="$1" -- cpu "$1" --pace "$api/healthz" "${pace[@]}"
  fi
}

step_e() { each pickup offload celery sidekiq; }
pickup() {
  front "$1"
  start_workers "$1" e2e
  rec step=e system="$1" -- pickup "$1" --jobs "$PICKUP_JOBS"
  sleep 1
  rec step=f system="$1" what=workers-idle -- rss --once "${worker_pids[@]}"
}

# Redis as Offload's `make run` and docker-compose.yml start it, and Offload on Redis's defaults.
step_f() { each redis_memory offload celery sidekiq offload-defaults; }
redis_memory() {
  if [ "$1" = offload-defaults ]; then
    front offload
    rec step=f system=offload what=redis-defaults -- memory offload --jobs "$MEMORY_JOBS" --payload-bytes "$PAYLOAD_BYTES"
  else
    front "$1" --hash-max-listpack-value 256
    rec step=f system="$1" what=redis -- memory "$1" --jobs "$MEMORY_JOBS" --payload-bytes "$PAYLOAD_BYTES"
  fi
}

step_g() { each scale offload; }
scale() {
  local pending
  front offload --hash-max-listpack-value 256
  # A first wrk warms the submit path up; its jobs are purged, so the first level starts empty.
  rec step=g system=offload what=warm-up -- wrk --duration 2s --body '{"type": "test.noop"}' "$api/v1/jobs"
  "$bin/offload" purge --queue default --state pending --redis-url "$redis_url" >/dev/null
  for pending in $SCALE_PENDING; do
    rec step=g system=offload level="$pending" what=fill -- fill --pending "$pending"
    rec step=g system=offload level="$pending" what=stats -- stats-time "$bin/offload" --times 5
    rec step=g system=offload level="$pending" what=submit -- wrk --duration "$SCALE_DURATION" \
      --body '{"type": "test.noop"}' "$api/v1/jobs"
  done
}

api="" redis_url=""
rec step=facts quick="$QUICK" runs="$RUNS" steps="$STEPS" duration="$DURATION" n="$N" cpu_jobs="$CPU_JOBS" \
  target_ms="$TARGET_MS" pace_rate="$PACE_RATE" pace_seconds="$PACE_SECONDS" pace_idle_seconds="$PACE_IDLE_SECONDS" \
  pickup_jobs="$PICKUP_JOBS" memory_jobs="$MEMORY_JOBS" payload_bytes="$PAYLOAD_BYTES" \
  scale_pending="$SCALE_PENDING" scale_duration="$SCALE_DURATION" -- facts >/dev/null
started=$SECONDS
for run in $(seq 1 "$RUNS"); do
  for step in $STEPS; do
    echo "run $run/$RUNS: step ($step), $((SECONDS - started)) s in" >&2
    "step_$step"
  done
done
rec step=end seconds=$((SECONDS - started)) -- facts >/dev/null
"$py" scripts/bench/report.py "$raw" ${DOC:+--doc "$DOC"}
