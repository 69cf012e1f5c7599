"""API.md §4 Group Dashboard data."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from athletes.models import User
from organizations.models import Group
from tests.conftest import assert_error, rows_read
from tests.factories import make_activity

pytestmark = pytest.mark.django_db

NOW = "2026-11-18 15:00:00Z"


@pytest.fixture
def groups(cast):
    sprinters = Group.objects.create(organization=cast.riverside, name="Sprinters")
    sprinters.members.add(cast.alice)
    empty = Group.objects.create(organization=cast.riverside, name="Empty")
    return {"sprinters": sprinters, "empty": empty}


@time_machine.travel(NOW, tick=False)
def test_group_overview_for_a_week(cast, groups):
    # Alice (Chicago): Tue 22:30 local = Wed 04:30 UTC, counted on Tuesday.
    make_activity(
        cast.alice,
        datetime(2026, 11, 17, 22, 30, tzinfo=ZoneInfo("America/Chicago")),
        distance=8000,
    )
    make_activity(cast.alice, datetime(2026, 11, 18, 12, tzinfo=UTC), distance=5000)
    make_activity(cast.bob, datetime(2026, 11, 10, 7, tzinfo=UTC), distance=6000)  # last Tue
    # Last Friday: later in its week than today (Wednesday), so not compared with (METRICS §8).
    make_activity(cast.bob, datetime(2026, 11, 13, 7, tzinfo=UTC), distance=20000)
    data = (
        cast.api(cast.cora)
        .get("/api/v1/analytics/group_overview", {"week": "2026-11-19"})
        .json()["data"]
    )
    assert data["week_start"] == "2026-11-16"
    assert data["total_distance"] == 13000
    assert data["total_activities"] == 2
    assert (data["active_athletes"], data["athlete_count"], data["engagement_rate"]) == (1, 2, 0.5)
    top = data["member_matrix"][0]
    assert top["display_name"] == "Alice Andersen"
    assert [d["distance"] for d in top["days"]] == [0, 8000, 5000, 0, 0, 0, 0]
    assert len(data["member_matrix"]) == 2
    assert "1 of 2 athletes were active (50%)" in data["insight"]
    # This week so far (Mon-Wed) against the same days of last week: 13 km vs 6 km.
    assert data["in_progress"] is True
    assert data["last_week"]["from"] == "2026-11-09" and data["last_week"]["to"] == "2026-11-11"
    assert data["last_week"]["total_distance"] == 6000
    assert "so far this week, up 117% on the same days last week" in data["insight"]
    past = (
        cast.api(cast.cora)
        .get("/api/v1/analytics/group_overview", {"week": "2026-11-10"})
        .json()["data"]
    )
    assert past["in_progress"] is False
    assert past["total_distance"] == 26000  # a finished week is compared whole
    assert "on the week before" in past["insight"]
    scoped = (
        cast.api(cast.cora)
        .get("/api/v1/analytics/group_overview", {"group_id": groups["sprinters"].public_id})
        .json()["data"]
    )
    assert scoped["athlete_count"] == 1


@time_machine.travel(NOW, tick=False)
def test_group_comparison_over_periods(cast, groups):
    make_activity(cast.alice, datetime(2026, 11, 18, 7, tzinfo=UTC), distance=10000)
    make_activity(cast.alice, datetime(2026, 11, 5, 7, tzinfo=UTC), distance=4000)  # 14 days back
    make_activity(cast.bob, datetime(2026, 11, 15, 7, tzinfo=UTC), distance=6000)
    api = cast.api(cast.cora)
    week = api.get("/api/v1/analytics/group_comparison", {"period": "7"}).json()["data"]
    assert (week["from"], week["to"]) == ("2026-11-12", "2026-11-18")
    by_name = {g["name"]: g for g in week["groups"]}
    assert by_name["Sprinters"]["total_distance"] == 10000
    assert by_name["Sprinters"]["engagement_rate"] == 1.0
    assert by_name["Empty"] == {
        **by_name["Empty"],
        "athlete_count": 0,
        "total_distance": 0,
        "engagement_rate": 0,
    }
    assert week["unassigned"]["total_distance"] == 6000
    assert "group_id" not in week["unassigned"]
    fortnight = api.get("/api/v1/analytics/group_comparison", {"period": "14"}).json()["data"]
    assert {g["name"]: g["total_distance"] for g in fortnight["groups"]}["Sprinters"] == 14000
    custom = api.get(
        "/api/v1/analytics/group_comparison",
        {"period": "custom", "from": "2026-11-05", "to": "2026-11-05"},
    ).json()["data"]
    assert {g["name"]: g["avg_distance_per_athlete"] for g in custom["groups"]}["Sprinters"] == 4000


@time_machine.travel(NOW, tick=False)
def test_group_comparison_counts_each_run_on_its_athletes_local_day(cast, groups):
    """Thursday 12 November, in three time zones at once (METRICS: local days)."""
    from tests.factories import add_member, make_user

    kenji = make_user("kenji", timezone="Asia/Tokyo")
    add_member(cast.riverside, kenji)
    make_activity(cast.alice, datetime(2026, 11, 13, 4, tzinfo=UTC), distance=8000)  # 22:00 Thu
    make_activity(kenji, datetime(2026, 11, 11, 16, tzinfo=UTC), distance=2000)  # 01:00 Thu
    make_activity(kenji, datetime(2026, 11, 12, 16, tzinfo=UTC), distance=700)  # 01:00 Fri
    make_activity(cast.bob, datetime(2026, 11, 12, 23, 30, tzinfo=UTC), distance=3000)  # Thu
    make_activity(cast.bob, datetime(2026, 11, 13, 0, 30, tzinfo=UTC), distance=900)  # Fri
    data = (
        cast.api(cast.cora)
        .get(
            "/api/v1/analytics/group_comparison",
            {"period": "custom", "from": "2026-11-12", "to": "2026-11-12"},
        )
        .json()["data"]
    )
    assert {g["name"]: g["total_distance"] for g in data["groups"]}["Sprinters"] == 8000
    assert data["unassigned"]["total_distance"] == 3000 + 2000
    assert data["unassigned"]["total_activities"] == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "10"}, "period"),
        ({"period": "custom"}, "from"),
        ({"period": "custom", "from": "2025-01-01", "to": "2026-02-06"}, "to"),
    ],
)
def test_group_comparison_bad_period(cast, params, field):
    assert_error(
        cast.api(cast.cora).get("/api/v1/analytics/group_comparison", params), 400, field=field
    )


@time_machine.travel(NOW, tick=False)
def test_group_stats_lists_members(cast, groups):
    make_activity(cast.alice, datetime(2026, 11, 18, 7, tzinfo=UTC), distance=10000)
    data = (
        cast.api(cast.cora)
        .get(
            "/api/v1/analytics/group_stats",
            {"group_id": groups["sprinters"].public_id, "period": "30"},
        )
        .json()["data"]
    )
    assert data["name"] == "Sprinters"
    assert data["members"] == [
        {
            "user_id": cast.alice.public_id,
            "display_name": "Alice Andersen",
            "total_distance": 10000,
            "total_activities": 1,
            "active": True,
        }
    ]
    assert_error(
        cast.api(cast.olga).get(
            "/api/v1/analytics/group_stats", {"group_id": groups["sprinters"].public_id}
        ),
        403,
    )
    assert_error(cast.api(cast.cora).get("/api/v1/analytics/group_stats"), 400, field="group_id")


@time_machine.travel(NOW, tick=False)
def test_plans_overview_rolls_up_by_group(cast, groups):
    plan = (
        cast.api(cast.cora)
        .post(
            "/api/v1/plans",
            {
                "name": "Base",
                "org_id": cast.riverside.public_id,
                "total_weeks": 4,
                "workouts": [{"week": 1, "day": 1, "distance": 10000}],
            },
        )
        .json()["data"]
    )
    cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id, cast.bob.public_id], "start_date": "2026-11-09"},
    )
    # Alice (Chicago) ran 5 km on day 1 (Nov 9 local).
    make_activity(cast.alice, datetime(2026, 11, 9, 18, tzinfo=UTC), distance=5000)
    data = cast.api(cast.cora).get("/api/v1/analytics/plans_overview").json()["data"]
    assert data["active_plans"] == 2
    by_group = {g["name"]: g for g in data["by_group"]}
    assert by_group["Sprinters"]["avg_compliance"] == 0.5
    assert by_group["No group"]["avg_compliance"] == 0.0
    assert by_group["Sprinters"]["avg_progress"] == 0.5  # week 2 of 4
    assert {a["display_name"] for a in data["athletes"]} == {"Alice Andersen", "Bob Brown"}


@pytest.mark.parametrize("path", ["group_overview", "group_comparison", "plans_overview"])
def test_group_dashboard_permissions(cast, path):
    url = f"/api/v1/analytics/{path}"
    assert cast.api(cast.cora).get(url).status_code == 200
    assert cast.api(cast.riverside_key).get(url).status_code == 200
    assert_error(cast.api(cast.alice).get(url), 403)
    assert_error(cast.api(cast.olga).get(url, {"org_id": cast.riverside.public_id}), 403)
    assert_error(cast.api(cast.hilltop_key).get(url, {"org_id": cast.riverside.public_id}), 403)
    assert_error(cast.api(None).get(url), 401)


def test_group_queries_do_not_grow_with_the_club(cast):
    """The same number of queries for 30 athletes as for 90 (one or two per distinct time
    zone among them, never one per athlete)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import add_member, make_user

    group = Group.objects.create(organization=cast.riverside, name="Big")
    api = cast.api(cast.cora)
    counts = []
    created = 0
    for size in (30, 90):
        for index in range(created, size):
            user = make_user(f"g{index}", timezone=["", "Europe/Berlin", "Asia/Tokyo"][index % 3])
            add_member(cast.riverside, user)
            group.members.add(user)
            # Everyone ran this week and last, so every athlete is in every figure.
            make_activity(user, datetime(2026, 11, 10, 7, tzinfo=UTC))
            make_activity(user, datetime(2026, 11, 17, 7, tzinfo=UTC))
        created = size
        for path in ("group_overview", "group_comparison", "plans_overview"):
            with CaptureQueriesContext(connection) as queries:
                response = api.get(
                    f"/api/v1/analytics/{path}",
                    {"week": "2026-11-17"} if path == "group_overview" else {},
                )
            assert response.status_code == 200
            counts.append((path, len(queries.captured_queries)))
    assert counts[:3] == [(path, n) for path, n in counts[3:]]


