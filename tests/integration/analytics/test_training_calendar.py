"""The training calendar (issue 16): `GET /api/v1/analytics/calendar` and
`/athletes/{id}/calendar`. Each day's planned workouts beside what was run, coloured by the
plans' compliance rule (API.md, Plans: a workout is done by what was run on its day or a day
either side, each kilometre once; 90 % of its distance is done), and a coach's changes to one
athlete's days."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from athletes.models import PlanInstance, PlannedWorkout
from athletes.services import activities as activity_services
from athletes.services import plans as plan_services
from tests.conftest import assert_error, signed_in

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")
URL = "/api/v1/analytics/calendar"
# Friday 20 November 2026, 18:00 in Chicago (Alice's time zone).
NOW = "2026-11-21 00:00:00Z"


def ran(user, day, km):
    when = datetime(day.year, day.month, day.day, 7, tzinfo=CHICAGO)
    return activity_services.activity_create(
        user=user, fields={"start_time": when, "distance": km * 1000, "duration": km * 330}
    )


@pytest.fixture
def plan_week(cast):
    """Week 1 from Monday 16 November: Mon 8 km easy, Tue 6 km easy, Wed 10 km tempo,
    Sat 16 km long, Sun rest; followed by Alice and Bob."""
    plan, _ = plan_services.plan_create(
        organization=cast.riverside,
        name="Base block",
        total_weeks=2,
        description="",
        created_by=cast.cora,
        workouts=[
            {"week": 1, "day": 1, "type": "easy", "distance": 8000},
            {"week": 1, "day": 2, "type": "easy", "distance": 6000},
            {"week": 1, "day": 3, "type": "tempo", "distance": 10000},
            {"week": 1, "day": 6, "type": "long", "distance": 16000},
            {"week": 1, "day": 7, "type": "rest"},
        ],
    )
    plan_services.plan_assign(
        plan=plan, athletes=[cast.alice, cast.bob], start_date=date(2026, 11, 16)
    )
    return plan


def days_of(body):
    return {d["date"]: d for d in body["days"]}


@time_machine.travel(NOW, tick=False)
def test_each_day_is_coloured_by_the_plans_rule(cast, plan_week):
    ran(cast.alice, date(2026, 11, 15), 5)  # Sunday before the plan: outside it
    ran(cast.alice, date(2026, 11, 16), 8)  # Monday's 8 km, done
    ran(cast.alice, date(2026, 11, 19), 5)  # Thursday: half of Wednesday's tempo
    body = cast.api(cast.cora).get(URL, {"user_id": cast.alice.public_id}).json()["data"]
    # November 2026 starts on a Sunday and ends on a Monday: Mon 26 Oct to Sun 6 Dec.
    assert (body["from"], body["to"]) == ("2026-10-26", "2026-12-06")
    assert len(body["days"]) == 42 and len(body["weeks"]) == 6
    days = days_of(body)
    assert days["2026-11-15"]["status"] == "unplanned"
    assert days["2026-11-16"]["status"] == "done"
    # Tuesday: Monday's kilometres went to Monday, nothing on Tue/Wed: missed.
    assert days["2026-11-17"]["status"] == "missed"
    # Wednesday: Thursday's 5 km (a day after) credit half of the 10 km.
    assert days["2026-11-18"]["status"] == "partial"
    assert days["2026-11-19"]["status"] is None  # its run went to Wednesday's workout
    assert days["2026-11-21"]["status"] == "planned"  # Saturday is tomorrow
    assert days["2026-11-22"]["status"] == "rest"
    assert [w["type"] for w in days["2026-11-18"]["planned"]] == ["tempo"]
    assert days["2026-11-16"]["activities"][0]["distance"] == 8000
    week = next(w for w in body["weeks"] if w["week_start"] == "2026-11-16")
    assert week["distance"] == 13000  # 8 + 5 km, Sunday 15th is the week before
    assert week["planned_distance"] == 40000  # 8 + 6 + 10 + 16


@time_machine.travel(NOW, tick=False)
def test_the_calendar_costs_the_same_queries_for_a_busy_month(
    cast, plan_week, django_assert_max_num_queries
):
    for day in range(1, 21):
        ran(cast.alice, date(2026, 11, day), 6)
    with django_assert_max_num_queries(12):
        body = cast.api(cast.alice).get(URL).json()["data"]
    assert sum(len(d["activities"]) for d in body["days"]) == 20


@time_machine.travel(NOW, tick=False)
def test_a_coach_moves_one_athletes_workout_and_nobody_elses(cast, plan_week):
    coach = signed_in(cast.cora)
    saturday = PlannedWorkout.objects.get(plan=plan_week, week=1, day=6)
    alice_plan = PlanInstance.objects.get(user=cast.alice)
    page = f"/athletes/{cast.alice.public_id}/calendar/workouts"
    response = coach.post(
        page,
        {
            "action": "move",
            "date": "2026-11-22",
            "workout_id": saturday.pk,
            "plan_instance_id": alice_plan.public_id,
        },
    )
    assert response.status_code == 302
    alice = days_of(cast.api(cast.cora).get(URL, {"user_id": cast.alice.public_id}).json()["data"])
    bob = days_of(cast.api(cast.cora).get(URL, {"user_id": cast.bob.public_id}).json()["data"])
    assert sorted(w["type"] for w in alice["2026-11-22"]["planned"]) == ["long", "rest"]
    assert alice["2026-11-21"]["planned"] == []
    assert [w["type"] for w in bob["2026-11-21"]["planned"]] == ["long"]  # Bob's plan kept
    alice_plan.refresh_from_db()
    assert alice_plan.plan_id != plan_week.pk and "Alice" in alice_plan.plan.name


@time_machine.travel(NOW, tick=False)
def test_a_coach_adds_a_workout_on_a_day_no_plan_covers_and_removes_one(cast, plan_week):
    coach = signed_in(cast.cora)
    page = f"/athletes/{cast.alice.public_id}/calendar/workouts"
    coach.post(page, {"action": "add", "date": "2026-12-03", "type": "intervals", "distance": "9"})
    days = days_of(cast.api(cast.alice).get(URL).json()["data"])
    assert days["2026-12-03"]["planned"][0]["type"] == "intervals"
    assert days["2026-12-03"]["planned"][0]["distance"] == 9000
    tuesday = days["2026-11-17"]["planned"][0]
    coach.post(
        page,
        {
            "action": "delete",
            "date": "2026-11-17",
            "workout_id": tuesday["workout_id"],
            "plan_instance_id": tuesday["plan_instance_id"],
        },
    )
    days = days_of(cast.api(cast.alice).get(URL).json()["data"])
    assert days["2026-11-17"]["planned"] == []
    assert days_of(cast.api(cast.bob).get(URL).json()["data"])["2026-11-17"]["planned"]


@time_machine.travel(NOW, tick=False)
def test_only_the_athletes_coaches_change_their_days(cast, plan_week):
    page = f"/athletes/{cast.alice.public_id}/calendar/workouts"
    body = {"action": "add", "date": "2026-11-25", "type": "easy", "distance": "5"}
    assert signed_in(cast.alice).post(page, body).status_code == 403
    assert signed_in(cast.olga).post(page, body).status_code == 403
    assert signed_in(cast.olga).get(f"/athletes/{cast.alice.public_id}/calendar").status_code == 403
    assert_error(
        cast.api(cast.olga).get(URL, {"user_id": cast.alice.public_id}), 403, "PERMISSION_DENIED"
    )
    assert not PlannedWorkout.objects.filter(plan__instances__user=cast.alice, week=2).exists()


@time_machine.travel(NOW, tick=False)
def test_a_reversed_range_names_the_field(cast):
    assert_error(cast.api(cast.alice).get(URL, {"from": "2026-11-30", "to": "2026-11-01"}), 400,
                 field="to")  # fmt: skip


@time_machine.travel(NOW, tick=False)
def test_the_page_shows_the_month_with_links_to_each_run(cast, plan_week):
    run = ran(cast.alice, date(2026, 11, 16), 8)
    html = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}/calendar").content.decode()
    assert "November 2026" in html
    assert f'href="/activities/{run.public_id}"' in html
    assert 'data-date="2026-11-16" data-status="done"' in html
    assert 'data-date="2026-11-17" data-status="missed"' in html
    assert "of 40.0 km planned" in html
    assert "Plan a workout" in html
    # The athlete sees their own calendar without the coach's controls.
    own = signed_in(cast.alice).get(f"/athletes/{cast.alice.public_id}/calendar").content.decode()
    assert "Plan a workout" not in own and "November 2026" in own
