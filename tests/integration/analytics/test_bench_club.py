"""`make bench` builds its club with set-based SQL written against the schema; a migration
that the SQL does not follow would only show when someone runs the benchmark. Built here
small, the club must load and be served like any other."""

from datetime import UTC, datetime, timedelta

from bench.data import load_club
from tests.conftest import Api

KEY = "ak_bench_test_" + "1" * 30


def test_the_benchmark_club_loads_on_the_current_schema_and_is_served(db):
    from athletes.models import Activity, HealthMetric
    from organizations.models import Group

    today = datetime.now(UTC).date()
    load_club(today=today, athletes=6, days=28, api_key=KEY)

    # The shape: a daily health row per athlete-day, about 0.7 runs a day, 20 groups.
    assert HealthMetric.objects.count() == 6 * 28
    assert 0.5 < Activity.objects.count() / (6 * 28) < 0.9
    assert Group.objects.count() == 20

    api = Api({"X-API-Key": KEY})
    roster = api.get("/api/v1/analytics/coach_athletes_metrics")
    assert roster.status_code == 200, roster.content
    athletes = roster.json()["data"]["athletes"]
    assert len(athletes) == 6
    assert all(len(a["current_goals"]["races"]) == 1 for a in athletes)

    # Every run of an athlete's 28 days is in their stats.
    athlete = athletes[0]["user_id"]
    stats = api.get(
        "/api/v1/analytics/activity_stats",
        {
            "user_id": athlete,
            "from": (today - timedelta(days=27)).isoformat(),
            "to": today.isoformat(),
            "timezone": "UTC",
        },
    )
    assert stats.status_code == 200, stats.content
    runs = Activity.objects.filter(user__public_id=athlete).count()
    assert runs > 0
    assert stats.json()["data"]["totals"]["runs"] == runs