@time_machine.travel(NOW, tick=False)  # 09:00 in Chicago
def test_the_kept_plans_overview_changes_at_once_with_a_run(cast):
    """The Plans overview is kept between writes: a run logged on a planned day shows in
    its compliance at once, to the API and to the page."""
    from datetime import timedelta

    from athletes.models import Plan, PlanInstance, PlannedWorkout

    today = datetime.now(UTC).astimezone(cast.alice.tz).date()
    plan = Plan.objects.create(organization=cast.riverside, name="Block", total_weeks=2)
    # API.md: day 1 is Monday, so today's workout is on today's weekday.
    PlannedWorkout.objects.create(plan=plan, week=1, day=today.isoweekday(), distance=8000)
    PlanInstance.objects.create(plan=plan, user=cast.alice, start_date=today)
    api = cast.api(cast.cora)

    def alice_compliance():
        data = api.get("/api/v1/analytics/plans_overview").json()["data"]
        [row] = [r for r in data["athletes"] if r["user_id"] == cast.alice.public_id]
        return row["compliance"]

    # METRICS.md §7: today's workout is due once something was taken; before, nothing is.
    assert alice_compliance() is None
    assert alice_compliance() is None  # now kept
    started = datetime.now(UTC) - timedelta(minutes=30)
    response = cast.api(cast.alice).post(
        "/api/v1/activities",
        {"start_time": started.isoformat(), "distance": 8000, "duration": 2400},
    )
    assert response.status_code == 201
    assert alice_compliance() == 1.0


