"""Analytics reads go to the replica alias when one is configured; writes never do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.conftest import Api, bearer
from tests.factories import make_activity

# The replica alias is a second connection to the same test database: committed data only.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture(autouse=True)
def _close_replica():
    yield
    connections["replica"].close()


def test_analytics_reads_use_the_replica_and_writes_the_primary(cast, settings):
    settings.ASTRAL_ANALYTICS_DB = "replica"
    make_activity(cast.alice, datetime(2026, 11, 1, 7, tzinfo=UTC), distance=4321)
    api = Api(bearer(cast.alice))
    with CaptureQueriesContext(connections["replica"]) as replica:
        response = api.get(
            "/api/v1/analytics/activity_stats",
            {"from": "2026-11-01", "to": "2026-11-01", "timezone": "UTC"},
        )
    assert response.json()["data"]["totals"]["distance"] == 4321
    assert any("athletes_activity" in q["sql"] for q in replica.captured_queries)
    with CaptureQueriesContext(connections["replica"]) as replica:
        created = api.post(
            "/api/v1/activities",
            {"start_time": "2026-11-02T07:00:00Z", "distance": 5000, "duration": 1500},
        )
    assert created.status_code == 201
    # The write and the duplicate check under the row lock stayed on the primary.
    assert not any("athletes_activity" in q["sql"] for q in replica.captured_queries)


def test_without_a_replica_everything_stays_on_the_primary(cast, settings):
    settings.ASTRAL_ANALYTICS_DB = None
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert Api(bearer(cast.alice)).get("/api/v1/analytics/fitness_stats").status_code == 200
    assert replica.captured_queries == []


def test_a_replica_from_the_environment_gets_the_primary_s_connection_settings():
    """DATABASE_REPLICA_URL in production settings: the replica serves the heaviest reads,
    so it must not plan them with JIT (hundreds of ms for the roster) nor reconnect per
    request."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    url = "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(**settings.DATABASES["default"])
    probe = (
        "import django; django.setup()\n"
        "from django.db import connections\n"
        "c = connections['replica']\n"
        "cur = c.cursor()\n"
        "cur.execute(\"SELECT setting, source FROM pg_settings WHERE name = 'jit'\")\n"
        "print(*cur.fetchone(), c.settings_dict['CONN_MAX_AGE'])\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "astral.settings",
        "DATABASE_URL": url,
        "DATABASE_REPLICA_URL": url,
        "DJANGO_DEBUG": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    # Set by the connection itself ("client"), whatever the server's own configuration.
    assert out.stdout.split() == ["off", "client", "60"]


def test_without_a_broker_the_process_itself_invalidates_again_after_the_bound(cast, settings):
    """The second invalidation (after the replica's bound) is a Celery task; with the broker
    known to be down, the web process does it itself, so an answer a reader of the lagging
    replica stored just after the commit is still forgotten."""
    import time

    from django.core.cache import cache as django_cache
    from django.db import transaction

    from astral import cache
    from astral import celery as astral_celery

    settings.ASTRAL_ANALYTICS_DB = "replica"
    settings.ASTRAL_REPLICA_LAG_SECONDS = 0  # forgotten again one second after the commit
    name = cache.athlete(cast.alice.pk)
    astral_celery._broker_down_until = time.monotonic() + 60  # as after a failed enqueue
    try:
        with transaction.atomic():
            cache.invalidate([name])
        stale = "minted by a reader of the lagging replica"
        django_cache.set(name, stale)
        deadline = time.monotonic() + 5
        while django_cache.get(name) == stale and time.monotonic() < deadline:
            time.sleep(0.05)
        assert django_cache.get(name) not in (stale, None)  # replaced by a new token
    finally:
        astral_celery._broker_down_until = 0.0
