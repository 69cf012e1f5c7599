"""Bulk import and the snapshot refreshes, through real worker processes."""

from __future__ import annotations

import os
import signal
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from bench.environment import ROOT, log
from bench.servers import process_rss_mb, start_worker


def refresh_snapshots(*, one_process: bool = True) -> dict[str, Any]:
    """The hourly refresh on a 2-process worker: every snapshot, a usual hour, a time zone's
    midnight; with `one_process`, every snapshot in this process first (a service of many
    clubs skips it: 50,000 athletes in one process take minutes to say what is known)."""
    from analytics.snapshots import snapshots_refresh, snapshots_refresh_all
    from athletes.models import User

    started = time.perf_counter()
    if one_process:
        total = snapshots_refresh_all(batch_size=200)
    else:
        total = User.objects.filter(memberships__role="athlete").count()
    sequential = time.perf_counter() - started if one_process else None
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
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # as autovacuum would soon after: the snapshots are new
    per_batch = {}
    for size in (50, 200):
        with CaptureQueriesContext(connection) as queries:
            snapshots_refresh(ids[:size], force=True)
        per_batch[size] = len(queries.captured_queries)
    log(
        f"{total} snapshots in {elapsed:.2f} s by a 2-process worker "
        f"({'–' if sequential is None else f'{sequential:.2f}'} s in one process); "
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
        limit = max(120.0, total / 50)  # far beyond any budget: a stuck worker, not a slow one
        # Counting the service's new snapshots is a pass over 50,000 rows (17 ms of a core),
        # so it is done only while the broker's queue is empty (the fan-out starting, the
        # last batches running), four times a second; while batches wait in the queue, a
        # look at its length (a Redis round trip) is enough. It reads the end up to a
        # quarter second late, never early.
        broker = redis.Redis.from_url(app.conf.broker_url)
        queue = app.conf.task_default_queue
        while True:
            if time.perf_counter() - started > limit:
                raise RuntimeError(f"the worker did not refresh {total} snapshots in {limit:.0f} s")
            if broker.llen(queue) > 0:
                time.sleep(0.1)
                continue
            if AthleteSnapshot.objects.filter(computed_at__gte=started_at).count() >= total:
                return time.perf_counter() - started
            time.sleep(0.25)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


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


PARSE_SAMPLE = 100  # files the bare parser's rate is timed on, three times, beside each run


def parse_rates(batch_files: list[tuple[str, bytes]]) -> list[float]:
    """Files per second of the bare parser in this process, three timings."""
    from athletes import files

    rates = []
    for _ in range(3):
        started = time.perf_counter()
        for name, content in batch_files[:PARSE_SAMPLE]:
            files.parse(*files.file_kind(name, content))
        rates.append(PARSE_SAMPLE / (time.perf_counter() - started))
    return rates


def bulk_import() -> dict[str, Any]:
    """Files per second of a bulk import (the command's own path: the files sent in sets,
    a task each) on a worker of 2 processes (one per core, Celery's default) and of 4,
    against the bare parser's rate on the same files in one process, timed right before and
    right after each run (the machine's speed moves within a run: a rate timed minutes
    away would judge the import by another machine); and the worker's memory meanwhile."""
    from athletes.models import ImportBatch, User
    from athletes.services import imports as import_services

    batch_files = import_files()
    timings = [parse_rates(batch_files)]
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
        timings.append(parse_rates(batch_files))
        # The median of the six timings right before and after the run: one moment of a
        # neighbour's load on this virtual machine moves a single timing by a third.
        beside = statistics.median(timings[-2] + timings[-1])
        batch.refresh_from_db()
        runs[processes] = {
            "import_rate": rate,
            "parse_rate": beside,
            "ratio": rate / beside,
            "imported": batch.imported,
            "rejected": batch.rejected,
            "worker_peak_mb": peak,
        }
        log(
            f"bulk import: {rate:.1f} files/s on a {processes}-process worker, bare parser "
            f"{beside:.1f} files/s in one process beside it ({rate / beside:.0%}); "
            f"{batch.imported} imported, {batch.rejected} rejected; worker peak {peak:.0f} MB"
        )
    every = [rate for rates in timings for rate in rates]
    return {"files": len(batch_files), "parse_rate": statistics.median(every), "runs": runs}


LARGEST_UPLOAD_POINTS = 200_000
LARGEST_UPLOAD_SCRIPT = """
import resource, sys, time
from athletes.files import parse_gpx
content = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
parsed = parse_gpx(content)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(seconds, (peak - before) / 1024, len(parsed.legs[0].samples))
"""


def largest_gpx(points: int = LARGEST_UPLOAD_POINTS, size: int = 25 * 1024 * 1024) -> bytes:
    """A GPX at /upload's limits: `points` timed points with elevation and heart rate (as
    GPX 1.0's bare <hr>, so 200,000 fit), padded with a track description to just under
    `size` bytes."""
    start = datetime(2026, 11, 1, 7, tzinfo=UTC)
    rows = [
        f'<trkpt lat="{45 + i * 1e-5:.6f}" lon="{7 + i * 1e-5:.6f}"><ele>{200 + (i % 50) * 0.5:.1f}'
        f"</ele><time>{(start + timedelta(seconds=i)):%Y-%m-%dT%H:%M:%SZ}</time>"
        f"<hr>{140 + i % 20}</hr></trkpt>"
        for i in range(points)
    ]
    body = "".join(rows)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="bench" '
    head += 'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Long run</name><desc>'
    tail = "</desc><type>running</type><trkseg>" + body + "</trkseg></trk></gpx>\n"
    padding = max(0, size - len(head) - len(tail) - 1)
    return (head + "x" * padding + tail).encode()


def largest_upload() -> dict[str, Any]:
    """Parsing one file at /upload's limits (25 MB, 200,000 points) in a process of its
    own, as a web worker would: seconds and the memory it took beyond the interpreter
    and Django (issue 32's budget: ≤ 2 s, ≤ 150 MB). The median of three."""
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    content = largest_gpx()
    with tempfile.NamedTemporaryFile(suffix=".gpx", delete=False) as handle:
        handle.write(content)
    runs = []
    try:
        for _ in range(3):
            out = subprocess.run(
                [sys.executable, "-c", "import django; django.setup()\n" + LARGEST_UPLOAD_SCRIPT,
                 handle.name],
                check=True, capture_output=True, text=True,
            ).stdout.split()  # fmt: skip
            runs.append((float(out[0]), float(out[1]), int(out[2])))
    finally:
        Path(handle.name).unlink()
    seconds, memory, samples = sorted(runs)[1]
    return {"bytes": len(content), "points": samples, "seconds": seconds, "memory_mb": memory}