@time_machine.travel(NOW, tick=False)
def test_the_matrix_holds_the_twenty_who_ran_furthest_then_the_rest_by_name(cast):
    """API.md §4: `member_matrix` is the top 20 members by distance. With 24 who ran, the
    four shortest are left out and equal distances are in name order; in a group where
    only two ran, the others fill the places by name with nothing run."""
    from tests.factories import add_member, make_user

    big = Group.objects.create(organization=cast.riverside, name="Big")
    small = Group.objects.create(organization=cast.riverside, name="Small")
    runners = []
    for index in range(24):
        user = make_user(f"m{index:02d}", display_name=f"Runner {index:02d}")
        add_member(cast.riverside, user)
        big.members.add(user)
        # 1 km for 00, 2 km for 01 … except 10 and 11, who both ran 30 km.
        distance = 30_000 if index in (10, 11) else 1000 * (index + 1)
        make_activity(user, datetime(2026, 11, 17, 7, tzinfo=UTC), distance=distance)
        runners.append((distance, f"Runner {index:02d}"))
    small.members.add(cast.alice, cast.bob, *User.objects.filter(username__in=["m00", "m05"]))
    api = cast.api(cast.cora)

    matrix = api.get(
        "/api/v1/analytics/group_overview", {"week": "2026-11-18", "group_id": big.public_id}
    ).json()["data"]["member_matrix"]
    expected = sorted(runners, key=lambda r: (-r[0], r[1]))[:20]
    assert [(m["total_distance"], m["display_name"]) for m in matrix] == expected
    assert matrix[0]["display_name"] == "Runner 10"  # before Runner 11, at the same 30 km
    assert "Runner 03" not in {m["display_name"] for m in matrix}  # 4 km: 21st place

    matrix = api.get(
        "/api/v1/analytics/group_overview", {"week": "2026-11-18", "group_id": small.public_id}
    ).json()["data"]["member_matrix"]
    assert [(m["display_name"], m["total_distance"]) for m in matrix] == [
        ("Runner 05", 6000.0),
        ("Runner 00", 1000.0),
        ("Alice Andersen", 0.0),
        ("Bob Brown", 0.0),
    ]
    assert matrix[0]["days"][1] == {"date": "2026-11-17", "distance": 6000.0, "runs": 1}


