"""Plans from the browser: build the weeks, copy, assign to a group from a start date; and an
athlete's goal race. Distances are typed in the coach's units."""

import re

import pytest

from athletes.models import Goal, Plan, PlanInstance
from organizations.models import Group
from tests.conftest import signed_in
from tests.factories import add_member, make_user

pytestmark = pytest.mark.django_db


def test_a_coach_builds_copies_and_assigns_a_plan_to_a_group(cast):
    squad = Group.objects.create(organization=cast.riverside, name="Squad")
    squad.members.add(cast.alice, cast.bob)
    page = signed_in(cast.cora)
    created = page.post("/club/plans", {"name": "Base block", "total_weeks": "4"})
    plan = Plan.objects.get(name="Base block")
    assert created["Location"] == f"/club/plans/{plan.public_id}"
    page.post(
        f"/club/plans/{plan.public_id}",
        {
            "action": "save",
            "w1d2_type": "easy",
            "w1d2_distance": "8",
            "w1d2_note": "conversational",
            "w1d7_type": "long",
            "w1d7_distance": "16.5",
            "w2d4_type": "tempo",
            "w2d4_duration": "45:00",
        },
    )
    workouts = {(w.week, w.day): w for w in plan.workouts.all()}
    assert set(workouts) == {(1, 2), (1, 7), (2, 4)}
    assert workouts[(1, 2)].distance == 8000 and workouts[(1, 2)].note == "conversational"
    assert workouts[(1, 7)].distance == 16500
    assert workouts[(2, 4)].duration == 2700 and workouts[(2, 4)].distance is None
    page.post(f"/club/plans/{plan.public_id}", {"action": "copy", "name": "Base block B"})
    assert Plan.objects.get(name="Base block B").workouts.count() == 3
    page.post(
        f"/club/plans/{plan.public_id}",
        {"action": "assign", "start_date": "2026-11-30", "group_id": squad.public_id},
    )
    assigned = PlanInstance.objects.filter(plan=plan)
    assert {i.user for i in assigned} == {cast.alice, cast.bob}
    assert {str(i.start_date) for i in assigned} == {"2026-11-30"}
    # The list: weeks, workouts and athletes of each plan (the copy has no athletes yet).
    listed = page.get("/club/plans").content.decode()
    rows = re.findall(
        r'<th scope="row"><a href="[^"]+">([^<]+)</a></th><td class="num">(\d+)</td>'
        r'<td class="num">(\d+)</td><td class="num">(\d+)</td>',
        listed,
    )
    assert rows == [("Base block", "4", "3", "2"), ("Base block B", "4", "3", "0")]


def test_an_imperial_coach_types_miles(cast):
    coach = make_user("miles", unit_system="imperial")
    add_member(cast.riverside, coach, "coach")
    plan = Plan.objects.create(organization=cast.riverside, name="Miles", total_weeks=1)
    signed_in(coach).post(
        f"/club/plans/{plan.public_id}",
        {"action": "save", "w1d1_type": "easy", "w1d1_distance": "5"},
    )
    assert plan.workouts.get().distance == round(5 * 1609.344, 1)


def test_a_bad_cell_names_its_day_and_keeps_the_plan(cast):
    plan = Plan.objects.create(organization=cast.riverside, name="P", total_weeks=1)
    plan.workouts.create(week=1, day=1, type="easy", distance=5000)
    response = signed_in(cast.cora).post(
        f"/club/plans/{plan.public_id}",
        {"action": "save", "w1d3_type": "easy", "w1d3_distance": "lots"},
        follow=True,
    )
    assert "Week 1, Wed" in response.content.decode()
    assert plan.workouts.get().distance == 5000


def test_other_clubs_and_athletes_cannot_open_a_plan(cast):
    plan = Plan.objects.create(organization=cast.riverside, name="P", total_weeks=1)
    assert signed_in(cast.olga).get(f"/club/plans/{plan.public_id}").status_code == 403
    assert signed_in(cast.alice).get(f"/club/plans/{plan.public_id}").status_code == 403
    assert signed_in(cast.alice).get("/club/plans").status_code == 403


def test_a_coach_sets_an_athlete_s_goal_race(cast):
    page = signed_in(cast.cora)
    page.post(
        f"/athletes/{cast.alice.public_id}/goal",
        {
            "race_name": "City Marathon",
            "race_date": "2027-04-18",
            "distance": "marathon",
            "goal_time": "3:29:59",
        },
    )
    goal = Goal.objects.get(user=cast.alice)
    assert (goal.distance, goal.goal_time) == (42195, 3 * 3600 + 29 * 60 + 59)
    bad = page.post(
        f"/athletes/{cast.alice.public_id}/goal",
        {"race_name": "X", "race_date": "2027-04-18", "distance": "marathon", "goal_time": "soon"},
        follow=True,
    )
    assert "goal time" in bad.content.decode()
    assert Goal.objects.filter(user=cast.alice).count() == 1
    assert (
        signed_in(cast.olga)
        .post(f"/athletes/{cast.alice.public_id}/goal", {"race_name": "Y"})
        .status_code
        == 403
    )


