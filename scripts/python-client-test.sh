#!/usr/bin/env bash
# The Python client (clients/python) and the FastAPI example (Examples/fastapi) against a real
# stack: a private redis-server, offload-api (with a bearer token, so the client sends it) and
# an offload-worker --enable-test-jobs --processes 2, on free loopback ports, stopped on exit.
# The pinned test dependencies live in .build/venv-python, reinstalled only when the pins or the
# client's pyproject.toml change. Bounded: each test 3 minutes, the whole pytest run 5.
#
#   OFFLOAD_BIN_DIR=/path/to/bin scripts/python-client-test.sh   # test other executables
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${OFFLOAD_BIN_DIR:-$(swift build --show-bin-path)}"
if [ -z "${OFFLOAD_BIN_DIR:-}" ] && { [ ! -x "$bin/offload-api" ] || [ ! -x "$bin/offload-worker" ]; }; then
  swift build --product offload-api && swift build --product offload-worker
fi

# The virtualenv, installed from the pins; the stamp is what it was installed from.
venv=.build/venv-python
stamp="$venv/.installed-from"
wanted=$(cat clients/python/requirements-test.txt clients/python/pyproject.toml)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$wanted" ]; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r clients/python/requirements-test.txt -e clients/python
  printf '%s' "$wanted" >"$stamp"
fi

source scripts/lib/stack.sh
# On failure the stack's logs, before stop_stack removes them with the stack.
stop_stack_showing_logs() {
  local status=$?
  set +e  # a failing command here must not skip stop_stack
  if [ "$status" -ne 0 ]; then
    echo "--- python client tests failed; last lines of the logs:" >&2
    tail -n 20 "$workdir"/*.log >&2 2>/dev/null
  fi
  (exit "$status")  # stop_stack exits with the status it finds in $?
  stop_stack
}
trap stop_stack_showing_logs EXIT

token="py-$RANDOM$RANDOM$RANDOM"
start_redis
OFFLOAD_API_TOKEN="$token" start_api
# A short grace period: a job a failed test left running must not hold up the exit.
start_worker --processes 2 --grace-seconds 5

OFFLOAD_API_URL="$api" OFFLOAD_API_TOKEN="$token" PYTHONDONTWRITEBYTECODE=1 \
  timeout 300 "$venv/bin/python" -m pytest -q -p no:cacheprovider --timeout 180 \
  clients/python/tests Examples/fastapi/test_app.py