@time_machine.travel(NOW, tick=False)
def test_the_overview_names_who_needs_attention_most_warnings_first(cast, groups):
    """The insight names the athletes whose snapshot raised warnings, most first, by their
    display name or else their username; a group's names only its own."""
    from analytics.models import AthleteSnapshot
    from analytics.snapshots import snapshots_refresh

    cast.bob.display_name = ""
    cast.bob.save(update_fields=["display_name"])
    snapshots_refresh([cast.alice.pk, cast.bob.pk], force=True)
    AthleteSnapshot.objects.filter(user=cast.alice).update(attention_warnings=1)
    AthleteSnapshot.objects.filter(user=cast.bob).update(attention_warnings=2)
    api = cast.api(cast.cora)
    club = api.get("/api/v1/analytics/group_overview").json()["data"]["insight"]
    assert "Needs attention: bob, Alice Andersen." in club
    sprinters = {"group_id": groups["sprinters"].public_id}  # Alice alone
    group = api.get("/api/v1/analytics/group_overview", sprinters).json()["data"]["insight"]
    assert "Needs attention: Alice Andersen." in group


def resting_ways(group: Group, week: str, size: int) -> list[bool]:
    """Which of the resting athletes' statement's two ways ran for the group's week: [walk
    every athlete by name, read the group's members]."""
    from django.db import connection

    from analytics.groups import RESTING_SQL

    params = {"kind": "group", "ref": group.pk, "a0": week, "size": size}
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + RESTING_SQL, params)
        [plan] = cursor.fetchone()[0]

    def ran(node: dict) -> bool:  # below the way's one-time filter, anything run at all
        if "One-Time Filter" in node:
            return any(
                child["Actual Loops"] > 0
                for child in node["Plans"]
                if child["Parent Relationship"] == "Outer"
            )
        return any(ran(child) for child in node.get("Plans", []))

    ways = [n for n in plan["Plan"]["Plans"] if n["Parent Relationship"] == "Member"]
    return [ran(way) for way in ways]


