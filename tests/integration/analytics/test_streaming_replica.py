"""Analytics reads on a real PostgreSQL streaming replica (hot standby, made with
pg_basebackup by `make test`), and what they do when it stops or lags.

Issue 19: "when the replica is down or lags beyond ASTRAL_REPLICA_LAG_SECONDS, analytics
reads go to the primary within a second and come back to the replica when it has caught
up; no answer older than the documented bound is served or cached."
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext

from astral import db
from athletes.models import User
from tests.conftest import ROOT, Api, bearer
from tests.factories import make_activity

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "standby"])

STATS = "/api/v1/analytics/activity_stats"
NOV = {"from": "2026-11-01", "to": "2026-11-30", "timezone": "UTC"}


def services(command: str) -> None:
    subprocess.run(
        ["scripts/services.sh", command, os.environ["ASTRAL_SERVICES_DIR"]],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def on_standby(sql: str) -> object:
    with connections["standby"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def replayed_everything() -> bool:
    """The standby has replayed all the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (primary,) = cursor.fetchone()
    return bool(on_standby(f"SELECT pg_last_wal_replay_lsn() >= '{primary}'::pg_lsn"))


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except Exception:  # noqa: S110 - the standby is still starting
            pass
        time.sleep(0.05)
    return False


@pytest.fixture
def standby(settings) -> Iterator[None]:
    """The "standby" alias points at the real replica's copy of the test database, and
    analytics reads are routed there with a 1-second lag bound."""
    url = os.environ.get("ASTRAL_REPLICA_URL")
    assert url, "`make test` starts a streaming replica (scripts/services.sh replica-start)"
    primary = connections["default"].settings_dict
    connections["standby"].close()
    connections["standby"].settings_dict = {
        **primary,
        "PORT": os.environ["ASTRAL_REPLICA_PORT"],
        "CONN_HEALTH_CHECKS": False,  # a dead replica must surface as an error, not a retry
        "TEST": {"MIRROR": "default"},
    }
    settings.ASTRAL_ANALYTICS_DB = "standby"
    settings.ASTRAL_REPLICA_LAG_SECONDS = 1
    db.reset_replica_health()
    assert wait_for(replayed_everything), "the standby did not catch up with the primary"
    yield
    connections["standby"].close()
    services("replica-start")
    assert wait_for(lambda: on_standby("SELECT NOT pg_is_wal_replay_paused()") is True)
    connections["standby"].close()
    db.reset_replica_health()


def post_run(api: Api, day: int, metres: float) -> None:
    """Through the API, which invalidates the cached answers it changes."""
    body = {"start_time": f"2026-11-{day:02d}T07:00:00Z", "distance": metres, "duration": 900}
    assert api.post("/api/v1/activities", body).status_code == 201


def distance(api: Api) -> float:
    response = api.get(STATS, NOV)
    assert response.status_code == 200, response.content
    return response.json()["data"]["totals"]["distance"]


def served_by_standby(api: Api) -> tuple[float, bool]:
    """An uncached read: its answer, and whether the standby served its rows."""
    cache.clear()
    with CaptureQueriesContext(connections["standby"]) as standby_queries:
        km = distance(api)
    return km, any("athletes_activity" in q["sql"] for q in standby_queries.captured_queries)


def test_a_caught_up_replica_serves_the_analytics_reads(cast, standby):
    make_activity(cast.alice, datetime(2026, 11, 3, 7, tzinfo=UTC), distance=5000)
    assert wait_for(replayed_everything)
    assert served_by_standby(Api(bearer(cast.alice))) == (5000, True)


def test_a_stopped_replica_moves_reads_to_the_primary_within_a_second_and_back(cast, standby):
    api = Api(bearer(cast.alice))
    make_activity(cast.alice, datetime(2026, 11, 3, 7, tzinfo=UTC), distance=5000)
    assert wait_for(replayed_everything)
    assert served_by_standby(api) == (5000, True)

    services("replica-stop")
    stopped = time.monotonic()
    # The very next read is answered (from the primary), not a 500.
    post_run(api, 4, 3000)
    assert served_by_standby(api) == (8000, False)
    assert time.monotonic() - stopped < 1.0
    assert not db.replica_health("standby").usable

    services("replica-start")
    # Back on the replica once it answers again and has replayed what it missed.
    assert wait_for(lambda: served_by_standby(api) == (8000, True), timeout=30)


def test_a_paused_replica_is_left_once_it_lags_beyond_the_bound(cast, standby):
    api = Api(bearer(cast.alice))
    make_activity(cast.alice, datetime(2026, 11, 3, 7, tzinfo=UTC), distance=5000)
    assert wait_for(replayed_everything)
    on_standby("SELECT pg_wal_replay_pause()")
    assert wait_for(lambda: on_standby("SELECT pg_get_wal_replay_pause_state()") == "paused")

    written = time.monotonic()
    post_run(api, 5, 2500)
    # The replica has not replayed the run: it is stale, and says so once past the bound.
    assert on_standby("SELECT count(*) FROM athletes_activity WHERE distance = 2500") == 0
    time.sleep(1.0 + db.REPLICA_PROBE_SECONDS)
    km, from_standby = served_by_standby(api)
    assert (km, from_standby) == (7500, False)
    assert db.replica_health("standby").lag > 1
    assert time.monotonic() - written < 3

    on_standby("SELECT pg_wal_replay_resume()")
    assert wait_for(lambda: served_by_standby(api)[1], timeout=30)
    assert distance(api) == 7500


def test_a_replica_read_failing_mid_request_is_answered_from_the_primary(cast, standby):
    """The probe found the replica healthy, then it went away before the read."""
    api = Api(bearer(cast.bob))
    make_activity(cast.bob, datetime(2026, 11, 6, 7, tzinfo=UTC), distance=4200)
    assert wait_for(replayed_everything)
    assert db.replica_health("standby").usable
    on_standby("SELECT 1")  # a live connection, which the stop below breaks
    services("replica-stop")
    db._health.checked_at = time.monotonic()  # the last probe, just now, was healthy
    assert db.replica_health("standby").usable
    assert distance(api) == 4200
    assert not db.replica_health("standby").usable


def test_rows_read_from_a_replica_that_stopped_do_not_pull_reads_back_to_it(cast, standby):
    """An athlete read from the replica (or unpickled from the cache, which keeps where it
    was read) must not route the reads of its related rows to a replica that has stopped."""
    make_activity(cast.alice, datetime(2026, 11, 3, 7, tzinfo=UTC), distance=5000)
    assert wait_for(replayed_everything)
    alice = User.objects.using("standby").get(pk=cast.alice.pk)
    assert alice._state.db == "standby"
    services("replica-stop")
    connections["standby"].close()
    time.sleep(db.REPLICA_PROBE_SECONDS)  # the next read probes the replica again
    with db.analytics_reads():
        assert not db.replica_health("standby").usable
        assert [a.distance for a in alice.activities.all()] == [5000]
