"""Issue 37, API.md §5 "What changed since": `GET /api/v1/changes` lists every change to the
data the caller may read, oldest first, from a log PostgreSQL's own triggers keep, so a write
by any path (the API, a page, the admin, raw SQL) is in it, and a deletion too."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from athletes.models import DataChange
from athletes.services.changes import data_changes_prune
from tests.conftest import assert_error, rows_read

pytestmark = pytest.mark.django_db


def walk(api, cursor: str | None = None) -> tuple[list[dict], str]:
    """Every change from `cursor` on, page after page."""
    seen: list[dict] = []
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = api.get("/api/v1/changes", params).json()["data"]
        seen += page["changes"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return seen, cursor


def test_the_feed_after_random_writes_is_the_sequence_of_writes(cast):
    rng = random.Random(37)
    api = cast.api(cast.alice)
    expected: list[tuple[str, str, str]] = []
    runs: list[str] = []
    goals: list[str] = []
    for step in range(150):  # more than a page of 100
        what = rng.random()
        if what < 0.4 or not runs:
            start = (timezone.now() - timedelta(days=1 + step, hours=rng.randint(0, 5))).isoformat()
            run = api.post(
                "/api/v1/activities",
                {"start_time": start, "distance": 5000 + step, "duration": 1500 + step},
            ).json()["data"]["activity_id"]
            runs.append(run)
            expected.append(("activity", run, "created"))
        elif what < 0.55:
            run = rng.choice(runs)
            api.patch(f"/api/v1/activities/{run}", {"name": f"Edit {step}"})
            expected.append(("activity", run, "updated"))
        elif what < 0.65:
            run = runs.pop(rng.randrange(len(runs)))
            assert api.delete(f"/api/v1/activities/{run}").status_code == 200
            expected.append(("activity", run, "deleted"))
        elif what < 0.8:
            day = (timezone.now().date() - timedelta(days=rng.randint(0, 3))).isoformat()
            existed = any(e[:2] == ("health_metric", day) for e in expected)
            api.post("/api/v1/health_metrics", {"date": day, "hrv": 40 + step})
            expected.append(("health_metric", day, "updated" if existed else "created"))
        elif what < 0.92 or not goals:
            goal = api.post(
                "/api/v1/goals",
                {"race_name": f"Race {step}", "race_date": "2027-05-01", "distance": 10000},
            ).json()["data"]["goal_id"]
            goals.append(goal)
            expected.append(("goal", goal, "created"))
        else:
            goal = goals.pop()
            api.delete(f"/api/v1/goals/{goal}")
            expected.append(("goal", goal, "deleted"))

    mine, cursor = walk(api)
    # Her joining the club (the test's set-up) came first.
    assert [(c["type"], c["id"], c["change"]) for c in mine] == [
        ("membership", cast.alice.public_id, "created"),
        *expected,
    ]
    assert {c["user_id"] for c in mine} == {cast.alice.public_id}

    # Her coach and her club's key read the same (and the club's memberships); another
    # club's coach nothing of hers.
    def hers(changes: list[dict]) -> list[str]:
        return [c["id"] for c in changes if c["type"] != "membership"]

    assert hers(walk(cast.api(cast.cora))[0]) == hers(mine)
    assert hers(walk(cast.api(cast.riverside_key))[0]) == hers(mine)
    assert not [c for c in walk(cast.api(cast.olga))[0] if c["user_id"] == cast.alice.public_id]

    # A write no API made (raw SQL, the admin) is in the feed too, after the last cursor.
    with connection.cursor() as sql:
        sql.execute(
            "UPDATE athletes_goal SET race_name = 'Renamed' WHERE public_id = %s", [goals[0]]
        )
    later, _ = walk(api, cursor)
    assert [(c["type"], c["id"], c["change"]) for c in later] == [("goal", goals[0], "updated")]


def test_a_cursor_older_than_the_kept_changes_is_410(cast):
    api = cast.api(cast.alice)
    api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-20T07:00:00Z", "distance": 5000, "duration": 1500},
    )
    _, early = walk(api)
    api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-21T07:00:00Z", "distance": 5000, "duration": 1500},
    )
    api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-22T07:00:00Z", "distance": 5000, "duration": 1500},
    )
    # 31 days pass: the first two changes are pruned, the cursor after the first is stale.
    DataChange.objects.filter(id__lt=DataChange.objects.latest("id").id).update(
        at=timezone.now() - timedelta(days=31)
    )
    assert data_changes_prune() >= 2
    assert_error(api.get("/api/v1/changes", {"cursor": early}), 410, "CURSOR_EXPIRED", "cursor")
    assert_error(api.get("/api/v1/changes", {"cursor": "not-ours"}), 400, None, "cursor")
    fresh, _ = walk(api)
    assert [c["change"] for c in fresh] == ["created"]


def test_a_member_leaving_is_a_change_the_club_sees(cast):
    from organizations.models import Membership

    Membership.objects.filter(user=cast.bob, organization=cast.riverside).delete()
    changes, _ = walk(cast.api(cast.cora))
    assert ("membership", cast.bob.public_id, "deleted") in [
        (c["type"], c["id"], c["change"]) for c in changes
    ]


def test_the_activity_list_takes_updated_since(cast):
    """API.md §5: activities carry `updated_at`; the list takes `updated_since`."""
    api = cast.api(cast.alice)
    first = api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-20T07:00:00Z", "distance": 5000, "duration": 1500},
    ).json()["data"]
    second = api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-21T07:00:00Z", "distance": 6000, "duration": 1800},
    ).json()["data"]
    assert first["updated_at"] <= second["updated_at"]
    edited = api.patch(f"/api/v1/activities/{first['activity_id']}", {"name": "Edited"})
    since = edited.json()["data"]["updated_at"]
    listed = api.get("/api/v1/activities", {"updated_since": since}).json()["data"]
    assert [a["activity_id"] for a in listed["activities"]] == [first["activity_id"]]
    everything = api.get("/api/v1/activities").json()["data"]["activities"]
    assert len(everything) == 2
    assert_error(
        api.get("/api/v1/activities", {"updated_since": "yesterday"}), 400, None, "updated_since"
    )


def test_goals_plans_and_plan_instances_take_updated_since(cast):
    """API.md §5: `updated_at` moves on every change, by any path (PostgreSQL sets it: a
    plan's moves when its workouts do), and the lists take `updated_since`."""
    athlete, coach = cast.api(cast.alice), cast.api(cast.cora)
    kept = athlete.post(
        "/api/v1/goals", {"race_name": "Kept", "race_date": "2027-04-01", "distance": 10000}
    ).json()["data"]
    edited = athlete.post(
        "/api/v1/goals", {"race_name": "Edited", "race_date": "2027-05-01", "distance": 5000}
    ).json()["data"]
    changed = athlete.patch(f"/api/v1/goals/{edited['goal_id']}", {"goal_time": "0:19:30"})
    since = changed.json()["data"]["updated_at"]
    assert since > kept["updated_at"]
    goals = athlete.get("/api/v1/goals", {"updated_since": since}).json()["data"]["goals"]
    assert [g["goal_id"] for g in goals] == [edited["goal_id"]]

    plan = coach.post(
        "/api/v1/plans",
        {
            "name": "Base",
            "org_id": cast.riverside.public_id,
            "total_weeks": 2,
            "workouts": [{"week": 1, "day": 2, "type": "easy", "distance": 8000}],
        },
    ).json()["data"]
    other = coach.post(
        "/api/v1/plans", {"name": "Other", "org_id": cast.riverside.public_id, "total_weeks": 1}
    ).json()["data"]
    # A workout changed through the calendar's page path moves its plan: by SQL here.
    with connection.cursor() as sql:
        sql.execute(
            "UPDATE athletes_plannedworkout SET distance = 9000 WHERE plan_id = "
            "(SELECT id FROM athletes_plan WHERE public_id = %s)",
            [plan["plan_id"]],
        )
    plans = coach.get("/api/v1/plans", {"updated_since": other["updated_at"]}).json()["data"]
    assert {p["plan_id"] for p in plans["plans"]} == {plan["plan_id"], other["plan_id"]}
    moved = next(p for p in plans["plans"] if p["plan_id"] == plan["plan_id"])
    assert moved["updated_at"] > other["updated_at"]

    coach.post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id], "start_date": "2026-11-16"},
    )
    instance = athlete.get("/api/v1/plan_instances").json()["data"]["plan_instances"][0]
    later = athlete.patch(
        f"/api/v1/plan_instances/{instance['plan_instance_id']}", {"status": "completed"}
    ).json()["data"]
    assert later["updated_at"] > instance["updated_at"]
    assert (
        athlete.get("/api/v1/plan_instances", {"updated_since": later["updated_at"]}).json()[
            "data"
        ]["plan_instances"][0]["status"]
        == "completed"
    )


