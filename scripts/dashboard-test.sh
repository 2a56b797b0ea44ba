#!/usr/bin/env bash
# The web dashboard in headless Chromium: starts its own redis-server, offload-api (with a
# bearer token, so the sign-in prompt is exercised) and an offload-worker --enable-test-jobs,
# creates data through the API, and a second offload-api on a 3-primary Redis Cluster (for the
# queues' node badges), then runs Tests/dashboard/test_dashboard.py with Selenium.
# It stops everything it started, and the run is bounded (about a minute; hard limit 2).
# The screenshot goes to a temporary folder; `make dashboard-screenshot` writes the one in docs/.
# Needs the Debian packages chromium, chromium-driver and python3-venv (see the Makefile).
set -euo pipefail
cd "$(dirname "$0")/.."

deadline=$((SECONDS + 115))
bin=$(swift build --show-bin-path)
if [ ! -x "$bin/offload-api" ] || [ ! -x "$bin/offload-worker" ]; then
  swift build --product offload-api && swift build --product offload-worker
  deadline=$((SECONDS + 115))
fi

# Selenium in the project virtualenv, pinned.
if [ ! -x .venv/bin/python ]; then python3 -m venv .venv; fi
if ! .venv/bin/python -c 'import selenium, sys; sys.exit(selenium.__version__ != "4.51.0")' 2>/dev/null; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r Tests/dashboard/requirements.txt
fi

