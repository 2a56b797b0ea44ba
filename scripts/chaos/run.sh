#!/usr/bin/env bash
# `make chaos`: release build, then every chaos scenario on real loopback stacks (see chaos.py).
#   scripts/chaos/run.sh            all twelve scenarios (the soak: CHAOS_SOAK_SECONDS, default 600)
#   scripts/chaos/run.sh --short    scenarios 1, 2 and 5 with small numbers (~90 s)
#   scripts/chaos/run.sh --only 2,5 chosen scenarios
# CHAOS_KEEP=1 keeps each scenario's folder (Redis data, process logs) under $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "chaos: redis-server is not installed (make deps)" >&2; exit 2; }
if [[ -z "${OFFLOAD_CHAOS_BIN_DIR:-}" ]]; then
  swift build -c release --product offload-api >&2
  swift build -c release --product offload-worker >&2
  OFFLOAD_CHAOS_BIN_DIR="$(swift build -c release --show-bin-path)"
fi
exec python3 scripts/chaos/chaos.py --bin-dir "$OFFLOAD_CHAOS_BIN_DIR" "$@"
