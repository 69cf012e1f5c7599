"""`make bench` / `make loadtest`: a large club on real PostgreSQL and Redis, served by
gunicorn, measured through HTTP against the raw SQL floor and the framework ceiling.

Run through scripts/bench.sh, which starts the database and cache and stops them after.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astral.settings")
# Plain HTTP on loopback: production settings otherwise, without the TLS redirect.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))  # shared with gunicorn
os.environ.update(
    DJANGO_SECURE_SSL_REDIRECT="0",
    DJANGO_SECURE_COOKIES="0",
    DJANGO_HSTS_SECONDS="0",
    DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
)

import django

django.setup()

from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from analytics.activities import page_statement
from astral import cache
from athletes.services.changes import data_tokens
from bench.data import load_club

API_KEY = "ak_bench_key_" + "0" * 30
# The trivial DRF view's throughput on the machine the budgets were measured on (the issue).
REFERENCE_CEILING = 3300
ATHLETES = int(os.environ.get("BENCH_ATHLETES", "1000"))
DAYS = int(os.environ.get("BENCH_DAYS", "730"))
OUT = ROOT / "bench-output"


def log(message: str) -> None:
    print(f"[bench {datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


# Building the data ----------------------------------------------------------------------


def build() -> dict[str, float]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    load_club(today=datetime.now(UTC).date(), athletes=ATHLETES, days=DAYS, api_key=API_KEY)
    with connection.cursor() as cursor:
        # What autovacuum does soon after any bulk load: the visibility map lets the
        # covering activity index answer without visiting the table.
        cursor.execute("VACUUM (ANALYZE) athletes_activity")
        cursor.execute("VACUUM (ANALYZE) analytics_monthtotals")
        cursor.execute("VACUUM (ANALYZE) analytics_athleteweek")
        counts = {}
        for table in (
            "athletes_user",
            "athletes_activity",
            "athletes_healthmetric",
            "athletes_planinstance",
        ):
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
            counts[table] = cursor.fetchone()[0]
    timings["load_s"] = time.perf_counter() - started
    log(f"data loaded in {timings['load_s']:.1f} s: {counts}")
    timings.update({f"rows_{k}": v for k, v in counts.items()})
    return timings


def refresh_snapshots() -> dict[str, Any]:
    from analytics.snapshots import snapshots_refresh, snapshots_refresh_all
    from athletes.models import User

    started = time.perf_counter()
    total = snapshots_refresh_all(batch_size=200)
    sequential = time.perf_counter() - started
    # Every snapshot (a new day for the whole club at once), then a usual hour: 1 % of the
    # athletes wrote something since the last refresh, only they are recomputed.
    elapsed = refresh_through_worker(total, force=True)
    ids = list(
        User.objects.filter(memberships__role="athlete").order_by("pk").values_list("pk", flat=True)
    )
    changed = ids[:: max(1, len(ids) // max(1, len(ids) // 100))][: max(1, len(ids) // 100)]
    User.objects.filter(pk__in=changed).update(data_version=F("data_version") + 1)
    usual = refresh_through_worker(len(changed), force=False)
    # The hour when midnight passes in one of the club's time zones: every athlete there has
    # a new local day (a fifth of the bench club is in Europe/Berlin), their snapshots (and
    # what they carry forward) yesterday's.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE analytics_athletesnapshot s SET as_of = s.as_of - 1,"
            " carry = s.carry || jsonb_build_object('day', (s.as_of - 1)::text,"
            " 'start', ((s.carry->>'start')::date - 1)::text)"
            " FROM athletes_user u WHERE u.id = s.user_id AND u.timezone = 'Europe/Berlin'"
        )
        new_day = cursor.rowcount
        # Their plans' standings too (analytics.standings), recomputed in the same tasks.
        cursor.execute(
            "UPDATE analytics_planstanding s SET as_of = s.as_of - 1"
            " FROM athletes_planinstance pi JOIN athletes_user u ON u.id = pi.user_id"
            " WHERE pi.id = s.instance_id AND u.timezone = 'Europe/Berlin'"
        )
        plans_new_day = cursor.rowcount
    midnight = refresh_through_worker(new_day, force=False)
    per_batch = {}
    for size in (50, 200):
        with CaptureQueriesContext(connection) as queries:
            snapshots_refresh(ids[:size], force=True)
        per_batch[size] = len(queries.captured_queries)
    log(
        f"{total} snapshots in {elapsed:.2f} s by a 2-process worker ({sequential:.2f} s in one process); "
        f"a usual hour ({len(changed)} athletes changed) {usual:.2f} s; "
        f"midnight in Europe/Berlin ({new_day} athletes, {plans_new_day} plans) {midnight:.2f} s; "
        f"queries per batch of 50: {per_batch[50]}, of 200: {per_batch[200]}"
    )
    return {
        "athletes": total,
        "seconds": elapsed,
        "seconds_one_process": sequential,
        "changed": len(changed),
        "seconds_usual_hour": usual,
        "midnight_athletes": new_day,
        "midnight_plans": plans_new_day,
        "seconds_midnight_hour": midnight,
        "queries_batch_50": per_batch[50],
        "queries_batch_200": per_batch[200],
    }


def refresh_through_worker(total: int, *, force: bool) -> float:
    """The hourly task as production runs it: beat enqueues it, it fans the batches out, a
    Celery worker with one process per core computes them. Seconds until `total` snapshots
    are new (`force`: every athlete's, else only the stale ones)."""
    from analytics.models import AthleteSnapshot
    from analytics.tasks import refresh_all_snapshots
    from astral.celery import app

    # Refreshes the writes of an earlier step enqueued are not this step's work: a worker
    # that ran them first made this one wait for snapshots it had already computed.
    app.control.purge()
    worker = start_worker(2, "celery-worker.log")
    try:
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        refresh_all_snapshots.delay(batch_size=200, force=force)
        while AthleteSnapshot.objects.filter(computed_at__gte=started_at).count() < total:
            if time.perf_counter() - started > 120:
                raise RuntimeError("the worker did not refresh every snapshot in 2 minutes")
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


# Bulk import ----------------------------------------------------------------------------

IMPORT_FILES = 1000
IMPORT_SOURCE = ROOT.parent / "shared" / "data" / "activities" / "run_intervals_16laps_fr945.tcx"


def import_files() -> list[tuple[str, bytes]]:
    """1,000 real-sized files: a Forerunner 945's 16-lap run (1,042 trackpoints, 12.9 km),
    each copy moved one day earlier so none is a duplicate of another."""
    from datetime import date

    text = IMPORT_SOURCE.read_text()
    day = date(2025, 9, 24)
    return [
        (
            f"run-{i:04d}.tcx",
            text.replace(day.isoformat(), (day - timedelta(days=i)).isoformat()).encode(),
        )
        for i in range(IMPORT_FILES)
    ]


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


def bulk_import() -> dict[str, Any]:
    """Files per second of a bulk import (the command's own path: one task per file) on a
    worker of 2 processes (one per core, Celery's default) and of 4 (imports wait on
    PostgreSQL part of the time), against the bare parser's rate on the same files in one
    process; and the worker's memory meanwhile."""
    from athletes import files
    from athletes.models import ImportBatch, User
    from athletes.services import imports as import_services

    batch_files = import_files()
    started = time.perf_counter()
    for name, content in batch_files:
        files.parse(*files.file_kind(name, content))
    parse_rate = len(batch_files) / (time.perf_counter() - started)
    runs = {}
    for processes in (2, 4):
        user = User.objects.create_user(f"bench-import-{processes}", f"bi{processes}@example.com")
        worker = start_worker(processes, f"import-worker-{processes}.log")
        peak = 0.0
        try:
            started = time.perf_counter()
            batch = import_services.import_batch_start(
                user=user, members=[(name, lambda c=content: c) for name, content in batch_files]
            )
            while ImportBatch.objects.get(pk=batch.pk).done < batch.total:
                peak = max(peak, process_rss_mb(worker.pid))
                if time.perf_counter() - started > 600:
                    raise RuntimeError("the worker did not import 1,000 files in 10 minutes")
                time.sleep(0.25)
            rate = len(batch_files) / (time.perf_counter() - started)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        batch.refresh_from_db()
        runs[processes] = {
            "import_rate": rate,
            "ratio": rate / parse_rate,
            "imported": batch.imported,
            "rejected": batch.rejected,
            "worker_peak_mb": peak,
        }
        log(
            f"bulk import: {rate:.1f} files/s on a {processes}-process worker, bare parser "
            f"{parse_rate:.1f} files/s in one process ({rate / parse_rate:.0%}); "
            f"{batch.imported} imported, {batch.rejected} rejected; worker peak {peak:.0f} MB"
        )
    return {"files": len(batch_files), "parse_rate": parse_rate, "runs": runs}


# Serving --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "astral.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_HSTS_SECONDS": "0",
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
            "--worker-class",
            "sync",
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


# Measuring ------------------------------------------------------------------------------


def latency(
    port: int,
    path: str,
    headers: dict[str, str],
    n: int = 40,
    before: Callable[[], None] | None = None,
) -> dict[str, float]:
    """p50 and p95 of `n` requests on one keep-alive connection; `before` runs ahead of
    each one, outside the timing (a write's invalidation, for a cache miss every time)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    for index in range(n + 3):
        if before is not None:
            before()
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        if index >= 3:  # the first requests warm connections and caches
            samples.append((time.perf_counter() - started) * 1000)
    conn.close()
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * 0.95) - 1]}


def wrk(
    port: int, path: str, headers: dict[str, str], seconds: int, connections: int = 16
) -> dict[str, Any]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0
    socket_errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else None
    return {"rps": rps, "errors": non2xx + socket_errors, "p99_ms": p99_ms}


def rps_text(row: dict[str, Any]) -> str:
    return f"{row['rps']:.0f}" if row.get("rps") else "–"


def query_count(
    path: str, headers: dict[str, str], before: Callable[[], None] | None = None
) -> int:
    client = Client(HTTP_HOST="127.0.0.1", headers=headers)
    client.get(path)
    if before is not None:
        before()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(queries.captured_queries)


def sql_floor(
    sql: str,
    params: Any,
    n: int = 15,
    before: Callable[[], None] | None = None,
    pause_ms: float = 0.0,
) -> float:
    """The statement's time from this process: sent, run, its rows fetched and decoded as
    the application's `fetch_rows` does. Back to back by default; with `before` and
    `pause_ms`, at the pace of `latency`'s requests: each run after `before` and a pause as
    long as a request, so PostgreSQL is as idle between two runs as between two requests
    (on this VM a round trip to an idle server costs 0.3–0.7 ms more than one to a busy
    one, measured in docs/benchmarks.md)."""
    from astral.db import fetch_rows

    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    samples = []
    for _ in range(n + 2):
        if before is not None:
            before()
        if pause_ms:
            time.sleep(pause_ms / 1000)
        started = time.perf_counter()
        fetch_rows("default", sql, params)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[2:])


def roster_statement() -> tuple[str, list[Any]]:
    """The statement of the first roster page of 200, by name, as the API sends it."""
    from analytics import roster
    from astral.api.keys import hash_api_key
    from astral.api.pagination import Page
    from organizations.models import Organization

    organization = Organization.objects.get(api_keys__key_hash=hash_api_key(API_KEY))
    unfiltered = roster.RosterFilters()
    return roster.page_statement(organization, unfiltered, Page(number=1, per_page=200))


def fixtures() -> dict[str, Any]:
    from django.contrib.sessions.backends.db import SessionStore

    from athletes.models import User
    from organizations.models import Group

    athlete = User.objects.filter(memberships__role="athlete").order_by("pk").first()
    coach = User.objects.get(username="bench1")
    session = SessionStore()
    session["_auth_user_id"] = str(coach.pk)
    session["_auth_user_backend"] = "athletes.backends.EmailOrUsernameBackend"
    session["_auth_user_hash"] = coach.get_session_auth_hash()
    session.create()
    athlete_session = SessionStore()
    athlete_session["_auth_user_id"] = str(athlete.pk)
    athlete_session["_auth_user_backend"] = "athletes.backends.EmailOrUsernameBackend"
    athlete_session["_auth_user_hash"] = athlete.get_session_auth_hash()
    athlete_session.create()
    return {
        "athlete": athlete,
        "group": Group.objects.order_by("name").first(),
        "session": session.session_key,
        "athlete_session": athlete_session.session_key,
        **run_in_detail(athlete),
    }


def ultra_samples(count: int, seconds: float) -> list[dict[str, Any]]:
    """A hilly run at a wandering pace, one sample every `seconds / count` s."""
    import math

    step = seconds / count
    samples, distance = [], 0.0
    for i in range(count):
        speed = 2.6 + 0.5 * math.sin(i / 300) + 0.2 * math.sin(i / 17)
        samples.append(
            {
                "t": round(i * step, 1),
                "distance": round(distance, 1),
                "heart_rate": round(140 + 15 * math.sin(i / 500)),
                "altitude": round(400 + 150 * math.sin(i / 900), 1),
                "lat": 46.5 + 0.05 * math.sin(i / 2000),
                "lon": 7.5 + 0.05 * math.cos(i / 2000),
                "cadence": 84,
            }
        )
        distance += speed * step
    return samples


def run_in_detail(athlete: Any) -> dict[str, Any]:
    """A 6-hour run of 20,000 samples stored through the import path; the athlete's year of
    runs given best efforts and pace curves as the import finds them; and the import cost of
    best efforts per 10,000 samples."""
    from athletes.models import RUNNING_SPORTS, Activity
    from athletes.services import activities as activity_services
    from metrics import efforts

    samples = ultra_samples(20_000, 6 * 3600)
    ultra = activity_services.activity_create(
        user=athlete,
        fields={
            "start_time": datetime.now(UTC) - timedelta(days=2, hours=8),
            "distance": samples[-1]["distance"],
            "duration": 6 * 3600,
            "sport": "trail_run",
            "name": "Six-hour trail",
        },
        samples=samples,
        allow_overlap=True,
    )
    # The year of runs: streams at a steady pace per run, so each has efforts and a curve.
    runs = list(
        Activity.objects.filter(user=athlete, sport__in=RUNNING_SPORTS).exclude(pk=ultra.pk)
    )
    started = time.perf_counter()
    for run in runs:
        n = max(2, int(run.duration // 5))
        times = [run.duration * i / (n - 1) for i in range(n)]
        distances = [run.distance * i / (n - 1) for i in range(n)]
        activity_services.efforts_store(
            activity=run, times=times, distances=distances, replace=True
        )
    backfill = time.perf_counter() - started
    with connection.cursor() as cursor:
        # As autovacuum does soon after: the marks' index-only probes skip the table.
        cursor.execute("VACUUM (ANALYZE) athletes_besteffort")
    ten_k = ultra_samples(10_000, 3 * 3600)
    t = [s["t"] for s in ten_k]
    d = [s["distance"] for s in ten_k]
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        efforts.best_efforts(t, d, whole_distance=d[-1], whole_seconds=t[-1])
        efforts.pace_curve(t, d)
        timings.append((time.perf_counter() - started) * 1000)
    cost = sorted(timings)[len(timings) // 2]
    log(
        f"run in detail: 6-hour run of 20,000 samples stored; efforts of {len(runs)} runs in "
        f"{backfill:.1f} s; best efforts and pace curve cost {cost:.1f} ms per 10,000 samples"
    )
    return {"ultra": ultra, "efforts_ms_per_10k": cost, "runs_with_efforts": len(runs)}


def measure(port: int, quick: bool) -> dict[str, Any]:
    fx = fixtures()
    uid = fx["athlete"].public_id
    # Like any HTTP client library or browser, the benchmark accepts gzip.
    key = {"X-API-Key": API_KEY, "Accept-Encoding": "gzip"}
    today = datetime.now(UTC).date()
    first = today - timedelta(days=399)
    now = int(time.time())
    endpoints = [
        # name, path, headers, budget dict, floor (sql, params)
        ("trivial DRF view (ceiling), first", "/healthz", {}, {}, None),
        (
            "activity_stats 400 days, uncached",
            f"/api/v1/analytics/activity_stats?user_id={uid}&from={first}&to={today}&timezone=UTC&refresh=true",
            key,
            {"p50_ms": 10, "rps": 300},
            "daily",
        ),
        (
            "running_stats 365 daily points",
            f"/api/v1/analytics/running_stats?user_id={uid}&from_timestamp={now - 365 * 86400}&to_timestamp={now}"
            f"&range_type=daily&timezone=UTC",
            key,
            {"p50_ms": 10, "rps": 300},
            "daily",
        ),
        (
            "coach_athletes_metrics 200 athletes, uncached",
            "/api/v1/analytics/coach_athletes_metrics?per_page=200&no_cache=1",
            key,
            {"p50_ms": 25, "rps": 100},
            "roster",
        ),
        (
            "coach_athletes_metrics 200 athletes, cached",
            "/api/v1/analytics/coach_athletes_metrics?per_page=200",
            key,
            {"rps": 2000},
            "roster",
        ),
        (
            "athlete_profile, uncached (refresh=true)",
            f"/api/v1/analytics/athlete_profile?user_id={uid}&refresh=true",
            key,
            {"p50_ms": 50},
            "profile",
        ),
        (
            "athlete_profile, cached",
            f"/api/v1/analytics/athlete_profile?user_id={uid}",
            key,
            {"rps": 1500},
            "profile",
        ),
        (
            f"group_overview {ATHLETES:,} athletes",
            "/api/v1/analytics/group_overview",
            key,
            {"p50_ms": 100},
            "week",
        ),
        (
            f"group_comparison {ATHLETES:,} athletes, 30 days",
            "/api/v1/analytics/group_comparison?period=30",
            key,
            {"p50_ms": 100},
            "period",
        ),
        (
            "Athletes page (roster)",
            "/athletes",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            "roster",
        ),
        (
            "Group Dashboard page",
            "/analytics",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            "week",
        ),
        (
            "Athlete profile page",
            f"/athletes/{uid}",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            "profile",
        ),
        (
            "Club page (members, groups, invitations)",
            "/club",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            None,
        ),
        (
            "Plans page",
            "/club/plans",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            None,
        ),
        (
            "Plans tab of the Group Dashboard",
            "/analytics?tab=plans",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            None,
        ),
        (
            "Activity page, 6-hour run of 20,000 samples",
            f"/activities/{fx['ultra'].public_id}",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            None,
        ),
        (
            "Activity API with series, splits, laps, zones and efforts",
            f"/api/v1/activities/{fx['ultra'].public_id}?include=series,splits,laps,zones,best_efforts",
            key,
            {"p50_ms": 150},
            None,
        ),
        (
            "Calendar month page",
            f"/athletes/{uid}/calendar",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 50},
            None,
        ),
        (
            "calendar month API",
            f"/api/v1/analytics/calendar?user_id={uid}",
            key,
            {"p50_ms": 50},
            None,
        ),
        (
            "personal_records",
            f"/api/v1/analytics/personal_records?user_id={uid}",
            key,
            {"p50_ms": 20},
            "records",
        ),
        (
            "pace_curve",
            f"/api/v1/analytics/pace_curve?user_id={uid}&days=90",
            key,
            {"p50_ms": 20},
            "curve",
        ),
        (
            "activity list, 20 per page",
            f"/api/v1/activities?user_id={uid}&per_page=20",
            key,
            {"x_floor": 3},
            "list",
        ),
        (
            "activity list, 20 per page, after a write (uncached)",
            f"/api/v1/activities?user_id={uid}&per_page=20",
            key,
            {"x_paced": 3},
            "list",
        ),
        (
            "Settings page",
            "/settings",
            {"Cookie": f"sessionid={fx['session']}"},
            {"p50_ms": 150},
            None,
        ),
        ("trivial DRF view (ceiling), last", "/healthz", {}, {}, None),
    ]
    floors = {
        "daily": (
            "SELECT (start_time AT TIME ZONE 'UTC')::date d, sum(distance), sum(duration), sum(training_load),"
            " count(*), sum(calories), sum(elevation_gain), sum(pace_z1_time), sum(pace_z2_time),"
            " sum(pace_z3_time), sum(pace_z4_time), sum(pace_z5_time) FROM athletes_activity"
            " WHERE user_id = %s AND start_time >= %s AND start_time < %s GROUP BY 1",
            [
                fx["athlete"].pk,
                datetime.combine(first, datetime.min.time(), UTC),
                datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC),
            ],
        ),
        # The roster page's own statement: its 200 rows as JSON, the count, the stale set.
        "roster": roster_statement(),
        "profile": (
            "SELECT (start_time AT TIME ZONE 'UTC')::date, sum(distance), sum(duration), sum(training_load),"
            " count(*) FROM athletes_activity WHERE user_id = %s AND start_time >= now() - interval '365 days'"
            " GROUP BY 1",
            [fx["athlete"].pk],
        ),
        "week": (
            "SELECT a.user_id, (a.start_time AT TIME ZONE 'UTC')::date, sum(distance), count(*)"
            " FROM athletes_activity a WHERE a.start_time >= now() - interval '14 days' GROUP BY 1, 2",
            [],
        ),
        "records": (
            "SELECT distance_key, seconds, start_time FROM athletes_besteffort WHERE user_id = %s"
            " ORDER BY distance_key, start_time",
            [fx["athlete"].pk],
        ),
        "curve": (
            "SELECT n, max(v) FROM athletes_pacecurve c CROSS JOIN LATERAL unnest(c.speeds)"
            " WITH ORDINALITY AS u(v, n) WHERE c.user_id = %s GROUP BY n",
            [fx["athlete"].pk],
        ),
        # The list's own statement: its page, count and marks, as the endpoint sends it.
        "list": page_statement(fx["athlete"].pk, since=None, before=None, offset=0, limit=20),
        "period": (
            "SELECT a.user_id, sum(distance), count(*)"
            " FROM athletes_activity a WHERE a.start_time >= now() - interval '30 days' GROUP BY 1",
            [],
        ),
    }
    floor_ms = {name: sql_floor(sql, params) for name, (sql, params) in floors.items()}
    # Ahead of each request of these rows (untimed): what a write of the athlete's data does
    # to the cache (their tokens and their organization's), so each request computes its
    # answer again.
    written = data_tokens([fx["athlete"].pk])
    before_each = {
        "activity list, 20 per page, after a write (uncached)": lambda: cache.invalidate(written)
    }
    seconds = 3 if quick else 8
    results = []
    ceiling = None
    for name, path, headers, budget, floor in endpoints:
        row: dict[str, Any] = {"endpoint": name, "path": path.split("?")[0]}
        before = before_each.get(name)
        row.update(latency(port, path, headers, before=before))
        # A cache miss on every request cannot be had under wrk: latency only.
        row.update(
            wrk(port, path, headers, seconds) if before is None else {"rps": None, "errors": 0}
        )
        row["queries"] = (
            query_count(path, headers, before) if not path.startswith("/healthz") else 0
        )
        row["sql_floor_ms"] = floor_ms.get(floor) if floor else None
        row["ratio_to_floor"] = row["p50_ms"] / row["sql_floor_ms"] if row["sql_floor_ms"] else None
        if "x_paced" in budget and floor:
            # Each request here comes after an idle gap (the write's invalidation, the last
            # request): its statement reaches an idle PostgreSQL, which costs more than the
            # back-to-back floor. Compared like for like: the statement timed at the same pace.
            sql, params = floors[floor]
            row["sql_paced_ms"] = sql_floor(sql, params, 40, before, row["p50_ms"])
            row["ratio_to_paced"] = row["p50_ms"] / row["sql_paced_ms"]
        row["budget"] = budget
        checks = []
        if "p50_ms" in budget:
            checks.append(row["p50_ms"] <= budget["p50_ms"])
        if "rps" in budget:
            checks.append(row["rps"] >= budget["rps"])
        if "x_floor" in budget and row["ratio_to_floor"] is not None:
            checks.append(row["ratio_to_floor"] <= budget["x_floor"])
        if "x_paced" in budget and "ratio_to_paced" in row:
            checks.append(row["ratio_to_paced"] <= budget["x_paced"])
        row["met"] = all(checks) if checks else None
        if path == "/healthz":
            ceiling = max(ceiling or 0.0, row["rps"])
        results.append(row)
        log(
            f"{name}: p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms, {rps_text(row)} req/s, "
            f"{row['queries']} queries, errors {row['errors']}"
        )
    speed = (ceiling or REFERENCE_CEILING) / REFERENCE_CEILING
    for row in results:
        row["share_of_ceiling"] = row["rps"] / ceiling if ceiling and row["rps"] else None
        # The budgets were set where a trivial DRF view served 3,300 requests/s; this VM's
        # speed varies by a third from hour to hour. Scaled to this run's ceiling:
        budget = row["budget"]
        checks = []
        if "p50_ms" in budget:
            checks.append(row["p50_ms"] <= budget["p50_ms"] / speed)
        if "rps" in budget:
            checks.append(row["rps"] >= budget["rps"] * speed)
        if "x_floor" in budget and row["ratio_to_floor"] is not None:
            checks.append(row["ratio_to_floor"] <= budget["x_floor"])  # both at this speed
        if "x_paced" in budget and "ratio_to_paced" in row:
            checks.append(row["ratio_to_paced"] <= budget["x_paced"])  # both at this speed
        row["met_at_speed"] = all(checks) if checks else None
    return {
        "endpoints": results,
        "efforts_ms_per_10k_samples": fx["efforts_ms_per_10k"],
        "runs_with_efforts": fx["runs_with_efforts"],
        "sql_floor_ms": floor_ms,
        "ceiling_rps": ceiling,
        "speed_vs_reference": speed,
    }


# Targets set beyond the issues' budgets, reported beside them rather than in the verdict:
# the first read of the activity list after a write of its athlete within 3× its statement
# (issue 18 asks it of the list as polled, the row above it). Its fixed costs (a request
# through gunicorn, the key's sign-in and its Redis round trip, the connection's health
# check) come to about twice a 20-row statement on this VM; see the README.
TARGETS = ("activity list, 20 per page, after a write (uncached)",)


def unmet(result: dict[str, Any], column: str = "met") -> list[str]:
    """The budgets this run missed (`column` "met_at_speed": scaled to the run's speed)."""
    missed = [
        row["endpoint"]
        for row in result["endpoints"]
        if row[column] is False and row["endpoint"] not in TARGETS
    ]
    snap = result["snapshots"]
    # Issue 18: the hourly refresh (only athletes whose data or local day changed) within
    # 10 s on two worker processes, in a usual hour and in a time zone's midnight hour.
    if max(snap["seconds_usual_hour"], snap.get("seconds_midnight_hour", 0)) > 10:
        missed.append("hourly refresh")
    if snap["queries_batch_50"] != snap["queries_batch_200"]:
        missed.append("refresh queries flat in the batch size")
    if any(m > 150 for m in result["worker_rss_mb"]):
        missed.append("worker memory")
    # Issue 18's club-wide budgets at the largest size, beside the smallest.
    missed += [
        f"{row['endpoint']} beside the smallest club"
        for row in result.get("growth", [])
        if row.get(column) is False
    ]
    return missed


def targets_text(result: dict[str, Any]) -> str:
    """The targets beyond the budgets (TARGETS), each with whether this run met it."""
    rows = [row for row in result["endpoints"] if row["endpoint"] in TARGETS]
    parts = [
        f"{row['endpoint']}: {'met' if row['met'] else '**not met**'}"
        + (f" ({row['ratio_to_paced']:.1f}× its statement)" if "ratio_to_paced" in row else "")
        for row in rows
    ]
    return f"Targets beyond the budgets: {'; '.join(parts)}." if parts else ""


def verdict(missed: list[str]) -> str:
    return "every budget met" if not missed else "not met: " + "; ".join(missed)


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Benchmark",
        "",
        f"Run {result['finished_at']} on {result['machine']}; {result['data']['rows_athletes_activity']:,} activities, "
        f"{result['data']['rows_athletes_healthmetric']:,} health rows, {result['athletes']:,} athletes; gunicorn "
        f"{result['workers']} sync workers, Redis cache, PostgreSQL (JIT off). Latency: one client, keep-alive; "
        "throughput: wrk, 16 connections.",
        "",
        f"The trivial DRF view served {result['ceiling_rps']:.0f} requests/s in this run (best of the first "
        f"and the last measurement), {result['speed_vs_reference']:.0%} of the 3,300 the budgets were set "
        "against; the last column scales the budgets by that ratio (throughput times it, latency divided "
        "by it).",
        "",
        f"**Budgets as written: {verdict(unmet(result))}.** At this run's speed: "
        f"{verdict(unmet(result, 'met_at_speed'))}. (Query counts flat in the page size are "
        "asserted by the test suite for every list endpoint and page.) " + targets_text(result),
        "",
        "| endpoint | p50 ms | p95 ms | req/s | queries | SQL floor ms | × floor | share of DRF ceiling "
        "| budget | met | met at this run's speed |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["endpoints"]:
        budget = (
            ", ".join(
                {
                    "p50_ms": f"p50 ≤ {v} ms",
                    "rps": f"≥ {v} req/s",
                    "x_floor": f"≤ {v} × SQL",
                    "x_paced": f"target: ≤ {v} × SQL at the requests' pace",
                }[k]
                for k, v in row["budget"].items()
            )
            or "–"
        )
        met = {True: "yes", False: "**no**", None: "–"}[row["met"]]
        scaled = {True: "yes", False: "**no**", None: "–"}[row["met_at_speed"]]
        floor = f"{row['sql_floor_ms']:.1f}" if row["sql_floor_ms"] else "–"
        ratio = f"{row['ratio_to_floor']:.1f}" if row["ratio_to_floor"] else "–"
        if "sql_paced_ms" in row:
            floor += f"; {row['sql_paced_ms']:.1f} at the requests' pace"
            ratio += f"; {row['ratio_to_paced']:.1f}"
        share = f"{row['share_of_ceiling']:.0%}" if row["share_of_ceiling"] else "–"
        lines.append(
            f"| {row['endpoint']} | {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {rps_text(row)} | "
            f"{row['queries']} | {floor} | {ratio} | {share} | {budget} | {met} | {scaled} |"
        )
    snap = result["snapshots"]
    lines += [
        "",
        "- SQL floor, timed from the bench process, back to back: for the activity list and "
        "the roster, the endpoint's own statement; for the others, one statement answering "
        "from the raw rows (the runs of a period, a club's runs of the week or the month, the "
        "best efforts), which the kept totals, snapshots and records spare the endpoint. "
        "A request after a write comes after an idle gap (the write, then the request before "
        "it), and the first round trip to an idle PostgreSQL costs more on this VM, so that "
        "row is also compared with its statement timed at the requests' pace: each run after "
        "the same invalidation and a pause as long as the request.",
        f"- Every one of the {snap['athletes']:,} snapshots recomputed: {snap['seconds']:.2f} s by the beat task "
        f"fanned out to a Celery worker with 2 processes; "
        f"{snap['seconds_one_process']:.2f} s batch after batch in one process. The hourly refresh recomputes "
        f"only athletes whose data or local day changed: a usual hour, when {snap['changed']} athletes "
        f"wrote something, {snap['seconds_usual_hour']:.2f} s; the hour midnight passes in Europe/Berlin "
        f"({snap.get('midnight_athletes', 0):,} athletes with a new day, and their "
        f"{snap.get('midnight_plans', 0):,} plans' standings), "
        f"{snap.get('seconds_midnight_hour', 0):.2f} s (budget ≤ 10 s: "
        f"{'**no**' if 'hourly refresh' in unmet(result) else 'yes'}); "
        f"queries per batch: {snap['queries_batch_50']} for 50 "
        f"athletes, {snap['queries_batch_200']} for 200 (flat: "
        f"{'yes' if snap['queries_batch_50'] == snap['queries_batch_200'] else '**no**'}).",
        f"- Gunicorn worker memory after the run: {', '.join(f'{m:.0f} MB' for m in result['worker_rss_mb'])} "
        f"(budget ≤ 150 MB: {'yes' if all(m <= 150 for m in result['worker_rss_mb']) else '**no**'}).",
        f"- Import cost of best efforts and the pace curve: {result['efforts_ms_per_10k_samples']:.1f} ms "
        f"per 10,000 samples (median of 7, numpy); {result['runs_with_efforts']} runs of the benched "
        "athlete carry efforts and curves, so personal_records and pace_curve read a real year.",
        f"- Bulk import of {result['bulk_import']['files']:,} real-sized files (a 16-lap TCX run of "
        "1,042 trackpoints, moved a day per copy), each a task as `import_activities` sends them, "
        f"against the bare parser's {result['bulk_import']['parse_rate']:.1f} files/s in one process "
        "on the same files: "
        + "; ".join(
            f"{processes} worker processes {run['import_rate']:.1f} files/s ({run['ratio']:.0%}, "
            f"target ≥ 70 %: {'yes' if run['ratio'] >= 0.7 else '**no**'}), "
            f"{run['imported']:,} imported, peak {run['worker_peak_mb']:.0f} MB per process"
            for processes, run in result["bulk_import"]["runs"].items()
        )
        + ".",
        f"- Data build: {result['data']['load_s']:.1f} s (set-based SQL); whole run {result['total_s']:.0f} s.",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="shorter throughput runs")
    parser.add_argument(
        "--loadtest", action="store_true", help="60 s at 16 connections, zero errors"
    )
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--build-only", action="store_true", help="build the club, time it, stop")
    args = parser.parse_args()
    if args.build_only:
        build()
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (scripts/bench.sh installs it)", file=sys.stderr)
        return 1
    # BENCH_SIZES=1000,10000: the whole benchmark at each club size in turn, on a fresh
    # database each, and a growth table; the report's main table is the largest size's.
    sizes = [int(n) for n in os.environ.get("BENCH_SIZES", str(ATHLETES)).split(",")]
    results: list[dict[str, Any]] = []
    imports: dict[str, Any] | None = None
    for size in sizes:
        result = run_size(size, args, imports)
        if isinstance(result, int):  # the load test's exit status
            return result
        imports = result["bulk_import"]
        results.append(result)
        OUT.mkdir(exist_ok=True)
        (OUT / f"result-{size}.json").write_text(json.dumps(result, indent=2, default=str))
    result = results[-1]
    if len(results) > 1:
        result["growth"] = growth(results)
    OUT.mkdir(exist_ok=True)
    (OUT / "result.json").write_text(json.dumps(results, indent=2, default=str))
    table = markdown(result) + (growth_markdown(results) if len(results) > 1 else "")
    (OUT / "result.md").write_text(table)
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "benchmarks.md").write_text(table)
    print(table)
    log(f"budgets as written: {verdict(unmet(result))}. {targets_text(result)}")
    return 0


def reset_database() -> None:
    """An empty database for the next club size (the schema rebuilt by `build`'s migrate)."""
    from django.core.cache import cache

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    cache.clear()


def run_size(size: int, args: Any, imports: dict[str, Any] | None) -> dict[str, Any] | int:
    global ATHLETES
    if imports is not None:  # not the first size
        reset_database()
    ATHLETES = size
    log(f"club of {size:,} athletes")
    started = time.perf_counter()
    data = build()
    snapshots = refresh_snapshots()
    # The bulk import does not depend on the club's size: measured once.
    imports = imports if imports is not None else bulk_import()
    port = free_port()
    server = start_gunicorn(port, args.workers)
    try:
        if args.loadtest:
            return loadtest(port)
        measured = measure(port, args.quick)
        rss = worker_rss_mb(server)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "athletes": size,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "workers": args.workers,
        "data": data,
        "snapshots": snapshots,
        "bulk_import": imports,
        "worker_rss_mb": rss,
        **measured,
        "total_s": time.perf_counter() - started,
    }