@time_machine.travel("2026-11-16 08:00:00Z", tick=False)  # Monday morning
def test_on_monday_morning_the_matrix_fills_by_name_in_a_big_group_and_a_small_one(cast):
    """API.md §4: while fewer than 20 ran, the matrix's other places go to the group's
    athletes by name, bytewise ("Zoe" before "adam"; a blank display name is its username).
    A big group reads them by walking every athlete by name, a small one sorts its own
    members (issue 36): both give the same names, and the big one never reads all its
    members."""
    from django.db import connection

    from tests.factories import add_member, make_user

    big = Group.objects.create(organization=cast.riverside, name="Big")
    small = Group.objects.create(organization=cast.riverside, name="Small")
    names = []
    for index in range(36):
        name = ["Zoe", "adam", "Émile", ""][index % 4] + (f" {index:02d}" if index % 4 != 3 else "")
        user = make_user(f"w{index:02d}", display_name=name)
        add_member(cast.riverside, user)
        big.members.add(user)
        if index < 6:
            small.members.add(user)
        names.append(name or f"w{index:02d}")
    early = User.objects.get(username="w01")  # "adam 01" ran before breakfast
    make_activity(early, datetime(2026, 11, 16, 6, tzinfo=UTC), distance=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE athletes_user")  # the service's size, as PostgreSQL sees it
    api = cast.api(cast.cora)

    for group, members in ((big, names), (small, names[:6])):
        matrix = api.get(
            "/api/v1/analytics/group_overview", {"week": "2026-11-16", "group_id": group.public_id}
        ).json()["data"]["member_matrix"]
        resting = sorted((n for n in members if n != "adam 01"), key=lambda n: n.encode())
        assert [m["display_name"] for m in matrix] == ["adam 01", *resting[:19]]
        assert matrix[0]["total_distance"] == 5000.0
        assert {m["total_distance"] for m in matrix[1:]} == {0.0}
    # 36 athletes of about 40, against 6: the big group walks the names (stopping at its
    # 19th) without reading its members; the small one reads its 6 members.
    assert resting_ways(big, "2026-11-16", 19) == [True, False]
    assert resting_ways(small, "2026-11-16", 19) == [False, True]


@time_machine.travel(NOW, tick=False)
def test_group_comparison_reads_only_its_own_clubs_days(cast, groups):
    """Issue 36: the comparison read every club of the service's days for the period (130 ms
    beside 2,000 clubs of 20), not its organization's. Beside 2,000 other clubs' kept days
    (as PostgreSQL's statistics see them), it reads its own clubs' days only: Riverside's
    groups and its athletes in no group."""
    from django.db import connection

    from analytics.groups import COMPARISON_SQL

    hill_group = Group.objects.create(organization=cast.hilltop, name="Hill repeats")
    hill_group.members.add(cast.dave)
    for day in range(5, 19):  # a run a day for everyone of both clubs
        for athlete in (cast.alice, cast.bob, cast.dave):
            make_activity(athlete, datetime(2026, 11, day, 7, tzinfo=UTC), distance=1000)
    with connection.cursor() as cursor:
        # 2,000 more clubs of other services, a week of days each.
        cursor.execute(
            "INSERT INTO analytics_club (kind, ref, athletes)"
            " SELECT 'group', 1000000 + n, 20 FROM generate_series(1, 2000) n"
        )
        cursor.execute(
            "INSERT INTO analytics_clubday (club_id, day, distance, runs, active)"
            " SELECT c.id, day, 5000, 1, ARRAY[1]"
            " FROM analytics_club c, generate_series('2026-11-12'::date, '2026-11-18', '1 day') day"
            " WHERE c.ref > 1000000"
        )
        cursor.execute("ANALYZE analytics_club, analytics_clubday")
        cursor.execute(
            "SELECT count(*) FILTER (WHERE c.kind = 'group' AND c.ref = ANY(%s)"
            "                         OR c.kind = 'none' AND c.ref = %s), count(*)"
            " FROM analytics_clubday d JOIN analytics_club c ON c.id = d.club_id"
            " WHERE d.day BETWEEN '2026-11-12' AND '2026-11-18'",
            [[g.pk for g in groups.values()], cast.riverside.pk],
        )
        own, everyone = cursor.fetchone()
        cursor.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + COMPARISON_SQL,
            {"first": "2026-11-12", "last": "2026-11-18", "org": cast.riverside.pk},
        )
        [plan] = cursor.fetchone()[0]
    assert own > 0 and everyone > own  # Hilltop's days are there to be read
    assert rows_read(plan["Plan"], "analytics_clubday") == own
    # And the answer is still Riverside's: 7 days of Alice in Sprinters, Bob in no group.
    week = cast.api(cast.cora).get("/api/v1/analytics/group_comparison", {"period": "7"})
    by_name = {g["name"]: g["total_distance"] for g in week.json()["data"]["groups"]}
    assert by_name == {"Sprinters": 7000, "Empty": 0}
    assert week.json()["data"]["unassigned"]["total_distance"] == 7000


