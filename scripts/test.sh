#!/usr/bin/env bash
# `make test`: a throwaway redis-server on a free port for the whole run, stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

# Everything the run writes to temporary files (the spawned processes' logs, throwaway Redis
# folders, the browser's profile, the compiler's scratch) goes to one folder: emptied when a
# run starts and kept after it for post-mortems, so runs do not pile files up in /tmp.
export TMPDIR="$PWD/.build/test-tmp"
rm -rf "$TMPDIR"
mkdir -p "$TMPDIR"

source scripts/lib/stack.sh
start_redis

scripts/check-imports.py  # Package.swift's dependencies equal each target's imports
swift build --build-tests
export OFFLOAD_TEST_REDIS_URL="$redis_url"
export OFFLOAD_BIN_DIR="$(swift build --show-bin-path)"

# Whole-stack checks on the same (debug) binaries, each with a private Redis of its own:
OFFLOAD_CHAOS_BIN_DIR="$OFFLOAD_BIN_DIR" scripts/chaos/run.sh --short  # SIGKILL storm, Redis restart with AOF, zombie worker
scripts/dashboard-test.sh  # web dashboard in headless Chromium (Selenium): counts, retry, screenshot
scripts/schemathesis.sh    # the API against its OpenAPI document: Schemathesis, seeded, all response checks
scripts/python-client-test.sh  # the Python client and the FastAPI example against a real API and workers
scripts/example-test.sh    # Examples/Thumbnails, a project built on the library products, end to end

# The engine, the API, the worker processes and the CLI once more on a real Redis Cluster:
# everything must work there unchanged (the Redis client's own tests run once, below).
start_redis_cluster 3
OFFLOAD_TEST_REDIS_URL="$redis_cluster_url" swift test --skip-build --skip OffloadRedisTests --skip OffloadJobsTests "$@"

# Last, so its summary closes the run.
swift test --skip-build "$@"
