"""API.md §3 goals, plans, assignment and plan instances."""

from datetime import date, timedelta

import pytest
import time_machine

from athletes.models import Goal, Plan, PlanInstance
from tests.conftest import assert_error
from tests.factories import make_activity

pytestmark = pytest.mark.django_db


def test_goal_lifecycle(cast):
    api = cast.api(cast.alice)
    created = api.post(
        "/api/v1/goals",
        {
            "race_name": "Chicago Marathon",
            "race_date": "2027-10-10",
            "distance": 42195,
            "goal_time": "3:05:00",
        },
    )
    assert created.status_code == 201
    goal = created.json()["data"]
    assert goal["goal_id"].startswith("gol_")
    assert goal["goal_time"] == "3:05:00"
    path = f"/api/v1/goals/{goal['goal_id']}"
    assert api.patch(path, {"goal_time": "2:59:59"}).json()["data"]["goal_time"] == "2:59:59"
    assert api.get("/api/v1/goals").json()["data"]["metadata"]["total"] == 1
    assert cast.api(cast.cora).get(path).status_code == 200
    assert_error(cast.api(cast.olga).get(path), 403)
    assert api.delete(path).status_code == 200
    assert not Goal.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"goal_time": "3h05"}, "goal_time"),
        ({"goal_time": "3:75:00"}, "goal_time"),
        ({"distance": 0}, "distance"),
        ({"race_date": "soon"}, "race_date"),
        ({"race_name": ""}, "race_name"),
    ],
)
def test_bad_goal_names_the_field(cast, change, field):
    body = {"race_name": "10K", "race_date": "2027-01-01", "distance": 10000, **change}
    assert_error(cast.api(cast.alice).post("/api/v1/goals", body), 400, field=field)
    assert not Goal.objects.exists()


def make_plan(cast, workouts=None):
    return cast.api(cast.cora).post(
        "/api/v1/plans",
        {
            "name": "Base Block",
            "org_id": cast.riverside.public_id,
            "total_weeks": 4,
            "workouts": workouts
            or [
                {"week": 1, "day": 1, "type": "easy", "distance": 8000},
                {"week": 1, "day": 3, "type": "tempo", "distance": 10000},
                {"week": 2, "day": 1, "type": "easy", "distance": 8000},
            ],
        },
    )


def test_only_coaches_of_the_org_create_plans(cast):
    assert make_plan(cast).status_code == 201
    body = {"name": "X", "org_id": cast.riverside.public_id, "total_weeks": 2}
    assert_error(cast.api(cast.alice).post("/api/v1/plans", body), 403)
    assert_error(cast.api(cast.olga).post("/api/v1/plans", body), 403)
    assert_error(
        cast.api(cast.cora).post("/api/v1/plans", {**body, "total_weeks": 0}),
        400,
        field="total_weeks",
    )
    assert_error(
        cast.api(cast.cora).post("/api/v1/plans", {**body, "workouts": [{"week": 3, "day": 1}]}),
        400,
        field="workouts[0].week",
    )
    assert Plan.objects.count() == 1


@time_machine.travel("2026-11-12 18:00:00Z", tick=False)
def test_assign_creates_instances_with_week_and_compliance(cast):
    plan = make_plan(cast).json()["data"]
    start = date(2026, 11, 2)  # a Monday
    response = cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id, cast.bob.public_id], "start_date": start.isoformat()},
    )
    assert response.status_code == 201
    # Bob (UTC) ran 8 km on day 1 and 5 km of the planned 10 km on day 3; day 8 (Nov 9) nothing.
    from datetime import UTC, datetime

    make_activity(cast.bob, datetime(2026, 11, 2, 7, tzinfo=UTC), distance=8000)
    make_activity(cast.bob, datetime(2026, 11, 4, 7, tzinfo=UTC), distance=5000)
    body = cast.api(cast.bob).get("/api/v1/plan_instances").json()["data"]
    [instance] = body["plan_instances"]
    # Today Nov 12 is day 11 of the plan: week 2.
    assert instance["current_week"] == 2
    assert instance["total_weeks"] == 4
    # (8000 + 5000 + 0) / (8000 + 10000 + 8000) = 0.5
    assert instance["compliance"] == 0.5
    patched = cast.api(cast.cora).patch(
        f"/api/v1/plan_instances/{instance['plan_instance_id']}", {"status": "completed"}
    )
    assert patched.json()["data"]["status"] == "completed"
    assert_error(
        cast.api(cast.cora).patch(
            f"/api/v1/plan_instances/{instance['plan_instance_id']}", {"status": "done"}
        ),
        400,
        field="status",
    )


@time_machine.travel("2026-11-01 12:00:00Z", tick=False)
def test_compliance_is_null_before_the_first_workout_and_week_is_clamped(cast):
    plan = make_plan(cast).json()["data"]
    cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {
            "user_ids": [cast.bob.public_id],
            "start_date": (date(2026, 11, 1) + timedelta(days=3)).isoformat(),
        },
    )
    [instance] = cast.api(cast.bob).get("/api/v1/plan_instances").json()["data"]["plan_instances"]
    assert instance["compliance"] is None
    assert instance["current_week"] == 1


def test_assign_refuses_athletes_outside_the_org(cast):
    plan = make_plan(cast).json()["data"]
    response = cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id, cast.dave.public_id], "start_date": "2026-11-02"},
    )
    assert_error(response, 404, field="user_ids[1]")
    assert not PlanInstance.objects.exists()
    assert_error(
        cast.api(cast.olga).post(
            f"/api/v1/plans/{plan['plan_id']}/assign",
            {"user_ids": [cast.dave.public_id], "start_date": "2026-11-02"},
        ),
        403,
    )


@pytest.mark.parametrize(
    ("now", "week"),
    [
        ("2026-11-02 15:00:00Z", 1),  # the start date (a Monday in Chicago)
        ("2026-11-09 15:00:00Z", 2),
        ("2027-01-01 15:00:00Z", 4),  # long after: clamped to total_weeks
        ("2026-10-01 15:00:00Z", 1),  # before the start: week 1
        ("2026-11-09 05:59:00Z", 1),  # still Sunday 8 November in Chicago
    ],
)
def test_the_plan_week_is_the_same_in_the_api_and_on_the_roster(cast, now, week):
    """API.md: `current_week` is 1-based, from the start date and today in the athlete's
    time zone, clamped to 1..total_weeks."""
    plan = Plan.objects.create(organization=cast.riverside, name="Base", total_weeks=4)
    PlanInstance.objects.create(plan=plan, user=cast.alice, start_date="2026-11-02")
    with time_machine.travel(now, tick=False):
        coach = cast.api(cast.cora)
        [instance] = coach.get("/api/v1/plan_instances", {"user_id": cast.alice.public_id}).json()[
            "data"
        ]["plan_instances"]
        roster = coach.get("/api/v1/analytics/coach_athletes_metrics").json()["data"]
        [alice] = [a for a in roster["athletes"] if a["user_id"] == cast.alice.public_id]
    assert instance["current_week"] == week
    assert alice["current_plans"][0]["current_week"] == week
