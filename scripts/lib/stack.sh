# Shared by the test and benchmark scripts: a private Offload stack on free loopback ports.
# Source it, then: start_redis [REDIS OPTIONS]; start_api; start_worker ARGS...; everything
# started is stopped on exit. start_api and start_worker need `bin` (the built executables' folder).

workdir=$(mktemp -d)
pids=()
# Last started, first stopped, each waited for: Redis outlives the processes that use it, so
# workers finishing their jobs can still store the outcomes instead of retrying until their
# grace period ends.
stop_stack() {
  local status=$? i
  trap - EXIT INT TERM
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$workdir"
  exit "$status"
}
trap stop_stack EXIT INT TERM

start_redis() {
  redis_port=$(scripts/free-port.sh)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" \
    --daemonize no --loglevel warning "$@" >"$workdir/redis.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  redis_url="redis://127.0.0.1:$redis_port"
}

# start_api: its pid is in $api_pid, its URL in $api.
start_api() {
  api_port=$(scripts/free-port.sh)
  "$bin/offload-api" --port "$api_port" --redis-url "$redis_url" >"$workdir/api.log" 2>&1 &
  api_pid=$!
  pids+=($api_pid)
  api="http://127.0.0.1:$api_port"
  for _ in $(seq 1 200); do curl -sf --max-time 2 "$api/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
}

# start_worker ARGS...: one supervisor; its pid is in $worker_pid.
start_worker() {
  "$bin/offload-worker" --redis-url "$redis_url" --enable-test-jobs "$@" >>"$workdir/worker.log" 2>&1 &
  worker_pid=$!
  pids+=($worker_pid)
  for _ in $(seq 1 200); do
    [ "$(redis-cli -p "$redis_port" hexists offload:job-types count-primes)" = "1" ] && break
    sleep 0.05
  done
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
