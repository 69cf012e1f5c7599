"""A service of many clubs (issue 36, item 3): `BENCH_MANY_CLUBS` clubs of 20 athletes, a
year of runs each, beside the big club of the largest size, in one database.

What it states: the data build's time (budget 10 minutes); the hourly refresh across every
club (every snapshot forced, a usual hour, the hour midnight passes in Europe/Berlin) on two
worker processes; and each club's answers against the same club alone, within 1.2×: the
big club against the largest size's database, a small club against a database holding only
a club of its shape. The shape is built in a database of its own beside the one alone, and
each answer is asked of both, from two servers side by side, request for request."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis
from django.contrib.sessions.backends.db import SessionStore

from bench.environment import API_KEY, DAYS, log
from bench.imports import refresh_snapshots
from bench.probes import paired_latency
from bench.servers import free_port, start_gunicorn

CLUBS = int(os.environ.get("BENCH_MANY_CLUBS", "0"))
CLUB_SIZE = 20
CLUB_DAYS = 365
BUILD_BUDGET_S = 600
WITHIN = 1.2  # a club's answers beside many clubs, against the same club alone
# The README's plan for 100,000 athletes (docs/performance.md) assumes a midnight hour for
# 20,000 of them in about 60 s on two processes: 333 athletes a second.
PLAN_RATE = 20_000 / 60
SMALL_CLUB = 1  # the small club measured: club 1 (America/Chicago)


def club_key(number: int) -> str:
    """bench/clubs.sql's key of small club `number`."""
    return "ak_club_" + f"{number:012d}".ljust(35, "0")


def session_of(username: str) -> str:
    from athletes.models import User

    user = User.objects.get(username=username)
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "athletes.backends.EmailOrUsernameBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key or ""


def club_answers(key: str, coach: str, athlete: str) -> list[tuple[str, str, dict[str, str]]]:
    """What a club's coach and integration read, for the club whose key and coach these are."""
    api = {"X-API-Key": key, "Accept-Encoding": "gzip"}
    page = {"Cookie": f"sessionid={session_of(coach)}"}
    return [
        ("coach_athletes_metrics, uncached", "/api/v1/analytics/coach_athletes_metrics?per_page=200&no_cache=1", api),
        ("athlete_profile, uncached (refresh=true)", f"/api/v1/analytics/athlete_profile?user_id={athlete}&refresh=true", api),
        ("group_overview", "/api/v1/analytics/group_overview", api),
        ("group_comparison, 30 days", "/api/v1/analytics/group_comparison?period=30", api),
        ("activity list, 20 per page", f"/api/v1/activities?user_id={athlete}&per_page=20", api),
        ("Athletes page (roster)", "/athletes", page),
        ("Group Dashboard page", "/analytics", page),
        ("Club page", "/club", page),
    ]  # fmt: skip


def use_database(name: str) -> dict[str, str]:
    """Points this process, and the servers and workers it starts, at database `name`;
    returns the environment a server of that database is started with."""
    from django.db import connections

    url = urlsplit(os.environ["DATABASE_URL"])
    os.environ["DATABASE_URL"] = urlunsplit(url._replace(path=f"/{name}"))
    default = connections["default"]
    default.close()
    default.settings_dict["NAME"] = name
    return {"DATABASE_URL": os.environ["DATABASE_URL"]}


def create_database(name: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')


def alone_environment(database: dict[str, str]) -> dict[str, str]:
    """The club alone's server: its database, and a cache of its own (another Redis
    database: the two databases' ids are alike, and a shared cache would mix their answers)."""
    url = urlsplit(os.environ["REDIS_URL"])
    return {**database, "REDIS_URL": urlunsplit(url._replace(path="/3"))}


def measure_pair(
    here: list[tuple[str, str, dict[str, str]]],
    alone: list[tuple[str, str, dict[str, str]]],
    workers: int,
    alone_env: dict[str, str],
) -> list[dict[str, Any]]:
    """Each answer of the club beside the many clubs and of the same club alone, from two
    servers running side by side, asked in turns (bench/probes.py, paired_latency)."""
    ports = free_port(), free_port()
    servers = start_gunicorn(ports[0], workers), start_gunicorn(ports[1], workers, alone_env)
    try:
        rows = []
        for (name, path, headers), (_, alone_path, alone_headers) in zip(here, alone, strict=True):
            pair = paired_latency((ports[0], path, headers), (ports[1], alone_path, alone_headers))
            rows.append({"answer": name, **pair, "met": pair["ratio"] <= WITHIN})
        return rows
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)