def test_a_small_clubs_feed_reads_its_own_changes_beside_a_busy_service(cast):
    """Issue 36: a club's feed walked the whole log from its cursor, filtering, until it had
    its page: beside 2,000 clubs a small club's first page took 30-80 ms, and longer the
    longer the log. Behind 3,000 changes of other athletes, Riverside's feed is the same
    changes in the same order, and reads about its own rows, not the service's."""
    from tests.factories import make_activity

    for day in range(1, 4):
        make_activity(cast.alice, timezone.now() - timedelta(days=day))
        make_activity(cast.bob, timezone.now() - timedelta(days=day, hours=2))
        make_activity(cast.dave, timezone.now() - timedelta(days=day))  # Hilltop's
    with connection.cursor() as cursor:
        # Other athletes' changes of a service 200 times the size, after Riverside's.
        cursor.execute(
            "INSERT INTO athletes_datachange (kind, object_id, user_id, change)"
            " SELECT 'activity', 'act_' || n, 1000000 + n % 1000, 'created'"
            " FROM generate_series(1, 3000) n"
        )
        cursor.execute("ANALYZE athletes_user, athletes_datachange")
    expected = [
        (c.kind, c.object_id)
        for c in DataChange.objects.filter(
            user_id__in=[cast.alice.pk, cast.bob.pk], kind="activity"
        ).order_by("id")
    ]
    feed, _ = walk(cast.api(cast.riverside_key))
    assert [(c["type"], c["id"]) for c in feed if c["type"] == "activity"] == expected
    assert len(expected) == 6
    riverside = {cast.cora.public_id, cast.alice.public_id, cast.bob.public_id, None}
    assert {c["user_id"] for c in feed} <= riverside  # nothing of Hilltop's or the others'

    from organizations.changes import VISIBLE_SQL

    with connection.cursor() as cursor:
        params = {"orgs": [cast.riverside.pk], "user": None, "after": 0, "limit": 100}
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + VISIBLE_SQL, {**params, "kinds": None})
        [plan] = cursor.fetchone()[0]
    assert rows_read(plan["Plan"], "athletes_datachange") < 3 * len(feed) + 10
