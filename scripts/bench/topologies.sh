# Real Redis deployments on free loopback ports, for scripts/bench-topologies.sh. Source
# scripts/lib/stack.sh first (its $workdir, $pids and wait_for: everything started here is
# stopped with the rest on exit). Every server runs as the benchmarks' single Redis does:
# --save "" --appendonly no, hash-max-listpack-value 256 (as Offload's `make run` starts it).
#
#   start_standalone               $standalone_url
#   start_cluster [PRIMARIES]      $cluster_url (PRIMARIES primaries with a replica each, default 3)
#   start_sentinel [REPLICAS]      $sentinel_url (a primary, REPLICAS replicas (2), 3 sentinels)
#   start_replicated               $replicated_url: a primary with one replica, plain redis://

bench_redis_options=(--bind 127.0.0.1 --save "" --appendonly no --daemonize no --loglevel warning --hash-max-listpack-value 256)

# free_port_pair: a free loopback port whose port + 10000 (a cluster node's bus) is free too.
free_port_pair() {
  python3 - <<'EOF'
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); port = a.getsockname()[1]
    if port + 10000 < 65536:
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", port + 10000))
            print(port); break
        except OSError:
            pass
        finally:
            b.close()
    a.close()
EOF
}

# server_is PORT PID: the server on PORT is process PID (not another that took the port).
server_is() { [ "$(redis-cli -p "$1" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')" = "$2" ]; }

# start_server NAME PORT [OPTIONS]: one redis-server in its own folder; ready when it answers.
start_server() {
  local name=$1 port=$2 pid
  shift 2
  mkdir -p "$workdir/$name"
  redis-server --port "$port" --dir "$workdir/$name" "${bench_redis_options[@]}" "$@" >"$workdir/$name/log" 2>&1 &
  pid=$!
  pids+=($pid)
  wait_for "redis-server $name" "$pid" 60 server_is "$port" "$pid" || { tail -n 20 "$workdir/$name/log" >&2; return 1; }
}

start_standalone() {
  local port
  port=$(scripts/free-port.sh)
  start_server standalone "$port"
  standalone_url="redis://127.0.0.1:$port"
}

# cluster_healthy PORTS...: every node says cluster_state:ok, every primary has its replica
# and every replica's link is up.
cluster_healthy() {
  local port info
  for port in "$@"; do
    redis-cli -p "$port" cluster info | grep -q "cluster_state:ok" || return 1
    info=$(redis-cli -p "$port" info replication | tr -d '\r')
    if grep -q "role:master" <<<"$info"; then grep -q "connected_slaves:1" <<<"$info" || return 1; fi
    if grep -q "role:slave" <<<"$info"; then grep -q "master_link_status:up" <<<"$info" || return 1; fi
  done
}

start_cluster() {
  local primaries=${1:-3} ports=() port i
  for ((i = 0; i < primaries * 2; i++)); do
    port=$(free_port_pair)
    start_server "cluster-$port" "$port" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
    ports+=("$port")
  done
  redis-cli --cluster create $(printf '127.0.0.1:%s ' "${ports[@]}") --cluster-replicas 1 --cluster-yes \
    >"$workdir/cluster-create.log" 2>&1 || { tail -n 20 "$workdir/cluster-create.log" >&2; return 1; }
  wait_for "the cluster" "${pids[-1]}" 120 cluster_healthy "${ports[@]}"
  cluster_ports=("${ports[@]}")
  cluster_url="redis+cluster://$(printf '127.0.0.1:%s,' "${ports[@]}")"
  cluster_url=${cluster_url%,}
}

# sentinels_ready PRIMARY_PORT REPLICAS PORTS...: the primary has its replicas and every
# sentinel sees them and the other sentinels.
sentinels_ready() {
  local primary=$1 replicas=$2 port fields
  shift 2
  redis-cli -p "$primary" info replication | tr -d '\r' | grep -q "connected_slaves:$replicas" || return 1
  for port in "$@"; do
    fields=$(redis-cli -p "$port" sentinel master offload | tr -d '\r' | paste - -)
    grep -q "^num-slaves	$replicas$" <<<"$fields" || return 1
    grep -q "^num-other-sentinels	$(($# - 1))$" <<<"$fields" || return 1
  done
}

start_sentinel() {
  local replicas=${1:-2} primary port i sentinel_ports=() pid
  primary=$(scripts/free-port.sh)
  start_server sentinel-primary "$primary"
  for ((i = 0; i < replicas; i++)); do
    port=$(scripts/free-port.sh)
    start_server "sentinel-replica-$port" "$port" --replicaof 127.0.0.1 "$primary"
  done
  for i in 1 2 3; do
    port=$(scripts/free-port.sh)
    mkdir -p "$workdir/sentinel-$port"
    cat >"$workdir/sentinel-$port/sentinel.conf" <<EOF
port $port
bind 127.0.0.1
dir $workdir/sentinel-$port
sentinel monitor offload 127.0.0.1 $primary 2
sentinel down-after-milliseconds offload 5000
sentinel failover-timeout offload 10000
EOF
    redis-server "$workdir/sentinel-$port/sentinel.conf" --sentinel >"$workdir/sentinel-$port/log" 2>&1 &
    pid=$!
    pids+=($pid)
    wait_for "sentinel $port" "$pid" 60 redis-cli -p "$port" ping
    sentinel_ports+=("$port")
  done
  wait_for "the sentinels" "$pid" 120 sentinels_ready "$primary" "$replicas" "${sentinel_ports[@]}"
  sentinel_primary_port=$primary
  sentinel_url="redis+sentinel://$(printf '127.0.0.1:%s,' "${sentinel_ports[@]}")"
  sentinel_url="${sentinel_url%,}/offload"
}

# replica_in_sync PRIMARY_PORT: one replica connected and caught up.
replica_in_sync() {
  redis-cli -p "$1" info replication | tr -d '\r' | grep -q "connected_slaves:1" &&
    redis-cli -p "$1" info replication | tr -d '\r' | grep -q "state=online"
}

start_replicated() {
  local primary replica
  primary=$(scripts/free-port.sh)
  start_server replicated-primary "$primary"
  replica=$(scripts/free-port.sh)
  start_server replicated-replica "$replica" --replicaof 127.0.0.1 "$primary"
  wait_for "the replica" "${pids[-1]}" 120 replica_in_sync "$primary"
  replicated_url="redis://127.0.0.1:$primary"
}
