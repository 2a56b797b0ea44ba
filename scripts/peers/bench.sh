#!/usr/bin/env bash
# `make bench-peers`: Offload against FastAPI + uvicorn + Celery (Redis broker) and Sidekiq,
# same machine, same run, each system on its own fresh private redis-server; RUNS (3) runs.
#   (a) HTTP submit: wrk -t1 -c32 -d10s --latency on the submit endpoint and on /healthz.
#   (b) end to end: N (50,000) no-op jobs submitted in bulk, then 2 worker processes drain them.
# RUNS, DURATION and N override 3, 10s and 50000. Prints a markdown table.
# Issue 7's (c)-(g) are not here yet.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/peers/setup.sh
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
N=${N:-50000}
swift build -c release --product offload-api >/dev/null
swift build -c release --product offload-worker >/dev/null
bin=$(swift build -c release --show-bin-path)
venv=$PWD/.venv-peers
py=$venv/bin/python
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else if (v ~ /s$/) print v*1000; else print v }'; }
# wrk → "requests/s p50_ms p99_ms non2xx"
measure() {
  local output
  output=$(timeout 60 wrk -t1 -c32 -d"$DURATION" --latency "$@")
  echo "$(awk '/Requests\/sec/ {print $2}' <<<"$output") \
$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$output")") \
$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$output")") \
$(awk '/Non-2xx/ {n=$NF} END {print n+0}' <<<"$output")"
}

