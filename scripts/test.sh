#!/usr/bin/env bash
# `make test`: throw-away PostgreSQL and Redis, the whole suite against them, then stop them.
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d /tmp/astral-test.XXXXXX)
cleanup() { scripts/services.sh stop "$state"; rm -rf "$state"; }
trap cleanup EXIT
scripts/services.sh start "$state"
# A hot-standby replica of it, for the tests of analytics reads on a real replica.
scripts/services.sh replica-start "$state"
# shellcheck disable=SC1091
. "$state/env"
export ASTRAL_TEST_ARTIFACTS=${ASTRAL_TEST_ARTIFACTS:-$PWD/test-output}
mkdir -p "$ASTRAL_TEST_ARTIFACTS"
.venv/bin/python -m pytest "$@"
