"""A service of many clubs (issue 36, item 3): `BENCH_MANY_CLUBS` clubs of 20 athletes, a
year of runs each, beside the big club of the largest size, in one database.

What it states: the data build's time (budget 10 minutes); the hourly refresh across every
club (every snapshot forced, a usual hour, the hour midnight passes in Europe/Berlin) on two
worker processes; and each club's answers against the same club measured alone, at equal
speed (each p50 over the trivial view's beside it): the big club against the largest size's
run, a small club against a database holding only a club of its shape. Within 1.2×."""

from __future__ import annotations

import os
import signal
import time
from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore

from bench.environment import API_KEY, DAYS, log
from bench.imports import refresh_snapshots
from bench.probes import latency
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


def measure_club(answers: list[tuple[str, str, dict[str, str]]], workers: int) -> dict[str, Any]:
    port = free_port()
    server = start_gunicorn(port, workers)
    try:
        return {name: latency(port, path, headers, n=60) for name, path, headers in answers}
    finally:
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


def compare(shape: dict[str, Any], alone: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, here in shape.items():
        there = alone.get(name)
        if not there:
            continue
        ratio = here["relative"] / there["relative"]
        rows.append(
            {
                "answer": name,
                "p50_ms": here["p50_ms"],
                "alone_p50_ms": there["p50_ms"],
                "ratio": here["p50_ms"] / there["p50_ms"],
                "ratio_at_speed": ratio,
                "met": ratio <= WITHIN,
            }
        )
    return rows


def many_clubs(
    *, athletes: int, workers: int, build: Any, reset: Any, big_alone: dict[str, Any]
) -> dict[str, Any]:
    """The whole shape; `build(athletes, clubs)` loads a database, `reset()` empties it;
    `big_alone` the big club's answers measured in its own size's database."""
    from analytics.snapshots import snapshots_refresh_all

    reset()
    log(f"many clubs: {CLUBS:,} clubs of {CLUB_SIZE} beside a club of {athletes:,}")
    started = time.perf_counter()
    data = build(athletes, CLUBS)
    build_s = time.perf_counter() - started
    snapshots = refresh_snapshots(one_process=False)
    big = measure_club(big_club(), workers)
    small = measure_club(small_club(SMALL_CLUB), workers)
    # The small club alone: a database of a club of its shape only.
    reset()
    build(0, 1)
    snapshots_refresh_all(batch_size=200)
    small_alone = measure_club(small_club(1), workers)
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
        "big": compare(big, big_alone),
        "small": compare(small, small_alone),
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
                f"{row['alone_p50_ms']:.1f} alone, {row['ratio_at_speed']:.2f}× at equal speed"
            )
    return result
