"""Issue 38: `make run` an operator can trust, tried on scripts/run.py itself (what `make run`
and `make manage` call), on the test database (given as DATABASE_URL, as an operator may):

- a write from another process (`manage.py import_activities`, a shell) was invisible to the
  running server for minutes: its cache lived in the server's memory;
- a closed terminal (SIGHUP) left the server running; the next start said "That port is
  already in use" and exited 0.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.factories import make_user
from tests.servers import ROOT, call, database_url, free_port

pytestmark = pytest.mark.django_db(transaction=True)


def run_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL")}
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SETTINGS_MODULE="astral.settings",
        ASTRAL_CACHE_DIR=str(tmp_path / "cache"),
        PORT=str(port),
    )
    return env


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "scripts/run.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_serving(base: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        assert process.poll() is None, process.stdout.read().decode()
        try:
            if call(base + "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("make run did not serve")


def port_answers(port: int) -> bool:
    try:
        call(f"http://127.0.0.1:{port}/healthz")
    except OSError:
        return False
    return True


def test_a_write_from_make_manage_shows_at_once_and_a_closed_terminal_stops_it(tmp_path):
    alice = make_user("alice")  # the database is not empty: no demo is loaded
    from rest_framework_simplejwt.tokens import RefreshToken

    token = {"Authorization": f"Bearer {RefreshToken.for_user(alice).access_token}"}
    port = free_port()
    env = run_env(tmp_path, port)
    base = f"http://127.0.0.1:{port}"
    server = start(env)
    try:
        wait_serving(base, server)

        def runs() -> int:
            status, _, body = call(base + "/api/v1/activities", headers=token)
            assert status == 200
            return json.loads(body)["data"]["total_count"]

        assert runs() == 0  # and now cached by the server
        written = subprocess.run(
            [sys.executable, "scripts/run.py", "manage", "shell", "-c", ADD_A_RUN],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert written.returncode == 0, written.stderr
        assert runs() == 1  # at once, not when a cache entry expires

        # The terminal closes: the server goes with `make run`.
        server.send_signal(signal.SIGHUP)
        server.wait(timeout=20)
        for _ in range(50):
            if not port_answers(port):
                break
            time.sleep(0.1)
        assert not port_answers(port), "the server outlived make run"
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=20)


ADD_A_RUN = """
from datetime import UTC, datetime
from athletes.models import User
from athletes.services.activities import activity_create
activity_create(user=User.objects.get(username="alice"),
                fields={"start_time": datetime(2026, 11, 20, 7, tzinfo=UTC),
                        "distance": 8000.0, "duration": 2400.0})
"""


def test_a_start_that_cannot_serve_says_why_and_fails(tmp_path):
    make_user("alice")
    port = free_port()
    with __import__("socket").socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        process = start(run_env(tmp_path, port))
        output = process.communicate(timeout=60)[0].decode()
    assert process.returncode != 0
    assert f"port {port} on 127.0.0.1 is taken" in output
