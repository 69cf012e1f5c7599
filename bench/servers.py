"""The processes a benchmark measures: gunicorn and Celery workers, and their memory."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.environment import OUT, ROOT


def start_worker(processes: int, log_name: str) -> subprocess.Popen[bytes]:
    from astral.celery import app

    OUT.mkdir(exist_ok=True)
    log_file = (OUT / log_name).open("w")
    worker = subprocess.Popen(
        [
            *(
                sys.executable,
                "-m",
                "celery",
                "-A",
                "astral",
                "worker",
                f"--concurrency={processes}",
            ),
            *("--loglevel=INFO", "--without-gossip", "--without-mingle"),
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "0"},
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    for _ in range(120):
        if app.control.ping(timeout=0.5):
            return worker
    raise RuntimeError(f"the Celery worker did not start (see bench-output/{log_name})")


def process_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the worker's pool), in MB."""
    out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(pid), "-p", str(pid)],
                         capture_output=True, text=True, check=False).stdout  # fmt: skip
    return max((int(v) / 1024 for v in out.split()), default=0.0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(
    port: int, workers: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Gunicorn on loopback `port`; `env` overrides this process's environment (another
    database and cache, for a server beside the usual one)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "astral.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
        # The bench measures the service, not the per-key budget it would enforce.
        "ASTRAL_API_BUDGET_PER_MINUTE": "100000000",
        **(env or {}),
    }
    env.pop("CELERY_BROKER_URL", None)
    OUT.mkdir(exist_ok=True)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "astral.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--keep-alive",
            "30",
            "--access-logfile",
            "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null",
            "--error-logfile",
            str(OUT / "gunicorn.log"),
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    return process


def worker_rss_mb(master: subprocess.Popen[bytes]) -> list[float]:
    rss = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if re.search(rf"^PPid:\s+{master.pid}$", text, re.M):
            match = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
            if match:
                rss.append(int(match.group(1)) / 1024)
    return rss
