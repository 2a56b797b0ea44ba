#!/usr/bin/env bash
# `make bench-api`: wrk on POST /v1/jobs against GET /healthz of the same server, in the
# same run (wrk -t1 -c32 -d10s --latency, 3 runs each). Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh wrk
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
swift build -c release --product offload-api >/dev/null
swift build -c release --product offload-worker >/dev/null
bin=$(swift build -c release --show-bin-path)
source scripts/lib/stack.sh

start_redis
start_api
# A worker publishes the job types, then leaves: submits pile up, nothing competes for CPU.
start_worker --processes 1
kill -TERM "$worker_pid"; wait "$worker_pid" 2>/dev/null || true

cat >"$workdir/submit.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"type": "test.noop", "payload": {"n": 1}}'
wrk.headers["Content-Type"] = "application/json"
LUA

# wrk's "Requests/sec" and its p50/p99 latency in ms.
measure() {
  local output rps p50 p99
  output=$(wrk -t1 -c32 -d"$DURATION" --latency "$@")
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$output")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$output")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$output")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$output")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") ${non2xx:-0}"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) print v/1000; else if (v ~ /ms$/) print v+0; else if (v ~ /s$/) print v*1000; else print v }'; }

for run in $(seq 1 "$RUNS"); do
  measure "$api/healthz" >>"$workdir/healthz.txt"
  measure -s "$workdir/submit.lua" "$api/v1/jobs" >>"$workdir/submit.txt"
done
pending=$(redis-cli -p "$redis_port" llen "offload:{default}:pending:0")  # priority-0 jobs

stat() { awk -v c="$2" '{print $c}' "$workdir/$1.txt" | sort -n | awk '{a[NR]=$1} END {printf "%s / %s / %s", a[1], a[int((NR+1)/2)], a[NR]}'; }
med() { awk -v c="$2" '{print $c}' "$workdir/$1.txt" | median; }
ratio=$(awk -v s="$(med submit 1)" -v h="$(med healthz 1)" 'BEGIN {printf "%.0f%%", 100*s/h}')
echo
echo "| endpoint | requests/s (min / median / max) | p50 ms | p99 ms | non-2xx |"
echo "|---|---|---|---|---|"
echo "| GET /healthz | $(stat healthz 1) | $(med healthz 2) | $(med healthz 3) | $(med healthz 4) |"
echo "| POST /v1/jobs | $(stat submit 1) | $(med submit 2) | $(med submit 3) | $(med submit 4) |"
echo
echo "submit / healthz (medians): $ratio; jobs stored: $pending; wrk -t1 -c32 -d$DURATION, $RUNS runs"
