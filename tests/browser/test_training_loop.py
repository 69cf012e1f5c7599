"""The training loop in real Chromium (issue: plans on weekdays, structured workouts to the
watch, one rule for planned against done). A coach builds a structured plan in the editor and
assigns it from a Wednesday; the athlete's calendar has Wednesday's workout on Wednesday and
nothing on that week's Monday or Tuesday; the FIT file downloads and decodes to the planned
steps; a run the day after marks the workout by METRICS.md §7; the calendar, the Plans tab,
the roster and the plan instance agree. No console error on any page."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from garmin_fit_sdk import Decoder, Stream

from astral.localtime import local_today
from athletes.models import Plan, PlanInstance
from organizations.models import Group
from tests.browser.conftest import screenshot, watched
from tests.conftest import bearer
from tests.factories import make_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
STEPS = "wu 10:00; 5x work 1 Z4, rec 2:00 HR1; cd lap"


def sign_in(browser: Any, live_server: Any, login: str) -> tuple[Any, list[str]]:
    page = watched(browser.new_context(viewport={"width": 1280, "height": 900}).new_page())
    page.set_default_timeout(15_000)
    errors = page.console_errors
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail or username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page, errors


def test_a_structured_plan_from_a_wednesday_lands_runs_and_agrees(browser, live_server, cast):
    alice = cast.alice
    alice.pace_zones = [300, 270, 250, 230]
    alice.save(update_fields=["pace_zones"])
    today = local_today(alice.tz)
    monday = today - timedelta(days=today.weekday()) - timedelta(weeks=1)  # last week's
    wednesday, thursday = monday + timedelta(days=2), monday + timedelta(days=3)
    plan = Plan.objects.create(organization=cast.riverside, name="Speed block", total_weeks=2)
    Group.objects.create(organization=cast.riverside, name="Squad").members.add(alice)

    # The coach writes the week in the editor: Monday easy, Wednesday intervals by steps.
    coach, coach_errors = sign_in(browser, live_server, "cora")
    coach.goto(f"{live_server.url}/club/plans/{plan.public_id}")
    coach.select_option("#w1d1_type", "easy")
    coach.fill("#w1d1_distance", "8")
    coach.select_option("#w1d3_type", "intervals")
    coach.fill("#w1d3_steps", STEPS)
    coach.get_by_role("button", name="Save plan").click()
    coach.wait_for_selector("text=Plan saved.")
    coach.fill("#start-date", wednesday.isoformat())
    coach.get_by_label("Alice Andersen").check()
    coach.get_by_role("button", name="Assign plan").click()
    coach.wait_for_selector("text=Speed block assigned to 1 athlete")
    screenshot(coach, "training-loop-editor")
    assert coach.input_value("#w1d3_steps") == STEPS  # read back as typed

    # Alice's calendar: Wednesday's workout on Wednesday, nothing on Monday or Tuesday.
    athlete, athlete_errors = sign_in(browser, live_server, "alice")
    calendar_url = f"{live_server.url}/athletes/{alice.public_id}/calendar?month={wednesday:%Y-%m}"
    athlete.goto(calendar_url)
    cell = athlete.locator(f'[data-date="{wednesday.isoformat()}"]')
    assert cell.locator(".planned").count() == 1
    assert "intervals" in cell.locator(".planned").inner_text()
    assert "5 × (Work 1.0 km at pace zone 4, Recovery 2:00 at HR zone 1)" in cell.inner_text()
    assert cell.locator(".planned").get_attribute("data-status") == "missed"  # past, no run
    for before in (monday, monday + timedelta(days=1)):
        assert athlete.locator(f'[data-date="{before.isoformat()}"] .planned').count() == 0

    # The watch file: downloaded from the day, decoded by Garmin's decoder, step by step.
    with athlete.expect_download() as download:
        cell.get_by_text("Send to watch (.fit)").click()
    data = bytearray(Path(download.value.path()).read_bytes())
    messages, errors = Decoder(Stream.from_byte_array(data)).read()
    assert errors == []
    steps = messages["workout_step_mesgs"]
    assert [s.get("duration_time") or s.get("duration_distance") for s in steps[:3]] == [
        600,
        1000,
        120,
    ]
    assert steps[3]["repeat_steps"] == 5 and steps[4]["duration_type"] == "open"
    assert steps[1]["custom_target_speed_low"] == 4.0  # Z4: 250 s/km, Alice's own zones

    # A run the day after: 2300 s of the 2400 s planned (600 + 5 × (240 + 120) at her
    # paces; mixed steps are judged on time): 0.96, done.
    make_activity(
        alice,
        datetime.combine(thursday, time(7, 0), tzinfo=alice.tz),
        distance=7000,
        duration=2300,
        sport="run",
    )
    from athletes.services.changes import athlete_data_changed

    athlete_data_changed([alice.pk])
    athlete.goto(calendar_url)
    cell = athlete.locator(f'[data-date="{wednesday.isoformat()}"]')
    assert cell.locator(".planned").get_attribute("data-status") == "done"
    assert "done as planned" in cell.inner_text()
    screenshot(athlete, "training-loop-calendar")
    assert athlete_errors == []

    # The plan instance, the Plans tab and the roster agree: 2300 / 2400 = 96 %.
    instance = PlanInstance.objects.get(user=alice)
    api = live_server.url + "/api/v1/plan_instances"
    answer = athlete.request.get(api, headers=bearer(alice)).json()["data"]["plan_instances"][0]
    assert answer["plan_instance_id"] == instance.public_id
    assert answer["compliance"] == round(2300 / 2400, 3)
    coach.goto(f"{live_server.url}/analytics?tab=plans")
    row = coach.locator('[data-testid="plans-by-athlete"] tr', has_text="Alice Andersen")
    assert "96%" in row.inner_text()
    coach.goto(f"{live_server.url}/athletes")
    roster_row = coach.locator("tr", has_text="Alice Andersen")
    assert f"week {answer['current_week']} of 2" in roster_row.inner_text()
    coach.goto(calendar_url)
    assert (
        coach.locator(f'[data-date="{wednesday.isoformat()}"] .planned').get_attribute(
            "data-status"
        )
        == "done"
    )
    screenshot(coach, "training-loop-plans-tab")
    assert coach_errors == []
