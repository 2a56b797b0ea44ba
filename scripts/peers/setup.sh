#!/usr/bin/env bash
# Installs what `make bench` needs besides Offload, in the project's own places: the peers
# it compares Offload with, FastAPI + uvicorn + Celery (Redis broker) in the virtualenv
# .venv-peers with the versions pinned in scripts/peers/requirements.txt (matplotlib for the
# plots too), Sidekiq from Debian (ruby-sidekiq), and wrk.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh python3 python3-venv redis-server wrk ruby-sidekiq
venv=.venv-peers
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
if ! cmp -s scripts/peers/requirements.txt "$stamp"; then
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/peers/requirements.txt
  cp scripts/peers/requirements.txt "$stamp"
fi
