"""A coach and an athlete using Astral in a real browser."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from athletes.models import Plan, PlanInstance, PlannedWorkout
from organizations.models import Group
from tests.browser.conftest import screenshot, watched
from tests.factories import make_activity, make_health

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"
CHARTS = ("chart-distance", "chart-load", "chart-rhr", "chart-hrv", "chart-ff", "chart-health")


@pytest.fixture
def club(cast):
    sprinters = Group.objects.create(organization=cast.riverside, name="Sprinters")
    sprinters.members.add(cast.alice)
    Group.objects.create(organization=cast.riverside, name="Distance")
    now = datetime.now(UTC)
    for back in range(20):
        make_activity(
            cast.alice,
            now - timedelta(days=back, hours=2),
            distance=8000 + back * 100,
            duration=2600,
            training_load=60,
            avg_heart_rate=150,
        )
        make_health(
            cast.alice,
            (now - timedelta(days=back)).date(),
            hrv=60 + back % 5,
            resting_hr=48 + back % 3,
        )
    make_activity(cast.bob, now - timedelta(days=1), distance=5000, duration=1700)
    plan = Plan.objects.create(organization=cast.riverside, name="Marathon Block A", total_weeks=16)
    PlannedWorkout.objects.bulk_create(
        PlannedWorkout(plan=plan, week=w, day=d, distance=8000)
        for w in range(1, 17)
        for d in (1, 4)
    )
    PlanInstance.objects.create(
        plan=plan, user=cast.alice, start_date=(now - timedelta(days=20)).date()
    )
    return {"sprinters": sprinters}


def sign_in(page, live_server, login: str) -> None:
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail or username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_coach_searches_the_roster_and_opens_a_profile_with_charts(page, live_server, cast, club):
    sign_in(page, live_server, "cora@example.com")
    page.wait_for_url(f"{live_server.url}/athletes")
    # Cora coaches Alice: the roster opens on her own athletes, one click shows the club.
    assert page.locator("table.roster tbody tr").count() == 1
    page.get_by_role("link", name="All athletes").click()
    page.wait_for_url(lambda url: "all=1" in url)
    assert page.locator("table.roster tbody tr").count() == 2
    screenshot(page, "roster")
    page.get_by_text("Search and filters").click()
    page.get_by_label("Search").fill("alice")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(lambda url: "q=alice" in url)
    rows = page.locator("table.roster tbody tr")
    assert rows.count() == 1
    rows.first.get_by_role("link", name="Alice Andersen").click()
    page.wait_for_url(f"**/athletes/{cast.alice.public_id}")
    for canvas in CHARTS:
        page.wait_for_selector(f"#{canvas}[data-drawn='true']")
    # The charts really hold data: Chart.js reports the points it drew.
    points = page.evaluate(
        "Chart.getChart(document.getElementById('chart-distance')).data.datasets[0].data.length"
    )
    assert points == 30
    assert page.get_by_test_id("quality-score").inner_text().endswith("/100")
    screenshot(page, "profile")
    page.get_by_role("link", name="week", exact=True).click()
    page.wait_for_url(lambda url: "health=week" in url)
    page.wait_for_selector("#chart-health[data-drawn='true']")


def test_coach_switches_dashboard_tabs_and_period_and_drills_into_a_group(
    page, live_server, cast, club
):
    sign_in(page, live_server, "cora")
    page.wait_for_url("**/athletes")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    page.wait_for_url("**/analytics")
    assert "athletes were active" in page.get_by_test_id("group-insight").inner_text()
    page.wait_for_selector("#chart-members[data-drawn='true']")
    screenshot(page, "dashboard-overview")
    page.get_by_test_id("prev-week").click()
    page.wait_for_url(lambda url: "tab=overview&week=" in url)
    page.get_by_role("link", name="Groups", exact=True).click()
    page.wait_for_url(lambda url: "tab=groups" in url)
    table = page.get_by_test_id("group-table")
    assert "Sprinters" in table.inner_text()
    page.get_by_role("link", name="30 days").click()
    page.wait_for_url(lambda url: "period=30" in url)
    assert "30 days" in page.locator(".switch a[aria-current]").inner_text()
    screenshot(page, "dashboard-groups")
    page.get_by_test_id("group-table").get_by_role("link", name="Sprinters").click()
    page.wait_for_url(lambda url: f"/analytics/groups/{club['sprinters'].public_id}" in url)
    assert page.get_by_test_id("group-distance").inner_text().endswith("km")
    screenshot(page, "group-sprinters")
    page.get_by_role("link", name="← All groups").click()
    page.wait_for_url(lambda url: "tab=groups" in url)
    page.get_by_label("Dashboard tabs").get_by_role("link", name="Plans", exact=True).click()
    page.wait_for_url(lambda url: "tab=plans" in url)
    assert "Marathon Block A" in page.get_by_test_id("plans-by-group").inner_text()
    assert page.get_by_role("link", name="Alice Andersen").first.is_visible()
    screenshot(page, "dashboard-plans")


def test_athlete_lands_on_their_profile_and_is_refused_another(page, live_server, cast, club):
    sign_in(page, live_server, "alice")
    page.wait_for_url(f"**/athletes/{cast.alice.public_id}")
    page.wait_for_selector("#chart-distance[data-drawn='true']")
    screenshot(page, "athlete-own-profile")
    response = page.goto(f"{live_server.url}/athletes/{cast.bob.public_id}")
    assert response.status == 403
    assert "can't see this page" in page.content()
    # The browser logs the refused page itself as a failed load: that one was meant.
    assert page.console_errors == [
        f"{page.url}: Failed to load resource: the server responded with a status of 403 "
        "(Forbidden)"
    ]
    page.console_errors.clear()
    screenshot(page, "athlete-refused")


def test_pages_fit_a_375_px_phone(browser, live_server, cast, club):
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = watched(context.new_page())
    sign_in(page, live_server, "cora")
    page.wait_for_url("**/athletes")
    for path in ("/athletes", f"/athletes/{cast.alice.public_id}", "/analytics"):
        page.goto(f"{live_server.url}{path}")
        # Wide tables scroll inside their own box; the page itself does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 376, path
        if path == "/athletes":  # a phone row shows the name, the flags and the load first
            for header in ("Athlete", "Attention", "Acute:chronic"):
                box = page.get_by_role("columnheader", name=header).bounding_box()
                assert box and box["x"] + box["width"] <= 375, header
    screenshot(page, "phone-profile")
    context.close()
