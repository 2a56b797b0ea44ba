#!/usr/bin/env bash
# `make bench-redis-client`: redis-benchmark and offload-bench against one throwaway
# redis-server, same run, RUNS runs each; prints a markdown table of medians.
#   N=200000 RUNS=3 POOL_SIZES=1,2,4,8 scripts/bench-redis-client.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200000}
RUNS=${RUNS:-3}
POOL_SIZES=${POOL_SIZES:-1,2,4,8}

swift build -c release --product offload-bench >&2
bench="$(swift build -c release --show-bin-path)/offload-bench"

source scripts/lib/stack.sh
start_redis
port=$redis_port
redis-cli -p "$port" ping >/dev/null

# redis-benchmark -q prints e.g. "LPUSH: 123456.79 requests per second, p50=0.159 msec".
rb() {
  redis-benchmark -p "$port" -t lpush -n "$N" -q "$@" | tr '\r' '\n' | awk '/^LPUSH:/ { v = $2 } END { print v }'
}

declare -A rb_ops ours_ops
best_pool=()
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS" >&2
  rb_ops[single]+=" $(rb -c 1)"
  rb_ops[concurrent]+=" $(rb -c 50)"
  rb_ops[pipelined]+=" $(rb -c 1 -P 16)"
  json=$("$bench" --redis-url "redis://127.0.0.1:$port" --requests "$N" --pool-sizes "$POOL_SIZES" --json)
  echo "$json" >&2
  read -r s c p pool < <(python3 -c '
import json, sys
r = {x["mode"]: x for x in json.load(sys.stdin)["results"]}
print(r["single"]["opsPerSecond"], r["concurrent"]["opsPerSecond"], r["pipelined"]["opsPerSecond"], r["concurrent"]["poolSize"])
' <<<"$json")
  ours_ops[single]+=" $s"
  ours_ops[concurrent]+=" $c"
  ours_ops[pipelined]+=" $p"
  best_pool+=("$pool")
done

# median / min / max of a space-separated list
stats() { python3 -c 'import sys, statistics as s; v = [float(x) for x in sys.argv[1:]]; print(round(s.median(v)), round(min(v)), round(max(v)))' $1; }

echo
echo "LPUSH, $N requests, 3-byte value, $RUNS runs; redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores"
echo
echo "| mode | redis-benchmark ops/s (median) | offload ops/s (median) | offload min | offload max | ratio |"
echo "|---|---:|---:|---:|---:|---:|"
for mode in single concurrent pipelined; do
  case $mode in
    single) label="1 connection, unpipelined (\`-c 1\`)" ;;
    concurrent) label="50 concurrent callers (\`-c 50\`; best pool size per run: ${best_pool[*]})" ;;
    pipelined) label="pipelined batches of 16, 1 connection (\`-c 1 -P 16\`)" ;;
  esac
  read -r rb_med _ _ < <(stats "${rb_ops[$mode]}")
  read -r med min max < <(stats "${ours_ops[$mode]}")
  ratio=$(python3 -c "print(f'{$med / $rb_med * 100:.0f}%')")
  echo "| $label | $rb_med | $med | $min | $max | $ratio |"
done
