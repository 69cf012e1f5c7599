"""`make bench` builds its club with set-based SQL written against the schema; a migration
that the SQL does not follow would only show when someone runs the benchmark. Built here
small, the club must load and be served like any other."""

from datetime import UTC, datetime, time, timedelta

from django.db import connection

from analytics.club_totals import rebuild_club_totals
from analytics.rollups import rebuild_month_totals
from bench.data import load_club
from tests.conftest import Api
from tests.factories import make_activity

KEY = "ak_bench_test_" + "1" * 30


def structure() -> set[str]:
    """The definitions of the big tables' indexes and constraints (the month totals' too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT indexdef FROM pg_indexes
               WHERE tablename IN ('athletes_activity', 'athletes_healthmetric',
                                   'analytics_monthtotals', 'analytics_athleteday',
                                   'analytics_athleteweek')
               UNION ALL
               SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid::regclass::text IN ('athletes_activity', 'athletes_healthmetric',
                                                  'analytics_monthtotals', 'analytics_athleteday',
                                                  'analytics_athleteweek')"""
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_benchmark_club_loads_on_the_current_schema_and_is_served(transactional_db):
    """Committed as `make bench` commits it: the big tables are loaded by parallel
    connections, with their indexes and foreign keys dropped and built again after."""
    from athletes.models import Activity, DataChange, HealthMetric, User
    from organizations.models import Group

    today = datetime.now(UTC).date()
    before = structure()
    assert len(before) > 5
    load_club(today=today, athletes=6, days=28, api_key=KEY)

    # The shape: a daily health row per athlete-day, about 0.7 runs a day, 20 groups.
    assert HealthMetric.objects.count() == 6 * 28
    assert 0.5 < Activity.objects.count() / (6 * 28) < 0.9
    assert Group.objects.count() == 20
    # Every index and constraint of the big tables is back (the activity list, the roster
    # and the duplicate checks rely on them).
    assert structure() == before

    # The log of changes holds what the service's would (API.md §5: kept for 30 days): each
    # run and wellness row of the last 30 days that has happened, none older, in the order
    # they came in; and the triggers that keep it are on again.
    since = today - timedelta(days=30)
    now = datetime.now(UTC)
    runs_logged = {
        a.public_id
        for a in Activity.objects.filter(start_time__date__gte=since)
        if a.start_time + timedelta(seconds=a.duration) <= now
    }
    readings_logged = {
        (h.user_id, h.date.isoformat())
        for h in HealthMetric.objects.filter(date__gte=since)
        if datetime.combine(h.date, time(7), UTC) <= now
    }
    assert runs_logged and readings_logged
    changes = DataChange.objects.filter(kind__in=["activity", "health_metric"]).order_by("id")
    assert {c.object_id for c in changes if c.kind == "activity"} == runs_logged
    assert {(c.user_id, c.object_id) for c in changes if c.kind == "health_metric"} == (
        readings_logged
    )
    instants = [c.at for c in changes]
    assert instants == sorted(instants)
    athlete_row = User.objects.filter(memberships__role="athlete").first()
    HealthMetric.objects.create(user=athlete_row, date=today + timedelta(days=1), hrv=60)
    assert DataChange.objects.filter(kind="health_metric").count() == len(readings_logged) + 1

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

    # The month totals the load built with its triggers off count every run of the club, and
    # the triggers are on again: a run stored now is in the comparison at once.
    # (A run late in a UTC day is on the next day east of UTC: the window takes tomorrow.)
    window = {
        "period": "custom",
        "from": (today - timedelta(days=30)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }

    def club_runs() -> int:
        data = api.get("/api/v1/analytics/group_comparison", window).json()["data"]
        return (
            sum(g["total_activities"] for g in data["groups"])
            + data["unassigned"]["total_activities"]
        )

    assert club_runs() == Activity.objects.count()  # each athlete is in one group or none
    make_activity(User.objects.get(public_id=athlete), datetime.now(UTC), distance=5000)
    assert club_runs() == Activity.objects.count()

    # The clubs' days the load built set-based are what the triggers would have kept.
    def club_days() -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.kind, c.ref, d.day, round(d.distance::numeric, 3), d.runs, d.active "
                "FROM analytics_clubday d JOIN analytics_club c ON c.id = d.club_id "
                "WHERE d.runs <> 0 ORDER BY 1, 2, 3"
            )
            return cursor.fetchall()

    loaded = club_days()
    assert len(loaded) > 28
    rebuild_club_totals()
    assert club_days() == loaded

    # So are the month totals it built from those days (and the trigger kept since).
    def months() -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT user_id, month, runs, (SELECT array_agg(round(x::numeric, 3))"
                " FROM unnest(distance) x) FROM analytics_monthtotals ORDER BY 1, 2"
            )
            return cursor.fetchall()

    built = months()
    assert len(built) >= 6
    rebuild_month_totals()
    assert months() == built


def test_many_small_clubs_load_beside_the_big_one_each_served_as_its_own(transactional_db):
    """Issue 36's service of many clubs (bench/clubs.sql): small clubs of a coach and 20
    athletes beside the big club, each with its own key, groups, plan and days of runs; one
    club's key reads its own athletes only, and what PostgreSQL keeps of the clubs (their
    days and the athletes' months) is what it would have kept itself."""
    from athletes.models import Activity
    from bench.many import club_key
    from organizations.models import Membership, Organization

    today = datetime.now(UTC).date()
    load_club(today=today, athletes=4, days=20, api_key=KEY, clubs=3, club_size=5, club_days=10)
    assert Organization.objects.count() == 4
    small = Organization.objects.get(public_id="org_club000000000002")
    members = Membership.objects.filter(organization=small)
    assert (members.filter(role="coach").count(), members.filter(role="athlete").count()) == (1, 5)
    # A small club's athletes ran over its 10 days only, the big club's over 20.
    oldest = Activity.objects.filter(user__memberships__organization=small).earliest("start_time")
    assert oldest.start_time.date() >= today - timedelta(days=10)
    assert Activity.objects.filter(start_time__date__lt=today - timedelta(days=11)).exists()

    roster = Api({"X-API-Key": club_key(2)}).get("/api/v1/analytics/coach_athletes_metrics")
    assert roster.status_code == 200, roster.content
    names = sorted(a["display_name"] for a in roster.json()["data"]["athletes"])
    assert names == sorted(m.user.display_name for m in members.filter(role="athlete"))
    assert all("2-" in name for name in names)  # club 2's people, nobody else's

    def kept() -> tuple[list, list]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.kind, c.ref, d.day, round(d.distance::numeric, 3), d.runs "
                "FROM analytics_clubday d JOIN analytics_club c ON c.id = d.club_id "
                "WHERE d.runs <> 0 ORDER BY 1, 2, 3"
            )
            days = cursor.fetchall()
            cursor.execute("SELECT user_id, month, runs FROM analytics_monthtotals ORDER BY 1, 2")
            return days, cursor.fetchall()

    loaded = kept()
    rebuild_club_totals()
    rebuild_month_totals()
    assert kept() == loaded
