# Offload: the two set-up commands are `make run` and `make test`; both install what is
# missing first. Everything else here is a helper for them or for benchmarks.
SHELL := /bin/bash
SWIFT ?= swift
export REDIS_URL ?= redis://127.0.0.1:6379

# Debian packages the build, the stack and the tests need.
APT_PACKAGES := redis-server libhiredis-dev pkg-config python3 util-linux curl

.PHONY: run test deps build build-release bench-redis-client clean

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

clean:
	rm -rf .build
