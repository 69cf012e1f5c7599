"""Two clients at the same instant: the database keeps one copy and loses no field."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection

from athletes.models import Activity, HealthMetric
from tests.conftest import ACTIVITY_FILES, Api, bearer

pytestmark = pytest.mark.django_db(transaction=True)

RUN = {"start_time": "2026-11-20T07:00:00Z", "distance": 10000, "duration": 3000}


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Runs the calls in threads released together by a barrier; each has its own DB connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_the_same_external_id_at_the_same_instant_is_stored_once(cast, attempt):
    body = {**RUN, "source": "garmin", "external_id": f"g-{attempt}"}
    responses = at_once(*[lambda: Api(bearer(cast.alice)).post("/api/v1/activities", body)] * 4)
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert Activity.objects.filter(user=cast.alice).count() == 1
    duplicate = next(r for r in responses if r.status_code == 409).json()
    assert duplicate["details"]["activity_id"] == Activity.objects.get(user=cast.alice).public_id


def test_the_same_run_from_two_sources_at_the_same_instant_is_stored_once(cast):
    garmin = {**RUN, "source": "garmin", "external_id": "g-1"}
    strava = {
        **RUN,
        "start_time": "2026-11-20T07:01:00Z",
        "distance": 10100,
        "source": "strava",
        "external_id": "s-1",
    }
    responses = at_once(
        lambda: Api(bearer(cast.alice)).post("/api/v1/activities", garmin),
        lambda: Api({"X-API-Key": cast.riverside_key}).post(
            "/api/v1/activities", {**strava, "user_id": cast.alice.public_id}
        ),
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert Activity.objects.filter(user=cast.alice).count() == 1


def test_the_same_file_uploaded_twice_at_the_same_instant_is_stored_once(cast):
    content = (ACTIVITY_FILES / "fitparse_garmin-fenix-5-run.fit").read_bytes()

    def upload() -> Any:
        handle = io.BytesIO(content)
        handle.name = "run.fit"
        return Api(bearer(cast.alice)).post(
            "/api/v1/activities/upload", {"file": handle}, format="multipart"
        )

    responses = at_once(upload, upload, upload)
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    assert Activity.objects.filter(user=cast.alice).count() == 1


def test_a_bulk_health_upsert_racing_a_single_upsert_loses_no_field(cast):
    days = [date(2026, 10, d) for d in range(1, 29)]
    bulk = {"entries": [{"date": d.isoformat(), "hrv": 60 + i} for i, d in enumerate(days)]}
    for _ in range(3):
        HealthMetric.objects.all().delete()
        singles = [
            (
                lambda d=d: Api(bearer(cast.alice)).post(
                    "/api/v1/health_metrics", {"date": d.isoformat(), "resting_hr": 48}
                )
            )
            for d in days[::7]
        ]
        responses = at_once(
            lambda: Api(bearer(cast.alice)).post("/api/v1/health_metrics", bulk), *singles
        )
        assert all(r.status_code == 201 for r in responses)
        rows = {m.date: m for m in HealthMetric.objects.filter(user=cast.alice)}
        assert len(rows) == len(days)
        assert all(rows[d].hrv == 60 + i for i, d in enumerate(days))
        assert all(rows[d].resting_hr == 48 for d in days[::7])
