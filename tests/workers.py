"""A real `celery worker` process on the test Redis broker and the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

from astral.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("ASTRAL_TEST_ARTIFACTS", ROOT / "test-output"))


@contextmanager
def celery_worker(
    name: str = "celery-worker",
    processes: int | None = None,
    settings_module: str = "astral.test_settings",
) -> Iterator[Path]:
    """The worker runs while the block does (one process, or `processes` forked ones); its log
    is the path yielded. Tasks sent meanwhile go to the broker, not run in place. The test
    settings by default, so it shares the test cache's key prefix; `astral.settings` beside a
    `tests.servers.gunicorn`."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / f"{name}.log"
    pool = [f"--concurrency={processes}"] if processes else ["--pool=solo"]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "astral", "worker", *pool),
                *("--loglevel=INFO", "--without-gossip", "--without-mingle"),
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
        try:
            assert process.poll() is None, "the Celery worker did not start"
            yield log_path
        finally:
            celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
