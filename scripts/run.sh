#!/usr/bin/env bash
# `make run`: Redis (started here only if none answers at REDIS_URL), the API on :8080
# and one worker supervisor with two processes. Ctrl-C stops everything started here.
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
PORT=${PORT:-8080}
bin=$(swift build -c release --show-bin-path)
pids=()
cleanup() {
  trap - EXIT INT TERM
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# host and port out of redis://[user:pass@]host:port/db
hostport=${REDIS_URL#*://}; hostport=${hostport##*@}; hostport=${hostport%%/*}
redis_host=${hostport%%:*}; redis_port=${hostport##*:}
[ "$redis_port" = "$hostport" ] && redis_port=6379
if redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  echo "using Redis at $redis_host:$redis_port"
else
  echo "no Redis at $redis_host:$redis_port: starting a local redis-server (data in ./run/redis)"
  mkdir -p run/redis
  redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$PWD/run/redis" --appendonly yes \
    --hash-max-listpack-value 256 \
    --daemonize no --loglevel warning &
  pids+=($!)
  for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
fi

"$bin/offload-worker" --redis-url "$REDIS_URL" --processes 2 --nice 10 --idle-priority &
pids+=($!)
"$bin/offload-api" --redis-url "$REDIS_URL" --port "$PORT" &
pids+=($!)
echo "Offload is up: API on http://127.0.0.1:$PORT, two worker processes. Ctrl-C stops it."
wait -n "${pids[@]}"
