#!/usr/bin/env bash
# `make bench-workers`: CPU efficiency of 2 worker processes on ~50 ms count-primes jobs,
# 3 runs, each on a fresh private stack. Prints one JSON line per run and the medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-3}
swift build -c release --product offload-api >/dev/null
swift build -c release --product offload-worker >/dev/null
bin=$(swift build -c release --show-bin-path)
results=$(mktemp)
for run in $(seq 1 "$RUNS"); do
  (
    source scripts/lib/stack.sh
    start_redis
    start_api
    start_worker --processes 2 --concurrency 1
    API="$api" python3 scripts/bench/workers.py
  ) | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
eff = sorted(r["efficiency"] for r in runs)
print(f"\nefficiency (wall vs ideal), min / median / max: {eff[0]:.1%} / {statistics.median(eff):.1%} / {eff[-1]:.1%}"
      f"  — single job {statistics.median(r['single_ms'] for r in runs):.1f} ms alone, "
      f"{statistics.median(r['parallel_job_ms'] for r in runs):.1f} ms in parallel; "
      f"slots busy {statistics.median(r['busy_share'] for r in runs):.1%} of the wall time; {len(runs)} runs")
PY
rm -f "$results"
