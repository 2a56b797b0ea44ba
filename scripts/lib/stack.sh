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

# wait_for WHAT PID SECONDS COMMAND...: runs COMMAND until it succeeds; fails naming WHAT once
# SECONDS have passed or process PID has exited. The deadlines only bound a hang: a loaded
# machine may take many seconds to start a process.
wait_for() {
  local what=$1 pid=$2 seconds=$3
  local deadline=$((SECONDS + seconds))
  shift 3
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$what exited before it was ready" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "$what not ready after $seconds s" >&2
      return 1
    fi
    sleep 0.05
  done
}

# True when the server answering on $redis_port is the process PID: not another one that
# took the port between its choice and this server's start.
redis_is() { [ "$(redis-cli -p "$redis_port" info server | tr -d '\r' | sed -n 's/^process_id://p')" = "$1" ]; }

# start_redis [REDIS OPTIONS]: on a free port; another one if that port was taken by the start.
start_redis() {
  local attempt pid
  for attempt in 1 2 3; do
    redis_port=$(scripts/free-port.sh)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" \
      --daemonize no --loglevel warning "$@" >"$workdir/redis.log" 2>&1 &
    pid=$!
    pids+=($pid)
    if wait_for redis-server "$pid" 60 redis_is "$pid"; then
      redis_url="redis://127.0.0.1:$redis_port"
      return 0
    fi
    grep -q "Address already in use" "$workdir/redis.log" || break
  done
  tail -n 20 "$workdir/redis.log" >&2
  return 1
}

# start_redis_cluster [PRIMARIES]: a Redis Cluster of PRIMARIES (default 3) nodes without
# replicas, joined by redis-cli --cluster create; its URL (every node a seed) in
# $redis_cluster_url. Each node's cluster bus listens on its port + 10000, which must be
# free (and below 65536) too.
start_redis_cluster() {
  local count=${1:-3} port pid seeds=()
  while [ "${#seeds[@]}" -lt "$count" ]; do
    port=$(scripts/free-port.sh)
    [ "$port" -lt 55000 ] || continue
    (exec 3<>"/dev/tcp/127.0.0.1/$((port + 10000))") 2>/dev/null && continue
    mkdir -p "$workdir/cluster-$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir/cluster-$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --daemonize no --loglevel warning \
      >"$workdir/cluster-$port.log" 2>&1 &
    pid=$!
    pids+=($pid)
    redis_port=$port wait_for "cluster node $port" "$pid" 60 redis_is "$pid" || return 1
    seeds+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${seeds[@]}" --cluster-replicas 0 --cluster-yes >"$workdir/cluster-create.log" 2>&1 \
    || { tail -n 20 "$workdir/cluster-create.log" >&2; return 1; }
  for port in "${seeds[@]#127.0.0.1:}"; do
    wait_for "cluster node $port" "$pid" 60 sh -c "redis-cli -p $port cluster info | grep -q cluster_state:ok" || return 1
  done
  redis_cluster_url="redis+cluster://$(IFS=,; echo "${seeds[*]}")"
}

# start_api: its pid is in $api_pid, its URL in $api.
start_api() {
  api_port=$(scripts/free-port.sh)
  "$bin/offload-api" --port "$api_port" --redis-url "$redis_url" >"$workdir/api.log" 2>&1 &
  api_pid=$!
  pids+=($api_pid)
  api="http://127.0.0.1:$api_port"
  wait_for offload-api "$api_pid" 60 curl -sf --max-time 2 "$api/healthz" || { tail -n 20 "$workdir/api.log" >&2; return 1; }
}

worker_published() { [ "$(redis-cli -p "$redis_port" hexists offload:job-types count-primes)" = "1" ]; }

# start_worker ARGS...: one supervisor, ready once its job types are published; its pid is in $worker_pid.
start_worker() {
  "$bin/offload-worker" --redis-url "$redis_url" --enable-test-jobs "$@" >>"$workdir/worker.log" 2>&1 &
  worker_pid=$!
  pids+=($worker_pid)
  wait_for offload-worker "$worker_pid" 60 worker_published || { tail -n 20 "$workdir/worker.log" >&2; return 1; }
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