def test_the_api_the_plan_editor_and_the_calendar_keep_one_workout_rule(cast):
    """API.md "Goals and plans": a workout's distance is at most 200 km and its type one of
    the listed ones, whichever door it comes through (one validator, issue 34)."""
    from tests.conftest import Api, bearer

    api = Api(bearer(cast.cora))
    body = {"name": "Limits", "org_id": cast.riverside.public_id, "total_weeks": 1}
    too_far = api.post(
        "/api/v1/plans", {**body, "workouts": [{"week": 1, "day": 1, "distance": 200_001}]}
    )
    assert too_far.status_code == 400
    assert too_far.json()["details"]["field"] == "workouts[0].distance"
    odd = api.post("/api/v1/plans", {**body, "workouts": [{"week": 1, "day": 1, "type": "jog"}]})
    assert odd.status_code == 400 and odd.json()["details"]["field"] == "workouts[0].type"
    assert (
        api.post(
            "/api/v1/plans", {**body, "workouts": [{"week": 1, "day": 1, "distance": 200_000}]}
        ).status_code
        == 201
    )

    page = signed_in(cast.cora)
    page.post("/club/plans", {"name": "Grid", "total_weeks": "1"})
    plan = Plan.objects.get(name="Grid")
    refused = page.post(
        f"/club/plans/{plan.public_id}",
        {
            "action": "save",
            "w1d1_type": "easy",
            "w1d1_distance": "200.1",
            "w1d3_type": "long",
            "w1d3_distance": "20",
        },
        follow=True,
    )
    assert "Week 1, Mon: Distance in km, up to 200." in refused.content.decode()
    assert plan.workouts.count() == 0
    page.post(
        f"/club/plans/{plan.public_id}",
        {"action": "save", "w1d1_type": "easy", "w1d1_distance": "200"},
    )
    assert plan.workouts.get().distance == 200_000

    calendar = f"/athletes/{cast.alice.public_id}/calendar/workouts"
    for typed in ({"type": "easy", "distance": "200.1"}, {"type": "jog", "distance": "5"}):
        page.post(calendar, {"action": "add", "date": "2026-12-09", **typed})
    assert not PlanInstance.objects.filter(user=cast.alice).exists()
    page.post(calendar, {"action": "add", "date": "2026-12-09", "type": "easy", "distance": "200"})
    assert PlanInstance.objects.get(user=cast.alice).plan.workouts.get().distance == 200_000


def test_the_goal_race_shows_its_race_day_form_from_the_plan_ahead(cast):
    """METRICS.md §7 "Fitness ahead": with no runs yet, CTL and ATL are 0 today; tomorrow's
    10 km easy run (planned load L) leaves the race, the day after, to start at
    TSB = L/42 − L/7."""
    import math
    from datetime import UTC, datetime, timedelta

    import time_machine

    from astral.localtime import local_today
    from athletes.models import PlannedWorkout

    alice = cast.alice
    alice.pace_zones = [300, 270, 250, 230]
    alice.save(update_fields=["pace_zones"])
    with time_machine.travel(datetime(2026, 12, 7, 15, tzinfo=UTC), tick=False):  # Mon, Chicago
        today = local_today(alice.tz)
        plan = Plan.objects.create(organization=cast.riverside, name="B", total_weeks=1)
        PlannedWorkout.objects.create(plan=plan, week=1, day=2, type="easy", distance=10_000)
        PlanInstance.objects.create(plan=plan, user=alice, start_date=today)
        Goal.objects.create(
            user=alice, race_name="Parkrun", race_date=today + timedelta(days=2), distance=5000
        )
        page = signed_in(alice).get(f"/athletes/{alice.public_id}").content.decode()
    # Easy pace 300 + 30 s/km: 55 min, 181.8 m/min; intensity from VDOT 40 (§3).
    v = 10_000 / 55
    x = (-4.60 + 0.182258 * v + 0.000104 * v * v - 3.5) / (40 - 3.5)
    load = round(55 * x * 0.64 * math.exp(1.92 * x), 1)
    tsb = load / 42 - load / 7
    assert f"Race-day form (TSB) {tsb:.1f}" in page