def small_club(number: int) -> list[tuple[str, str, dict[str, str]]]:
    from athletes.models import User

    athlete = (
        User.objects.filter(username__startswith=f"club{number}_", plan_instances__status="active")
        .order_by("pk")
        .first()
    )
    return club_answers(club_key(number), f"club{number}_0", athlete.public_id)


def big_club() -> list[tuple[str, str, dict[str, str]]]:
    from athletes.models import User

    athlete = (
        User.objects.filter(memberships__role="athlete", plan_instances__status="active")
        .order_by("pk")
        .first()
    )
    return club_answers(API_KEY, "bench1", athlete.public_id)


def many_clubs(*, athletes: int, workers: int, build: Any, reset: Any) -> dict[str, Any]:
    """The whole shape, in a database of its own beside the current one, which holds the big
    club alone (the largest size's, still loaded); `build(athletes, clubs)` loads the current
    database, `reset()` empties it."""
    from django.db import connection

    from analytics.snapshots import snapshots_refresh_all

    alone_db = connection.settings_dict["NAME"]
    shape_db = f"{alone_db}_many"
    alone_env = alone_environment(use_database(alone_db))
    big_alone = big_club()
    create_database(shape_db)
    use_database(shape_db)
    log(f"many clubs: {CLUBS:,} clubs of {CLUB_SIZE} beside a club of {athletes:,}")
    started = time.perf_counter()
    data = build(athletes, CLUBS)
    build_s = time.perf_counter() - started
    snapshots = refresh_snapshots(one_process=False)
    big = measure_pair(big_club(), big_alone, workers, alone_env)
    # The small club alone: the other database emptied and loaded with a club of its shape.
    use_database(alone_db)
    reset()
    build(0, 1)
    snapshots_refresh_all(batch_size=200)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would soon after: the snapshots are new
    small_alone = small_club(1)
    use_database(shape_db)
    # The alone server's cache still holds the big club's answers under the same ids.
    redis.Redis.from_url(alone_env["REDIS_URL"]).flushdb()
    small = measure_pair(small_club(SMALL_CLUB), small_alone, workers, alone_env)
    result = {
        "clubs": CLUBS,
        "club_size": CLUB_SIZE,
        "club_days": CLUB_DAYS,
        "big_club": athletes,
        "big_days": DAYS,
        "athletes": athletes + CLUBS * CLUB_SIZE,
        "data": data,
        "build_s": build_s,
        "build_met": build_s <= BUILD_BUDGET_S,
        "snapshots": snapshots,
        "midnight_rate": snapshots["midnight_athletes"] / snapshots["seconds_midnight_hour"],
        "big": big,
        "small": small,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    log(
        f"many clubs: built in {build_s:.0f} s; {snapshots['athletes']:,} snapshots in "
        f"{snapshots['seconds']:.1f} s; usual hour {snapshots['seconds_usual_hour']:.2f} s; "
        f"Berlin midnight ({snapshots['midnight_athletes']:,} athletes) "
        f"{snapshots['seconds_midnight_hour']:.2f} s"
    )
    for side in ("big", "small"):
        for row in result[side]:
            log(
                f"many clubs, {side} club, {row['answer']}: {row['p50_ms']:.1f} ms against "
                f"{row['alone_p50_ms']:.1f} alone, {row['ratio']:.2f}×"
            )
    return result
