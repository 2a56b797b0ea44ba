# Offload: one image with the three executables (offload-api, offload-worker, offload).
#
#   docker build -t offload .
#   docker compose up --scale worker=4          # see docker-compose.yml and docs/scaling.md
#
# The compose file picks the process with `command:`; there is no ENTRYPOINT, so
# `docker run --rm offload offload stats --redis-url redis://...` works as well.
#
# Not built in this repository's CI (no Docker engine there); docs/scaling.md says what
# is and is not verified.

# ---------------------------------------------------------------------------------------
# Build stage. Swift 6.2 rather than 6.1: several resolved dependencies (hummingbird,
# async-http-client, swift-log, swift-service-lifecycle, ...) declare
# swift-tools-version 6.2, so a 6.1 toolchain cannot resolve the package graph.
FROM swift:6.2-bookworm AS build

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /build

# Resolve dependencies first so this layer is cached while only sources change.
# Package.resolved is git-ignored; the glob copies it when it is there.
COPY ./Package.* ./
RUN swift package resolve

COPY . .

# Static Swift standard library and Foundation: the runtime image needs no Swift
# toolchain, only libc, libstdc++ and libhiredis. The Lua scripts, the OpenAPI document and
# the dashboard are compiled into the binaries (the EmbedFiles plugin), so nothing else ships.
RUN set -eu; \
    for product in offload-api offload-worker offload; do \
        swift build -c release --static-swift-stdlib --product "$product"; \
    done; \
    bin="$(swift build -c release --static-swift-stdlib --show-bin-path)"; \
    mkdir -p /staging; \
    for product in offload-api offload-worker offload; do \
        cp "$bin/$product" /staging/; \
    done; \
    strip /staging/offload-api /staging/offload-worker /staging/offload

# ---------------------------------------------------------------------------------------
# Runtime stage.
FROM debian:bookworm-slim

# libhiredis0.14 is what bookworm's libhiredis-dev links against (libhiredis.so.0.14);
# libstdc++6 is already in the slim image, named here because the binaries need it.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libhiredis0.14 libstdc++6 ca-certificates \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/offload \
    --shell /usr/sbin/nologin offload

COPY --from=build /staging/ /usr/local/bin/

USER offload:offload
WORKDIR /home/offload

EXPOSE 8080

# The API by default; docker-compose.yml runs offload-worker from the same image.
CMD ["offload-api", "--host", "0.0.0.0", "--port", "8080"]
