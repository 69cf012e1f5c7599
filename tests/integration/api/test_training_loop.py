"""The training loop through the API: structured workouts (API.md "Goals and plans"), plans on
weekdays, the calendar's planned quantities, load and statuses (METRICS.md §7), the FIT
workout file decoded with Garmin's own decoder, and the iCalendar feed."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from garmin_fit_sdk import Decoder, Stream
from icalendar import Calendar

from athletes.models import Plan, PlannedWorkout

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Chicago
WED = date(2026, 12, 9)
INTERVALS = [
    {"kind": "warmup", "duration": 600},
    {
        "repeat": 5,
        "steps": [
            {"kind": "work", "distance": 1000, "target": {"pace_zone": 4}},
            {"kind": "recovery", "duration": 120, "target": {"hr": [120, 140]}},
        ],
    },
    {"kind": "cooldown"},
]


def make_plan(cast, workouts, weeks=2):
    response = cast.api(cast.cora).post(
        "/api/v1/plans",
        {"name": "Block", "org_id": cast.riverside.public_id, "total_weeks": weeks,
         "workouts": workouts},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def test_a_bad_step_is_named_and_nothing_is_stored(cast):
    bad = [*INTERVALS[:1], {"kind": "work", "distance": 1000, "target": {"pace": [300, 250]}}]
    before = Plan.objects.count()
    response = cast.api(cast.cora).post(
        "/api/v1/plans",
        {"name": "Block", "org_id": cast.riverside.public_id, "total_weeks": 1,
         "workouts": [{"week": 1, "day": 1, "type": "easy", "distance": 5000},
                      {"week": 1, "day": 3, "type": "intervals", "steps": bad}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "workouts[1].steps[1].target.pace"
    assert Plan.objects.count() == before  # not even the good workout
    too_many = [{"repeat": 26, "steps": [{"kind": "work"}, {"kind": "recovery"}]}]
    response = cast.api(cast.cora).post(
        "/api/v1/plans",
        {"name": "Block", "org_id": cast.riverside.public_id, "total_weeks": 1,
         "workouts": [{"week": 1, "day": 3, "type": "intervals", "steps": too_many}]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["details"]["field"] == "workouts[0].steps"


def test_on_the_plan_a_structured_workout_is_the_sum_of_its_steps(cast):
    make_plan(cast, [{"week": 1, "day": 3, "type": "intervals", "steps": INTERVALS}])
    stored = PlannedWorkout.objects.get()
    # "the sums of its steps' own distances and durations (repeats multiplied)"
    assert stored.distance == 5 * 1000
    assert stored.duration == 600 + 5 * 120
    assert stored.steps[1]["repeat"] == 5


@time_machine.travel(NOW, tick=False)
def test_assigned_from_a_wednesday_the_calendar_has_wednesday_on_wednesday(cast):
    cast.alice.pace_zones = [300, 270, 250, 230]
    cast.alice.save(update_fields=["pace_zones"])
    plan = make_plan(
        cast,
        [
            {"week": 1, "day": 1, "type": "easy", "distance": 8000},  # Monday: before the start
            {"week": 1, "day": 2, "type": "easy", "distance": 8000},  # Tuesday: before it too
            {"week": 1, "day": 3, "type": "intervals", "steps": INTERVALS},
            {"week": 2, "day": 1, "type": "easy", "duration": 3600},
        ],
    )
    assigned = cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id], "start_date": "2026-12-09"},
        format="json",
    )
    assert assigned.status_code == 201
    api = cast.api(cast.alice)
    calendar = api.get("/api/v1/analytics/calendar", {"from": "2026-12-07", "to": "2026-12-20"})
    days = {d["date"]: d for d in calendar.json()["data"]["days"]}
    assert days["2026-12-07"]["planned"] == [] and days["2026-12-08"]["planned"] == []
    [wednesday] = days["2026-12-09"]["planned"]
    assert wednesday["type"] == "intervals" and wednesday["status"] == "planned"
    # METRICS.md §7 in Alice's zones: warm-up 600 s and recoveries at easy pace (300 + 30
    # s/km), the work at Z4's middle pace (between 250 and 230: 240 s/km).
    assert wednesday["distance"] == round(600 / 330 * 1000 + 5 * (1000 + 120 / 330 * 1000), 1)
    assert wednesday["duration"] == (600 + 5 * (240 + 120))
    assert wednesday["planned_load"] > 0
    [monday] = days["2026-12-14"]["planned"]
    assert monday["duration"] == 3600 and monday["distance"] == round(3600 / 330 * 1000, 1)
    week = calendar.json()["data"]["weeks"][0]
    assert week["planned_load"] == wednesday["planned_load"]
    instance = api.get("/api/v1/plan_instances").json()["data"]["plan_instances"][0]
    assert instance["current_week"] == 1 and instance["compliance"] is None

    # A run the day after (Thursday, nothing planned on it) is taken by Wednesday's workout:
    # the key quantity is duration (mixed steps): 1500 s of the 2400 s planned is 0.625,
    # partial (0.50–0.80).
    with time_machine.travel(datetime(2026, 12, 10, 20, 0, tzinfo=UTC), tick=False):
        api = cast.api(cast.alice)  # a token of that day
        ran = api.post(
            "/api/v1/activities",
            {"start_time": "2026-12-10T12:00:00-06:00", "distance": 5000, "duration": 1500},
            format="json",
        )
        assert ran.status_code == 201
        days = api.get(
            "/api/v1/analytics/calendar", {"from": "2026-12-07", "to": "2026-12-13"}
        ).json()["data"]["days"]
        [wednesday] = days[2]["planned"]
        assert wednesday["status"] == "partial"
        assert wednesday["activity_ids"] == [ran.json()["data"]["activity_id"]]
        assert days[3]["status"] is None  # Thursday's run is in the plan, not outside it
        instance = api.get("/api/v1/plan_instances").json()["data"]["plan_instances"][0]
        assert instance["compliance"] == round(1500 / 2400, 3)


@time_machine.travel(NOW, tick=False)
def test_the_fit_workout_file_decodes_to_the_planned_steps(cast):
    cast.alice.pace_zones = [300, 270, 250, 230]
    cast.alice.hr_zones = [120, 140, 155, 170, 185]
    cast.alice.save(update_fields=["pace_zones", "hr_zones"])
    plan = make_plan(cast, [{"week": 1, "day": 3, "type": "intervals", "steps": INTERVALS}])
    cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id], "start_date": "2026-12-07"},
        format="json",
    )
    response = cast.api(cast.cora).get(
        "/api/v1/analytics/calendar/workout.fit",
        {"user_id": cast.alice.public_id, "date": "2026-12-09"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.ant.fit"
    messages, errors = Decoder(Stream.from_byte_array(bytearray(response.content))).read()
    assert errors == []
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    assert messages["workout_mesgs"][0]["sport"] == "running"
    steps = messages["workout_step_mesgs"]
    assert [s["duration_type"] for s in steps] == [
        "time",
        "distance",
        "time",
        "repeat_until_steps_cmplt",
        "open",
    ]
    assert steps[0]["duration_time"] == 600 and steps[0]["target_type"] == "open"
    assert steps[1]["duration_distance"] == 1000 and steps[1]["intensity"] == "active"
    # Z4 of Alice's zones is 250 to 230 s/km: 4.0 to 4.348 m/s.
    assert steps[1]["custom_target_speed_low"] == 4.0
    assert steps[1]["custom_target_speed_high"] == round(1000 / 230, 3)
    assert steps[2]["custom_target_heart_rate_low"] == 120 + 100  # FIT: bpm + 100
    assert steps[2]["custom_target_heart_rate_high"] == 140 + 100
    assert steps[3]["duration_step"] == 1 and steps[3]["repeat_steps"] == 5
    nothing = cast.api(cast.cora).get(
        "/api/v1/analytics/calendar/workout.fit",
        {"user_id": cast.alice.public_id, "date": "2026-12-08"},
    )
    assert nothing.status_code == 404 and nothing.json()["details"]["code"] == "NOT_FOUND"
    stranger = cast.api(cast.bob).get(
        "/api/v1/analytics/calendar/workout.fit",
        {"user_id": cast.alice.public_id, "date": "2026-12-09"},
    )
    assert stranger.status_code in (403, 404)


@time_machine.travel(NOW, tick=False)
def test_the_calendar_feed_is_at_a_secret_address_with_steps_in_words(cast, client):
    plan = make_plan(cast, [{"week": 1, "day": 3, "type": "intervals", "steps": INTERVALS}])
    cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id], "start_date": "2026-12-07"},
        format="json",
    )
    client.force_login(cast.alice)
    settings_page = client.get("/settings").content.decode()
    cast.alice.refresh_from_db()
    token = cast.alice.calendar_token
    assert token and f"/calendar/{token}.ics" in settings_page
    client.logout()  # a phone has no session
    feed = client.get(f"/calendar/{token}.ics")
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    [event] = Calendar.from_ical(feed.content).walk("VEVENT")
    assert event.decoded("dtstart") == date(2026, 12, 9)
    description = str(event.get("description"))
    assert "Warm-up 10:00" in description
    assert "5 × (Work 1.0 km at pace zone 4, Recovery 2:00 at 120–140 bpm)" in description
    client.force_login(cast.alice)
    client.post("/settings/calendar-feed")
    client.logout()
    assert client.get(f"/calendar/{token}.ics").status_code == 404  # the old address stops


@time_machine.travel(NOW, tick=False)
def test_a_groups_compliance_is_the_mean_over_all_its_workouts(cast):
    """METRICS.md §7: "Group and week figures are the same mean over their workouts." Alice
    ran her one workout due (1.0); Bob missed his three (0, 0, 0): the group's compliance is
    1 / 4, not the mean of the two athletes' 1.0 and 0.0."""
    from organizations.models import Group
    from tests.factories import make_activity

    Group.objects.create(organization=cast.riverside, name="Squad").members.add(
        cast.alice, cast.bob
    )
    alice_plan = make_plan(cast, [{"week": 1, "day": 1, "type": "easy", "distance": 8000}])
    bob_plan = make_plan(
        cast, [{"week": 1, "day": d, "type": "easy", "distance": 8000} for d in (1, 3, 5)]
    )
    coach = cast.api(cast.cora)
    for plan, who in ((alice_plan, cast.alice), (bob_plan, cast.bob)):
        coach.post(
            f"/api/v1/plans/{plan['plan_id']}/assign",
            {"user_ids": [who.public_id], "start_date": "2026-11-30"},
            format="json",
        )
    make_activity(cast.alice, datetime(2026, 11, 30, 14, tzinfo=UTC), distance=8000, sport="run")
    from athletes.services.changes import athlete_data_changed

    athlete_data_changed([cast.alice.pk])
    data = coach.get("/api/v1/analytics/plans_overview").json()["data"]
    [squad] = [g for g in data["by_group"] if g["name"] == "Squad"]
    assert squad["avg_compliance"] == round(1 / 4, 3)
    rows = {r["user_id"]: r["compliance"] for r in data["athletes"]}
    assert rows == {cast.alice.public_id: 1.0, cast.bob.public_id: 0.0}


@time_machine.travel(NOW, tick=False)
def test_a_plan_reads_back_its_steps_and_a_rest_day_is_rest(cast):
    plan = make_plan(
        cast,
        [
            {"week": 1, "day": 2, "type": "rest"},
            {"week": 1, "day": 3, "type": "intervals", "steps": INTERVALS},
        ],
    )
    read = cast.api(cast.cora).get(f"/api/v1/plans/{plan['plan_id']}").json()["data"]
    assert [w["steps"] for w in read["workouts"]] == [None, INTERVALS]
    cast.api(cast.cora).post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id], "start_date": "2026-12-07"},
        format="json",
    )
    days = (
        cast.api(cast.alice)
        .get("/api/v1/analytics/calendar", {"from": "2026-12-07", "to": "2026-12-13"})
        .json()["data"]["days"]
    )
    # API.md: a rest day's workout status is `rest`, and so is the day's.
    assert days[1]["planned"][0]["status"] == "rest" and days[1]["status"] == "rest"
    assert days[1]["planned"][0]["planned_load"] == 0
