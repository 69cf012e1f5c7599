"""Snapshots are refreshed by a real Celery worker; the API keeps answering when Redis or
the broker is gone (API.md §4, issue: cached athlete metrics)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import kombu.pools
import pytest

from analytics.models import AthleteSnapshot
from astral.celery import app as celery_app
from tests.conftest import Api, bearer
from tests.servers import free_port
from tests.workers import ARTIFACTS, celery_worker

ROOT = Path(__file__).resolve().parents[3]


def closed_port() -> int:
    return free_port()  # free, so nothing answers there


def reconnect_broker() -> None:
    """Drops the app's broker connections so the next task connects to the current
    `broker_url` (a closed pool alone would refuse every later task)."""
    kombu.pools.reset()  # closes and forgets every pooled connection
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.fixture
def worker(transactional_db):
    """A real `celery worker` process on the test Redis broker and the test database."""
    with celery_worker():
        yield True


@pytest.mark.worker
def test_a_real_worker_refreshes_the_snapshot_after_a_write(cast, worker):
    assert worker
    start = datetime.now(UTC) - timedelta(hours=2)
    response = Api(bearer(cast.bob)).post(
        "/api/v1/activities", {"start_time": start.isoformat(), "distance": 7777, "duration": 2400}
    )
    assert response.status_code == 201
    cast.bob.refresh_from_db()

    def refreshed() -> bool:
        snapshot = AthleteSnapshot.objects.filter(user=cast.bob).first()
        return snapshot is not None and snapshot.source_version == cast.bob.data_version

    assert wait_for(refreshed), "the worker did not refresh Bob's snapshot"
    snapshot = AthleteSnapshot.objects.get(user=cast.bob)
    same_iso_week = (
        start.isocalendar()[:2] == datetime.now(UTC).isocalendar()[:2]
    )  # Bob lives in UTC
    assert snapshot.data["running_analytics"]["weekly_distance"] == (7777 if same_iso_week else 0)
    assert snapshot.last_activity_at is not None


@pytest.mark.django_db(transaction=True)
def test_writes_succeed_with_the_broker_down_and_reads_catch_up(cast, settings):
    celery_app.conf.CELERY_TASK_ALWAYS_EAGER = False
    celery_app.conf.broker_url = f"redis://127.0.0.1:{closed_port()}/0"
    reconnect_broker()
    try:
        response = Api(bearer(cast.bob)).post(
            "/api/v1/activities",
            {
                "start_time": (datetime.now(UTC) - timedelta(minutes=30)).isoformat(),
                "distance": 5555,
                "duration": 1800,
            },
        )
        assert response.status_code == 201
        cast.bob.refresh_from_db()
        assert not AthleteSnapshot.objects.filter(
            user=cast.bob, source_version=cast.bob.data_version
        ).exists()
    finally:
        celery_app.conf.CELERY_TASK_ALWAYS_EAGER = True
        celery_app.conf.broker_url = settings.CELERY_BROKER_URL
        reconnect_broker()
    # No worker ran, yet the coach's roster shows the run: the stale snapshot is recomputed on read.
    roster = Api(bearer(cast.cora)).get(
        "/api/v1/analytics/coach_athletes_metrics", {"search": "bob"}
    )
    athlete = roster.json()["data"]["athletes"][0]
    assert athlete["metrics"]["last_activity_at"] is not None


@pytest.mark.django_db
def test_every_endpoint_answers_with_redis_down(cast, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.2,
                "SOCKET_TIMEOUT": 0.2,
            },
        }
    }
    coach = Api(bearer(cast.cora))
    athlete = Api(bearer(cast.alice))
    assert (
        athlete.post(
            "/api/v1/activities",
            {"start_time": "2026-11-01T07:00:00Z", "distance": 5000, "duration": 1500},
        ).status_code
        == 201
    )
    for path, params in [
        ("coach_athletes_metrics", {}),
        ("athlete_profile", {"user_id": cast.alice.public_id}),
        (
            "activity_stats",
            {"from": "2026-11-01", "to": "2026-11-02", "user_id": cast.alice.public_id},
        ),
        (
            "health_metrics",
            {"from": "2026-11-01", "to": "2026-11-02", "user_id": cast.alice.public_id},
        ),
        ("user_metrics_summary", {"user_id": cast.alice.public_id}),
        ("group_overview", {}),
    ]:
        response = coach.get(f"/api/v1/analytics/{path}", params)
        assert response.status_code == 200, (path, response.content[:300])
    stats = coach.get(
        "/api/v1/analytics/activity_stats",
        {
            "from": "2026-11-01",
            "to": "2026-11-01",
            "user_id": cast.alice.public_id,
            "timezone": "UTC",
        },
    )
    assert stats.json()["data"]["totals"]["distance"] == 5000
    token = Api().post(
        "/api/v1/auth/token", {"username": "alice", "password": "correct-horse-battery-staple"}
    )
    assert token.status_code == 200


@pytest.mark.worker
def test_the_hourly_refresh_hands_every_athlete_to_the_worker_in_batches(cast, worker):
    assert worker
    from analytics.tasks import refresh_all_snapshots

    started = datetime.now(UTC)
    athletes = [cast.alice, cast.bob, cast.dave]
    # One athlete per batch: three tasks on the broker, whichever worker takes them.
    assert refresh_all_snapshots(batch_size=1) == len(athletes)

    def all_refreshed() -> bool:
        return AthleteSnapshot.objects.filter(
            user__in=athletes, computed_at__gte=started
        ).count() == len(athletes)

    assert wait_for(all_refreshed), "the worker did not refresh every athlete's snapshot"


@pytest.mark.worker
def test_with_a_replica_answers_are_invalidated_again_once_it_has_replayed(cast, worker, settings):
    """A reader of a lagging replica may store old rows under a token minted just after
    the commit; the worker forgets the tokens again once the replica has caught up."""
    assert worker
    from django.core.cache import cache as django_cache
    from django.db import transaction

    from astral import cache

    assert wait_for(lambda: bool(celery_app.control.ping(timeout=0.5))), "no worker answered"
    settings.ASTRAL_ANALYTICS_DB = "replica"
    settings.ASTRAL_REPLICA_LAG_SECONDS = 1
    name = cache.athlete(cast.alice.pk)
    with transaction.atomic():
        cache.invalidate([name])
    time.sleep(0.3)  # the commit's own invalidation is long done
    django_cache.set(name, "minted by a reader of the lagging replica")
    assert wait_for(
        lambda: django_cache.get(name) != "minted by a reader of the lagging replica", timeout=30
    )


@pytest.mark.worker
def test_a_burst_of_writes_refreshes_the_snapshot_once(cast, worker):
    """Five runs synced at once: five refreshes are enqueued, two seconds after their write;
    the first computes the snapshot, the other four find it fresh (the task returns how many
    it computed, and the worker logs it)."""
    api = Api(bearer(cast.bob))
    now = datetime.now(UTC)
    for back in range(5):
        start = (now - timedelta(days=back + 1)).isoformat()
        api.post("/api/v1/activities", {"start_time": start, "distance": 5000, "duration": 1500})
    log = ARTIFACTS / "celery-worker.log"
    done = re.compile(r"refresh_snapshot\[[^\]]+\] succeeded in [\d.]+s: (\d+)")

    assert wait_for(lambda: len(done.findall(log.read_text())) >= 5), log.read_text()[-2000:]
    results = done.findall(log.read_text())
    assert sorted(results) == ["0", "0", "0", "0", "1"], results
