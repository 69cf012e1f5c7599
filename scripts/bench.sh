#!/usr/bin/env bash
# `make bench` and `make loadtest`: a throw-away PostgreSQL and Redis, the benchmark, then stop.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  echo "installing wrk from Debian" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
state=$(mktemp -d /tmp/astral-bench.XXXXXX)
cleanup() { scripts/services.sh stop "$state"; rm -rf "$state"; }
trap cleanup EXIT
# Memory as a server holding 5 M activities would be given (PostgreSQL's defaults are
# sized for a laptop: 128 MB of buffers and a checkpoint every 1 GB of WAL during the load).
PG_OPTIONS="-c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min" \
  scripts/services.sh start "$state"
# shellcheck disable=SC1091
. "$state/env"
.venv/bin/python bench/run.py "$@"
