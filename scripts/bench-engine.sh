#!/usr/bin/env bash
# `make bench-engine`: the queue engine's benchmarks (offload-bench engine), each run on
# its own throwaway redis-server; prints markdown tables (min / median / max of RUNS runs).
#   RUNS=3 JOBS=1000 MEMORY_JOBS=100000 PAYLOAD_BYTES=100 scripts/bench-engine.sh
# Per run: memory on a fresh server (default config), memory on a fresh server with
# hash-max-listpack-value raised above the payload (a deployment option, for comparison),
# then commands + latency on a third fresh server (a real WorkerRuntime in-process).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
JOBS=${JOBS:-1000}
MEMORY_JOBS=${MEMORY_JOBS:-100000}
PAYLOAD_BYTES=${PAYLOAD_BYTES:-100}
LISTPACK_VALUE=${LISTPACK_VALUE:-256}

swift build -c release --product offload-bench >&2
bench="$(swift build -c release --show-bin-path)/offload-bench"

workdir=$(mktemp -d)
redis_pid=""
stop_redis() {
  if [[ -n "$redis_pid" ]]; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=""
  fi
}
cleanup() {
  stop_redis
  rm -rf "$workdir"
}
trap cleanup EXIT

# start_redis [extra redis-server options]: a fresh, empty server; sets $port.
start_redis() {
  stop_redis
  port=$(scripts/free-port.sh)
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$workdir" \
    --daemonize no --loglevel warning "$@" >>"$workdir/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  redis-cli -p "$port" ping >/dev/null
}

results="$workdir/results.jsonl"
: >"$results"
for run in $(seq 1 "$RUNS"); do
  echo "run $run/$RUNS: memory" >&2
  start_redis
  memory=$("$bench" engine --redis-url "redis://127.0.0.1:$port" --mode memory \
    --memory-jobs "$MEMORY_JOBS" --payload-bytes "$PAYLOAD_BYTES" --json)
  echo "run $run/$RUNS: memory, hash-max-listpack-value $LISTPACK_VALUE" >&2
  start_redis --hash-max-listpack-value "$LISTPACK_VALUE"
  listpack=$("$bench" engine --redis-url "redis://127.0.0.1:$port" --mode memory \
    --memory-jobs "$MEMORY_JOBS" --payload-bytes "$PAYLOAD_BYTES" --json)
  echo "run $run/$RUNS: commands and latency (about 40 s)" >&2
  start_redis
  worker=$("$bench" engine --redis-url "redis://127.0.0.1:$port" --mode commands --mode latency \
    --jobs "$JOBS" --payload-bytes "$PAYLOAD_BYTES" --json)
  stop_redis
  printf '{"memory": %s, "listpack": %s, "worker": %s}\n' "$memory" "$listpack" "$worker" >>"$results"
  echo "$worker" >&2
done

echo
echo "Queue engine, $RUNS runs; redis-server $(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/'), $(nproc) cores, $(swift --version 2>&1 | head -1)"
python3 - "$results" "$LISTPACK_VALUE" <<'EOF'
import json, statistics, sys

runs = [json.loads(line) for line in open(sys.argv[1])]
listpack_value = sys.argv[2]

def row(label, values, fmt="{:.0f}", goal=""):
    print(f"| {label} | {fmt.format(min(values))} | {fmt.format(statistics.median(values))} | {fmt.format(max(values))} | {goal} |")

def total(counts, exclude=("script|load",)):
    return sum(v for k, v in counts.items() if k not in exclude)

lat = [r["worker"]["latency"] for r in runs]
mem = [r["memory"]["memory"] for r in runs]
lp = [r["listpack"]["memory"] for r in runs]
cmd = [r["worker"]["commands"] for r in runs]
jobs = lat[0]["jobs"]