# Issue 18's budgets for a club of 10,000, uncached, p50 (and at most twice the figure at
# 1,000), by the endpoint's name without its sizes.
CLUB_BUDGETS_MS = {
    "coach_athletes_metrics": 25,
    "group_overview": 100,
    "group_comparison": 100,
    "Athletes page": 150,
    "Group Dashboard page": 150,
    "Plans tab of the Group Dashboard": 150,
}


def growth(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first, last = results[0], results[-1]
    # "Met at this run's speed": the budget scaled like the main table's, and the ratio
    # taken at equal speed (each size's trivial view measured in its own phase).
    speed = last["speed_vs_reference"]
    drift = last["ceiling_rps"] / first["ceiling_rps"] if first["ceiling_rps"] else 1.0
    rows = []
    for a, b in zip(first["endpoints"], last["endpoints"], strict=True):
        ratio = b["p50_ms"] / a["p50_ms"] if a["p50_ms"] else None
        budget = next(
            (ms for name, ms in CLUB_BUDGETS_MS.items() if b["endpoint"].startswith(name)), None
        )
        uncached = "cached" not in b["endpoint"] or "uncached" in b["endpoint"]
        rows.append(
            {
                "endpoint": b["endpoint"],
                "p50_ms": [r["endpoints"][len(rows)]["p50_ms"] for r in results],
                "ratio": ratio,
                "budget_ms": budget if uncached else None,
                "met": None
                if budget is None or not uncached
                else bool(b["p50_ms"] <= budget and ratio is not None and ratio <= 2),
                "met_at_speed": None
                if budget is None or not uncached
                else bool(
                    b["p50_ms"] <= budget / speed and ratio is not None and ratio * drift <= 2
                ),
            }
        )
    return rows


def growth_markdown(results: list[dict[str, Any]]) -> str:
    sizes = [r["athletes"] for r in results]
    head = " | ".join(f"p50 ms at {n:,}" for n in sizes)
    lines = [
        "",
        "## Growth with the club",
        "",
        "The same benchmark at each club size, in one run, each on a fresh database. The trivial DRF "
        "view, measured in each: "
        + ", ".join(f"{r['ceiling_rps']:.0f} req/s at {r['athletes']:,}" for r in results)
        + ". Club-wide budgets at the largest size (issue 18): p50 within the budget, uncached, and "
        "at most 2× the smallest size's. At this run's speed: the budget scaled by the largest "
        "size's speed, as above, and the ratio multiplied by the ratio of the two trivial views "
        f"({results[-1]['ceiling_rps'] / results[0]['ceiling_rps']:.2f}), so that both sizes are "
        "compared at one speed.",
        "",
        f"| endpoint | {head} | ratio | budget | met | met at this run's speed |",
        "|---|" + "---|" * len(sizes) + "---|---|---|---|",
    ]
    for row in results[-1]["growth"]:
        cells = " | ".join(f"{ms:.1f}" for ms in row["p50_ms"])
        ratio = f"{row['ratio']:.1f}×" if row["ratio"] else "–"
        budget = f"≤ {row['budget_ms']} ms, ≤ 2×" if row["budget_ms"] else "–"
        met, at_speed = (
            {True: "yes", False: "**no**", None: "–"}[row[k]] for k in ("met", "met_at_speed")
        )
        lines.append(f"| {row['endpoint']} | {cells} | {ratio} | {budget} | {met} | {at_speed} |")
    snaps = " / ".join(f"{r['snapshots']['seconds']:.1f} s" for r in results)
    hours = " / ".join(f"{r['snapshots']['seconds_usual_hour']:.2f} s" for r in results)
    builds = " / ".join(f"{r['data']['load_s']:.0f} s" for r in results)
    lines += [
        "",
        f"- Every snapshot refreshed (2 worker processes): {snaps}; a usual hour: {hours}; the "
        "hour of midnight in Europe/Berlin (a fifth of the club): "
        + " / ".join(f"{r['snapshots']['seconds_midnight_hour']:.2f} s" for r in results)
        + ".",
        f"- Data build: {builds}; activities: "
        + " / ".join(f"{r['data']['rows_athletes_activity']:,}" for r in results)
        + ".",
    ]
    return "\n".join(lines) + "\n"


def loadtest(port: int) -> int:
    """Twice the throughput budget for 60 seconds with zero errors (issue: hardening)."""
    fx = fixtures()
    uid = fx["athlete"].public_id
    today = datetime.now(UTC).date()
    key = {"X-API-Key": API_KEY}
    stats = (
        f"/api/v1/analytics/activity_stats?user_id={uid}&from={today - timedelta(days=399)}"
        f"&to={today}"
    )
    targets = [
        ("activity_stats, uncached (refresh=true)", f"{stats}&refresh=true", 2 * 300),
        ("activity_stats, one URL polled (served from the cache)", stats, 2 * 300),
        (
            "coach_athletes_metrics, cached",
            "/api/v1/analytics/coach_athletes_metrics?per_page=200",
            2 * 2000,
        ),
    ]
    ceiling = wrk(port, "/healthz", {}, seconds=10)["rps"]
    speed = ceiling / REFERENCE_CEILING
    log(f"trivial DRF view: {ceiling:.0f} req/s ({speed:.0%} of the reference machine)")
    failed = False
    lines = [
        "# Load test",
        "",
        f"`make loadtest`, {datetime.now(UTC).isoformat(timespec='seconds')}, "
        f"{platform.machine()}, {os.cpu_count()} cores: 60 s per URL at 16 connections (wrk), "
        f"gunicorn 3 sync workers. The trivial DRF view served {ceiling:.0f} requests/s "
        f"({speed:.0%} of the machine the budgets were set on).",
        "",
        "| what | req/s | target (2 × budget) | target at this run's speed | errors | p99 ms | |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, path, target in targets:
        result = wrk(port, path, key, seconds=60)
        ok = result["errors"] == 0 and result["rps"] >= target
        failed |= not ok
        log(
            f"LOAD {name}: {result['rps']:.0f} req/s (target {target}; {target * speed:.0f} at this "
            f"run's speed), errors {result['errors']}, p99 {result['p99_ms']} ms -> "
            f"{'OK' if ok else 'FAILED'}"
        )
        lines.append(
            f"| {name} | {result['rps']:.0f} | {target} | {target * speed:.0f} | {result['errors']} "
            f"| {result['p99_ms']} | {'ok' if ok else '**below target**'} |"
        )
    (ROOT / "docs" / "loadtest.md").write_text("\n".join(lines) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
