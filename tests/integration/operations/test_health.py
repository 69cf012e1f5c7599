"""Issue 38: `/healthz` tells the truth. A load balancer (the cluster's HAProxy) sends users
to a web process while it answers 200; with PostgreSQL dead that process can only give 500s,
so its health check must say so. Tried on a live gunicorn whose own PostgreSQL and Redis are
stopped under it."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import ROOT, call, gunicorn

SERVICES = str(ROOT / "scripts" / "services.sh")


@pytest.fixture
def own_services() -> Iterator[tuple[str, dict[str, str]]]:
    """A PostgreSQL and a Redis of this test's own, to stop without stopping the suite's."""
    state = tempfile.mkdtemp(prefix="astral-health.", dir="/tmp")
    try:
        subprocess.run([SERVICES, "start", state], check=True, capture_output=True)
        env = {}
        for line in Path(state, "env").read_text().splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            env[name] = value
        yield state, env
    finally:
        subprocess.run([SERVICES, "stop", state], check=False, capture_output=True)
        shutil.rmtree(state, ignore_errors=True)


def health(base: str) -> tuple[int, dict]:
    status, _headers, body = call(base + "/healthz")
    return status, json.loads(body)


def test_healthz_says_degraded_without_redis_and_503_without_postgresql(own_services):
    state, env = own_services
    with gunicorn(DATABASE_URL=env["DATABASE_URL"], REDIS_URL=env["REDIS_URL"]) as (base, _):
        assert health(base) == (200, {"status": "ok", "database": "ok", "cache": "ok"})

        # Redis gone: pages are served from PostgreSQL, slower; still in the balancer.
        subprocess.run([SERVICES, "redis-stop", state], check=True)
        assert health(base) == (200, {"status": "degraded", "database": "ok", "cache": "down"})

        # PostgreSQL gone: nothing can be served; the balancer must stop sending users here.
        subprocess.run([SERVICES, "pg-stop", state], check=True)
        status, body = health(base)
        assert status == 503
        assert body["details"]["code"] == "DATABASE_DOWN"  # the API's error shape
        assert body["details"]["database"] == "down"
        assert body["error"] == "The database does not answer."