@time_machine.travel(NOW, tick=False)
def test_group_stats_reads_its_members_months_only(cast, groups):
    """Issue 36: a group's stats read every athlete of the service's month totals and kept
    its members' after (22-36 ms for a club of 20 beside 2,000 clubs). Beside 2,000 other
    athletes' months, Sprinters' stats read Alice's months and give her distance."""
    from django.db import connection

    from analytics.groups import GROUP_ATHLETES_SQL, GROUP_STATS_SQL, _totals_cte

    make_activity(cast.alice, datetime(2026, 11, 17, 7, tzinfo=UTC), distance=10000)
    User.objects.bulk_create(
        User(username=f"other{n}", email=f"other{n}@example.com") for n in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_monthtotals (user_id, month, distance, runs)"
            " SELECT u.id, m, array_fill(1000.0::float8, ARRAY[31]), array_fill(1, ARRAY[31])"
            " FROM athletes_user u, (VALUES ('2026-10-01'::date), ('2026-11-01')) v(m)"
            " WHERE u.username LIKE 'other%%'"
        )
        cursor.execute("ANALYZE athletes_user, analytics_monthtotals")
        sql, params = _totals_cte(
            GROUP_ATHLETES_SQL,
            [groups["sprinters"].pk, cast.riverside.pk],
            [(date(2026, 10, 20), date(2026, 11, 18))],
        )
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql + GROUP_STATS_SQL, params)
        [plan] = cursor.fetchone()[0]
    assert rows_read(plan["Plan"], "analytics_monthtotals") <= 2  # Alice's two months
    data = (
        cast.api(cast.cora)
        .get(
            "/api/v1/analytics/group_stats",
            {"group_id": groups["sprinters"].public_id, "period": "30"},
        )
        .json()["data"]
    )
    assert [(m["display_name"], m["total_distance"]) for m in data["members"]] == [
        ("Alice Andersen", 10000)
    ]


@time_machine.travel(NOW, tick=False)
def test_a_small_clubs_week_reads_its_own_members_weeks_in_its_generic_plan(cast, groups):
    """Issue 36: beside 2,000 clubs of 20, PostgreSQL planned a small club's week again on
    every call (0.4-0.6 ms a statement, 1.3-1.4x the club alone), and the generic plan it
    would otherwise reuse walked the whole service's week by distance (50 ms). The overview
    runs generic plans, and that plan reads the club's own members' weeks, whatever the
    statistics say of the others'."""
    import re

    from django.db import connection

    from analytics.groups import OVERVIEW_SQL, group_overview

    make_activity(cast.alice, datetime(2026, 11, 17, 7, tzinfo=UTC), distance=10000)
    User.objects.bulk_create(
        User(username=f"other{n}", email=f"other{n}@example.com") for n in range(2000)
    )
    params = {
        "kind": "org",
        "ref": cast.riverside.pk,
        "a0": date(2026, 11, 16),
        "b0": date(2026, 11, 22),
        "a1": date(2026, 11, 9),
        "b1": date(2026, 11, 11),
        "size": 20,
    }
    names = list(params)
    prepared = re.sub(r"%\((\w+)\)s", lambda m: f"${names.index(m.group(1)) + 1}", OVERVIEW_SQL)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO analytics_athleteweek (user_id, week, distance, runs)"
            " SELECT u.id, '2026-11-16', 5000 + u.id, 1 FROM athletes_user u"
            " WHERE u.username LIKE 'other%%'"
        )
        # In 100 clubs of 20 of other services.
        cursor.execute(
            "INSERT INTO analytics_club (kind, ref, athletes)"
            " SELECT 'org', 1000000 + n, 20 FROM generate_series(1, 100) n"
        )
        cursor.execute(
            "INSERT INTO analytics_clubmember (user_id, club_id)"
            " SELECT u.id, c.id FROM athletes_user u"
            " JOIN analytics_club c ON c.kind = 'org' AND c.ref = 1000001 + u.id % 100"
            " WHERE u.username LIKE 'other%%'"
        )
        cursor.execute(
            "ANALYZE athletes_user, analytics_athleteweek, analytics_club, analytics_clubmember"
        )
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE week (text, bigint, date, date, date, date, int) AS {prepared}")
        values = ", ".join(f"'{value}'" for value in params.values())  # ids, dates, a word
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE week ({values})")
        [plan] = cursor.fetchone()[0]
        cursor.execute("DEALLOCATE week")
        cursor.execute("RESET plan_cache_mode")
    assert rows_read(plan["Plan"], "analytics_athleteweek") <= 2  # Alice's and Bob's
    # And the overview runs that plan: planned once, not on every call.
    for _ in range(8):
        group_overview(
            cast.riverside,
            week_start=date(2026, 11, 16),
            group=None,
            units="metric",
            today=date(2026, 11, 18),
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%%runners AS%%'"
        )
        [(generic, custom)] = cursor.fetchall()
    assert generic > 0 and custom == 0
    week = cast.api(cast.cora).get("/api/v1/analytics/group_overview").json()["data"]
    first = week["member_matrix"][0]
    assert (first["display_name"], first["total_distance"]) == ("Alice Andersen", 10000)
