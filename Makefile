# Offload: the two set-up commands are `make run` and `make test`; both install what is
# missing first. Everything else here is a helper for them or for benchmarks.
SHELL := /bin/bash
SWIFT ?= swift
export REDIS_URL ?= redis://127.0.0.1:6379

# Debian packages the build, the stack and the tests need.
APT_PACKAGES := redis-server libhiredis-dev pkg-config python3 python3-venv util-linux curl docker-compose python3-yaml chromium chromium-driver

.PHONY: run test deps build build-release bench-redis-client bench-api bench-workers dashboard-screenshot clean chaos docs

## Start Redis (if none answers at REDIS_URL), the API on :8080 and two worker processes.
run: deps build-release
	@scripts/run.sh

## Start a throwaway redis-server on a free port and run the whole test suite.
test: deps
	@scripts/test.sh

## Install missing Debian packages (apt-get update runs once, only if something is missing).
deps:
	@scripts/install-deps.sh $(APT_PACKAGES)

build: deps
	$(SWIFT) build

build-release: deps
	$(SWIFT) build -c release

## Redis client throughput against redis-benchmark, same server, same run.
bench-redis-client: deps
	@scripts/bench-redis-client.sh

## Queue engine: Redis commands per job, idle pickup latency, memory per pending job (docs/benchmarks.md).
.PHONY: bench-engine
bench-engine: deps
	@scripts/bench-engine.sh

## The engine on one Redis, a Cluster, Sentinel and --min-replicas 1, side by side (docs/benchmarks.md).
.PHONY: bench-topologies
bench-topologies: deps
	@scripts/bench-topologies.sh

## Chaos scenarios on real loopback stacks (kills, Redis restart/stall, zombie, poison, soak); see RELIABILITY.md.
chaos: deps
	@scripts/chaos/run.sh

## HTTP submit throughput and latency (wrk) against the same server's /healthz.
bench-api: deps
	@scripts/bench/api.sh

## CPU efficiency: 200 ~50 ms count-primes jobs on 2 worker processes against the ideal.
bench-workers: deps
	@scripts/bench/workers.sh

## Offload side by side with FastAPI + Celery and Sidekiq, steps (a)-(g); writes the results into
## docs/benchmarks.md. STEPS="a b", RUNS=3, QUICK=1 and the sizes: see scripts/bench/run.sh.
.PHONY: bench
bench: deps
	@scripts/bench/run.sh

## Refresh docs/images/dashboard.png from a real stack in headless Chromium.
dashboard-screenshot: deps
	@DASHBOARD_SCREENSHOT=docs/images/dashboard.png scripts/dashboard-test.sh

## Build the DocC documentation of the library products (no warnings allowed).
docs: deps
	@scripts/docs.sh

clean:
	rm -rf .build