print()
print("| measure | min | median | max | goal |")
print("|---|---:|---:|---:|---|")
row(f"pickup latency p50, µs (enqueue → handler start, {jobs} jobs)", [x["p50Us"] for x in lat], goal="≤ 1000")
row("pickup latency p90, µs", [x["p90Us"] for x in lat])
row("pickup latency p99, µs", [x["p99Us"] for x in lat], goal="≤ 5000")
row("pickup latency max, µs", [x["maxUs"] for x in lat])
row(f"memory per pending job, bytes ({mem[0]['jobs']} jobs, {mem[0]['payloadBytes']}-byte payload)", [x["bytesPerJob"] for x in mem])
row("overhead per pending job, bytes (minus the payload)", [x["overheadPerJob"] for x in mem], goal="≤ 300")
row(f"  job hash, MEMORY USAGE ({mem[0]['jobHashEncoding']}, {mem[0]['jobHashFields']} fields)", [x["jobHashBytes"] for x in mem])
row("  pending list, per job", [x["pendingPerJob"] for x in mem])
row("  events stream, per job (trimmed to ~10,000 entries)", [x["eventsPerJob"] for x in mem])
row("  events stream, per entry", [x["eventsPerEntry"] for x in mem])
row("  rest (keyspace table, allocator)", [x["unaccountedPerJob"] for x in mem])
row(f"overhead per pending job with hash-max-listpack-value {listpack_value}", [x["overheadPerJob"] for x in lp], goal="≤ 300")
row(f"  job hash ({lp[0]['jobHashEncoding']})", [x["jobHashBytes"] for x in lp])

def rt_idle(c):  # round trips: scripts, BLPOP, and the registry's SET+ZADD pipeline
    return c.get("evalsha", 0) + c.get("blpop", 0) + c.get("set", 0)

row("idle worker: round trips per second", [rt_idle(c["idlePerSecond"]) for c in cmd], fmt="{:.2f}")
row("idle worker: commands Redis runs per second", [total(c["idlePerSecond"]) for c in cmd], fmt="{:.2f}")
# extend-leases runs one HMGET per running job; nothing else runs HMGET while the job runs.
row(f"worker with a running job (lease {cmd[0]['busyLeaseMilliseconds']} ms): heartbeats per second",
    [c["busyPerSecond"].get("hmget", 0) for c in cmd], fmt="{:.2f}")
row("worker with a running job: commands Redis runs per second", [total(c["busyPerSecond"]) for c in cmd], fmt="{:.2f}")

print()
print("Redis commands per job (run 1; counts are the same in every run unless noted). EVALSHA and BLPOP are the")
print("client's commands; the others run inside the scripts.")
print()
print("| phase | round trips / job | commands Redis ran / job | of which |")
print("|---|---:|---:|---|")
def detail(counts):
    return ", ".join(f"{k} {v:.2f}".rstrip("0").rstrip(".") for k, v in sorted(counts.items()) if abs(v) >= 0.005)
for i, phase in enumerate(cmd[0]["phases"]):
    totals = [total(c["phases"][i]["commandsPerJob"]) for c in cmd]
    spread = "" if max(totals) - min(totals) < 0.01 else f" ({min(totals):.2f}–{max(totals):.2f})"
    print(f"| {phase['phase']} | {phase['roundTripsPerJob']:.2f} | {statistics.median(totals):.2f}{spread} | {detail(phase['commandsPerJob'])} |")
w = [c["workerPerJob"] for c in cmd]
wt = [total(x) for x in w]
wr = [x.get("evalsha", 0) + x.get("blpop", 0) for x in w]
print(f"| real WorkerRuntime, one job at a time (submit + wake + claim + complete + empty claim), background subtracted | "
      f"{statistics.median(wr):.2f} ({min(wr):.2f}–{max(wr):.2f}) | {statistics.median(wt):.2f} ({min(wt):.2f}–{max(wt):.2f}) | {detail(w[0])} |")
print()
print("Worker background per second (run 1):")
print()
print(f"- idle: {detail(cmd[0]['idlePerSecond'])}")
print(f"- one job running (lease {cmd[0]['busyLeaseMilliseconds']} ms): {detail(cmd[0]['busyPerSecond'])}")
EOF
