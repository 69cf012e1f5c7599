"""One run in detail and the training calendar in real Chromium (issue 16): an athlete uploads
a watch file that lapped every kilometre and finds the page's splits agreeing with the
watch's own laps; the coach opens her calendar, plans a session, and reads the week against
the plan. axe-core and 1440/375 px screenshots as on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from athletes.models import Plan, PlanInstance, PlannedWorkout
from tests.browser.conftest import screenshot
from tests.browser.test_browser import sign_in
from tests.browser.test_first_day import accessible, new_page, visit
from tests.conftest import ACTIVITY_FILES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# walk_vivoactivehr.tcx lapped every kilometre: 1470.575, 1352.603 and 864.635 s for the
# first three (../shared/data/activities/README.md).
WATCH_LAPS = (1470.575, 1352.603, 864.635)


def seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def test_splits_agree_with_the_watch_laps_and_the_calendar_plans_a_week(browser, live_server, cast):
    base = live_server.url
    athlete = new_page(browser, 1440)
    sign_in(athlete, live_server, "alice")
    athlete.wait_for_selector("text=Upload an activity")
    athlete.set_input_files("input[type=file]", str(ACTIVITY_FILES / "walk_vivoactivehr.tcx"))
    athlete.get_by_role("button", name="Upload").click()
    athlete.wait_for_url(re.compile(r".*/activities/act_.*"))  # the upload lands on its run
    athlete.wait_for_selector(".messages")
    athlete.wait_for_selector("#chart-hr[data-drawn='true']")
    splits = athlete.get_by_test_id("splits").locator("tbody tr")
    laps = athlete.get_by_test_id("laps").locator("tbody tr")
    assert laps.count() == 4
    for row, lap in enumerate(WATCH_LAPS):
        split_time = seconds(splits.nth(row).locator("td").nth(1).inner_text())
        lap_time = seconds(laps.nth(row).locator("td").nth(1).inner_text())
        assert abs(lap_time - lap) <= 1  # the watch's own lap, as recorded
        assert abs(split_time - lap) <= 10  # cut on the measured kilometre
    # The x axis switches to time and back.
    athlete.get_by_role("link", name="Time", exact=True).click()
    assert athlete.get_by_role("link", name="Time", exact=True).get_attribute("aria-current")
    athlete.get_by_label("Add a comment").fill("Slow hill today.")
    athlete.get_by_role("button", name="Post").click()
    athlete.wait_for_selector("text=Slow hill today.")
    phone = new_page(browser, 375)
    sign_in(phone, live_server, "alice")
    visit(athlete, phone, athlete.url, "activity-walk")
    # A run of intervals gives her records and a pace curve on her profile.
    athlete.goto(f"{base}/athletes/{cast.alice.public_id}")
    athlete.set_input_files(
        "input[type=file]", str(ACTIVITY_FILES / "run_intervals_16laps_fr945.tcx")
    )
    athlete.get_by_role("button", name="Upload").click()
    athlete.wait_for_url(re.compile(r".*/activities/act_.*"))
    athlete.goto(f"{base}/athletes/{cast.alice.public_id}")
    athlete.wait_for_selector("#chart-pace-curve[data-drawn='true']")
    records = athlete.get_by_test_id("records").inner_text()
    assert "10 km" in records and "PR" in athlete.locator("table").last.inner_text()
    visit(athlete, phone, athlete.url, "profile-with-records")
    athlete.context.close()
    phone.context.close()

    # The coach plans Alice's week from the calendar and reads it against what was run.
    plan = Plan.objects.create(organization=cast.riverside, name="Base block", total_weeks=2)
    PlannedWorkout.objects.bulk_create(
        PlannedWorkout(plan=plan, week=1, day=d, type="easy", distance=8000) for d in (1, 3, 5)
    )
    today = timezone.localdate(timezone=cast.alice.tz)
    monday = today - timedelta(days=today.weekday())
    PlanInstance.objects.create(plan=plan, user=cast.alice, start_date=monday)
    coach = new_page(browser, 1440)
    sign_in(coach, live_server, "cora")
    coach.goto(f"{base}/athletes/{cast.alice.public_id}/calendar")
    calendar = coach.get_by_test_id("calendar")
    assert calendar.locator(".planned").count() == 3
    sunday = monday + timedelta(days=6)
    coach.get_by_text("Plan a workout on").click()  # the form sits below the month
    coach.get_by_label("Day", exact=True).fill(sunday.isoformat())
    form = coach.get_by_role("region", name="Plan a workout")
    form.get_by_label("Type").select_option("long")
    form.get_by_label("Distance (km)").fill("18")
    coach.get_by_role("button", name="Plan it").click()
    coach.wait_for_selector("text=Planned on")
    cell = coach.locator(f'[data-date="{sunday.isoformat()}"]')
    assert "long · 18.0 km" in cell.inner_text()
    assert "of 42.0 km planned" in coach.get_by_test_id("calendar").inner_text()
    accessible(coach, "calendar")
    screenshot(coach, "calendar-1440")
    phone = new_page(browser, 375)
    sign_in(phone, live_server, "cora")
    visit(coach, phone, coach.url, "calendar")
    coach.context.close()
    phone.context.close()