# Offload's API with the job types published (a worker starts, publishes them, and leaves).
offload_api() { start_redis; start_api; start_worker --processes 1; kill -TERM "$worker_pid"; wait "$worker_pid" 2>/dev/null || true; }
celery_api() {
  start_redis
  local port; port=$(scripts/free-port.sh)
  REDIS_URL=$redis_url "$venv/bin/uvicorn" --app-dir scripts/peers celery_app.api:api --host 127.0.0.1 --port "$port" \
    --no-access-log --log-level warning >"$workdir/uvicorn.log" 2>&1 &
  pids+=($!)
  peer="http://127.0.0.1:$port"
  for _ in $(seq 1 200); do curl -sf "$peer/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
}
# The drain watcher starts before the workers, so it sees the first job processed.
drain_start() {
  timeout 330 "$py" scripts/peers/e2e.py drain "$1" "$redis_url" "$N" >"$workdir/drain.txt" &
  drain_pid=$!
  pids+=($drain_pid)
  for _ in $(seq 1 100); do [ -e "$workdir/drain.txt" ] && break; sleep 0.05; done
  sleep 0.5  # its imports and first poll
}
drain_wait() { wait "$drain_pid"; drain=$(cat "$workdir/drain.txt"); }
lua() { printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'$1'" >"$workdir/$2.lua"; }

for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS: (a) HTTP submit" >&2
  (
    source scripts/lib/stack.sh
    offload_api
    lua '{"type": "test.noop"}' offload
    echo "a offload healthz $(measure "$api/healthz")" >>"$results/a"
    echo "a offload submit $(measure -s "$workdir/offload.lua" "$api/v1/jobs")" >>"$results/a"
  )
  (
    source scripts/lib/stack.sh
    celery_api
    lua '{"type": "noop"}' celery
    echo "a celery healthz $(measure "$peer/healthz")" >>"$results/a"
    echo "a celery submit $(measure -s "$workdir/celery.lua" "$peer/jobs")" >>"$results/a"
  )
  echo "run $run/$RUNS: (b) end to end, $N no-op jobs" >&2
  (
    source scripts/lib/stack.sh
    offload_api
    submit=$(timeout 120 "$py" scripts/peers/e2e.py submit-offload "$api" "$N")
    drain_start offload
    start_worker --processes 2
    drain_wait
    echo "b offload $(awk -v n="$N" -v s="$submit" 'BEGIN {print n/s}') $drain" >>"$results/b"
  )
  (
    source scripts/lib/stack.sh
    start_redis
    submit=$(cd scripts/peers && REDIS_URL=$redis_url timeout 300 "$py" -m celery_app.submit "$N")
    drain_start celery
    REDIS_URL=$redis_url "$venv/bin/celery" --workdir scripts/peers -A celery_app.tasks worker --concurrency 2 --pool prefork \
      --loglevel WARNING --without-gossip --without-mingle --without-heartbeat >"$workdir/celery.log" 2>&1 &
    pids+=($!)
    drain_wait
    echo "b celery $(awk -v n="$N" -v s="$submit" 'BEGIN {print n/s}') $drain" >>"$results/b"
  )
  (
    source scripts/lib/stack.sh
    start_redis
    submit=$(REDIS_URL=$redis_url timeout 300 ruby scripts/peers/sidekiq_app/submit.rb "$N")
    drain_start sidekiq
    for _ in 1 2; do
      REDIS_URL=$redis_url sidekiq -r ./scripts/peers/sidekiq_app/noop_worker.rb -q default -t 5 >>"$workdir/sidekiq.log" 2>&1 &
      pids+=($!)
    done
    drain_wait
    echo "b sidekiq $(awk -v n="$N" -v s="$submit" 'BEGIN {print n/s}') $drain" >>"$results/b"
  )
done
# BENCH_PEERS_RAW=FILE keeps the raw lines, one per measurement.
if [ -n "${BENCH_PEERS_RAW:-}" ]; then cat "$results"/a "$results"/b >"$BENCH_PEERS_RAW"; fi
"$py" - "$results" "$RUNS" "$DURATION" "$N" <<'PY'
import statistics, sys
d, runs, duration, n = sys.argv[1:]
rows = {}
for name in ("a", "b"):
    for line in open(f"{d}/{name}"):
        f = line.split()
        key = tuple(f[:3]) if name == "a" else tuple(f[:2])
        rows.setdefault(key, []).append([float(x) for x in f[len(key):]])
def col(key, i): return sorted(r[i] for r in rows[key])
def mmm(key, i, fmt="{:,.0f}"):
    v = col(key, i); return f"{fmt.format(v[0])} / {fmt.format(statistics.median(v))} / {fmt.format(v[-1])}"
def med(key, i): return statistics.median(col(key, i))
print(f"\n(a) HTTP submit, wrk -t1 -c32 -d{duration} --latency, {runs} runs (min / median / max; latencies: medians)\n")
print("| system | endpoint | requests/s | p50 ms | p99 ms | non-2xx |")
print("|---|---|---|---:|---:|---:|")
for sysname, label in (("offload", "Offload"), ("celery", "FastAPI + Celery")):
    for ep, path in (("healthz", "GET /healthz"), ("submit", "POST /v1/jobs" if sysname == "offload" else "POST /jobs → noop.delay()")):
        k = ("a", sysname, ep)
        print(f"| {label} | {path} | {mmm(k, 0)} | {med(k, 1):.2f} | {med(k, 2):.2f} | {med(k, 3):.0f} |")
so, sc = med(("a", "offload", "submit"), 0), med(("a", "celery", "submit"), 0)
ho, hc = med(("a", "offload", "healthz"), 0), med(("a", "celery", "healthz"), 0)
r = lambda x: f"{x:.1f}" if x >= 1 else f"{x:.2f}"
print(f"\nsubmit, Offload / Celery: {r(so/sc)}×; healthz, Offload / FastAPI: {ho/hc:.1f}×; "
      f"submit / own healthz: Offload {so/ho:.0%}, FastAPI + Celery {sc/hc:.0%}")
print(f"\n(b) end to end, {int(n):,} no-op jobs, bulk submit then 2 worker processes drain, {runs} runs (min / median / max)\n")
print("| system | submit jobs/s | processed jobs/s |")
print("|---|---|---|")
labels = {"offload": "Offload", "celery": "Celery", "sidekiq": "Sidekiq"}
for s in ("offload", "celery", "sidekiq"):
    if ("b", s) in rows:
        print(f"| {labels[s]} | {mmm(('b', s), 0)} | {mmm(('b', s), 1)} |")
po = med(("b", "offload"), 1)
for s in ("celery", "sidekiq"):
    if ("b", s) in rows:
        print(f"\nprocessed, Offload / {labels[s]}: {r(po/med(('b', s), 1))}×; submit, Offload / {labels[s]}: "
              f"{r(med(('b', 'offload'), 0)/med(('b', s), 0))}×", end="")
print()
PY