workdir=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  # Worker and API first, Redis last; each gets 5 s after SIGTERM, then SIGKILL.
  local index pid
  for ((index = ${#pids[@]} - 1; index >= 0; index--)); do
    pid=${pids[index]}
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    echo "--- dashboard test failed; last lines of the logs:" >&2
    tail -n 20 "$workdir"/*.log >&2 2>/dev/null || true
  fi
  rm -rf "$workdir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis_port=$(scripts/free-port.sh)
api_port=$(scripts/free-port.sh)
token="dash-$RANDOM$RANDOM$RANDOM"
redis_url="redis://127.0.0.1:$redis_port"
api="http://127.0.0.1:$api_port"

# Each process in its own process group (setsid), so the trap stops its children too.
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" \
  --daemonize no --loglevel warning >"$workdir/redis.log" 2>&1 &
pids+=($!)
# Each start waits up to a minute (a loaded machine is slow to start processes), then fails.
for _ in $(seq 1 1200); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis-cli -p "$redis_port" ping >/dev/null || { echo "dashboard test: redis-server did not start" >&2; exit 1; }

OFFLOAD_API_TOKEN="$token" setsid "$bin/offload-api" --port "$api_port" --redis-url "$redis_url" >"$workdir/api.log" 2>&1 &
pids+=($!)
setsid "$bin/offload-worker" --redis-url "$redis_url" --enable-test-jobs --queues default,reports,mail \
  --concurrency 4 --grace-seconds 1 >"$workdir/worker.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 1200); do curl -fsS --max-time 2 "$api/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fsS --max-time 2 "$api/healthz" >/dev/null || { echo "dashboard test: offload-api did not start" >&2; exit 1; }
# The worker publishes its job types; the API rejects unknown types until then.
published() { [ "$(redis-cli -p "$redis_port" hexists offload:job-types test.fail)" = "1" ]; }
for _ in $(seq 1 1200); do published && break; sleep 0.05; done
published || { echo "dashboard test: offload-worker did not publish its job types" >&2; exit 1; }

call() { # METHOD PATH [JSON]
  curl -fsS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+--data "$3"} "$api$2"
}
submit() { call POST /v1/jobs "$1" | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
wait_state() { # ID STATE
  for _ in $(seq 1 100); do
    call GET "/v1/jobs/$1?wait=5" | grep -q "\"state\":\"$2\"" && return 0
    sleep 0.1
  done
  echo "job $1 never reached $2" >&2
  return 1
}

# default: 30 jobs that complete (more than a page of the list), and two long sleeps that are active
# (with progress) during the test: longer than the whole bounded run, however slow the machine.
ids=()
for n in 20000 50000 100000 150000 200000 300000 400000 500000; do
  ids+=("$(submit "{\"type\":\"count-primes\",\"payload\":{\"below\":$n}}")")
done
for _ in $(seq 1 22); do ids+=("$(submit '{"type":"test.noop"}')"); done
for id in "${ids[@]}"; do wait_state "$id" completed; done
submit '{"type":"test.sleep","payload":{"seconds":180}}' >/dev/null
submit '{"type":"test.sleep","payload":{"seconds":180}}' >/dev/null

# reports: delayed jobs (scheduled), one cancelled, and one dead job.
for delay in 600 1800 3600; do submit "{\"type\":\"count-primes\",\"queue\":\"reports\",\"payload\":{\"below\":1000000},\"delay_seconds\":$delay}" >/dev/null; done
cancelled=$(submit '{"type":"count-primes","queue":"reports","payload":{"below":10},"delay_seconds":600}')
call DELETE "/v1/jobs/$cancelled" >/dev/null
dead_report=$(submit '{"type":"test.fail","queue":"reports","payload":{"message":"report template not found"},"max_attempts":1}')
wait_state "$dead_report" dead

# mail: two dead jobs (test.fail, max_attempts 1), then paused with pending jobs piling up.
dead1=$(submit '{"type":"test.fail","queue":"mail","payload":{"message":"SMTP 550: mailbox unavailable"},"max_attempts":1}')
dead2=$(submit '{"type":"test.fail","queue":"mail","payload":{"message":"SMTP 421: try again later"},"max_attempts":1}')
wait_state "$dead1" dead
wait_state "$dead2" dead
call POST /v1/queues/mail/pause >/dev/null
for n in 1 2 3 4 5; do submit "{\"type\":\"test.noop\",\"queue\":\"mail\",\"payload\":{}}" >/dev/null; done

# Per-minute history for the chart: the engine writes prefix:{queue}:stats:<minute>
# (processed/failed, 2 h expiry) as jobs finish; seed the 14 minutes before this one.
now_minute=$(( $(date +%s) / 60 ))
for back in $(seq 1 14); do
  minute=$((now_minute - back))
  processed=$(( 30 + (back * 37) % 50 + (back % 3) * 12 ))
  failed=$(( (back * 7) % 5 ))
  redis-cli -p "$redis_port" hset "offload:{default}:stats:$minute" processed "$processed" failed "$failed" >/dev/null
  redis-cli -p "$redis_port" expire "offload:{default}:stats:$minute" 7200 >/dev/null
  redis-cli -p "$redis_port" hset "offload:{reports}:stats:$minute" processed $(( (back * 5) % 9 )) failed $(( back % 4 == 0 ? 1 : 0 )) >/dev/null
  redis-cli -p "$redis_port" expire "offload:{reports}:stats:$minute" 7200 >/dev/null
done

# A second API on a 3-primary Redis Cluster, for the queues' node badges. Cluster nodes need
# their port + 10000 free too (the cluster bus).
cluster_ports=()
while [ "${#cluster_ports[@]}" -lt 3 ]; do
  port=$(scripts/free-port.sh)
  if [ "$port" -lt 55000 ] && ! (exec 3<>"/dev/tcp/127.0.0.1/$((port + 10000))") 2>/dev/null; then cluster_ports+=("$port"); fi
done
cluster_seeds=()
for port in "${cluster_ports[@]}"; do
  mkdir -p "$workdir/cluster-$port"
  setsid redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir/cluster-$port" \
    --cluster-enabled yes --cluster-config-file nodes.conf --daemonize no --loglevel warning >"$workdir/cluster-$port.log" 2>&1 &
  pids+=($!)
  cluster_seeds+=("127.0.0.1:$port")
done
for port in "${cluster_ports[@]}"; do
  for _ in $(seq 1 1200); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
redis-cli --cluster create "${cluster_seeds[@]}" --cluster-replicas 0 --cluster-yes >"$workdir/cluster-create.log" 2>&1
for _ in $(seq 1 1200); do redis-cli -p "${cluster_ports[0]}" cluster info | grep -q cluster_state:ok && break; sleep 0.05; done
cluster_api_port=$(scripts/free-port.sh)
cluster_api="http://127.0.0.1:$cluster_api_port"
setsid "$bin/offload-api" --port "$cluster_api_port" --redis-url "redis+cluster://$(IFS=,; echo "${cluster_seeds[*]}")" \
  >"$workdir/cluster-api.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 1200); do curl -fsS --max-time 2 "$cluster_api/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
for queue in images mail reports billing exports; do
  curl -fsS -H 'Content-Type: application/json' --data "{\"type\":\"later\",\"queue\":\"$queue\",\"allow_unknown_type\":true}" \
    "$cluster_api/v1/jobs" >/dev/null
done

remaining=$((deadline - SECONDS))
[ "$remaining" -gt 10 ] || { echo "dashboard test: no time left after setup" >&2; exit 1; }
DASHBOARD_URL="$api" DASHBOARD_TOKEN="$token" DASHBOARD_REDIS_PORT="$redis_port" DASHBOARD_RETRY_JOB="$dead1" \
  DASHBOARD_CLUSTER_URL="$cluster_api" \
  DASHBOARD_SCREENSHOT="${DASHBOARD_SCREENSHOT:-$workdir/dashboard.png}" \
  setsid timeout "$remaining" .venv/bin/python Tests/dashboard/test_dashboard.py -v &
pids+=($!)  # its own process group: the trap also stops chromedriver and Chromium
wait "${pids[-1]}"
