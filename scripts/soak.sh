#!/usr/bin/env bash
# `make soak`: a fresh cluster (scripts/cluster.sh, state in a temporary folder), five minutes
# of load while drills break its parts (scripts/soak.py, which writes docs/soak.md and
# docs/soak.svg), then the cluster stopped. Exits non-zero when a write was lost or stored
# twice, an answer was stale, or errors exceeded 0.1 % or fell outside the drills.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d /tmp/astral-soak.XXXXXX)
cleanup() { scripts/cluster.sh stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir" || true; }
trap cleanup EXIT
# Beat runs the snapshot refresh every minute here, so the drills meet it several times.
export ASTRAL_SNAPSHOT_REFRESH_SECONDS=${ASTRAL_SNAPSHOT_REFRESH_SECONDS:-60}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CLUSTER_PORT=${SOAK_PORT:-$port} scripts/cluster.sh start "$dir"
# shellcheck disable=SC1091
. "$dir/cluster.env"
set +e
.venv/bin/python scripts/soak.py 2>"$dir/soak-stderr.log"
rc=$?
set -e
[ $rc = 0 ] || tail -20 "$dir/soak-stderr.log" >&2
exit $rc
