"""Issue 33: a tour of every page in real Chromium, as the demo club's head coach, one of its
athletes and a newcomer in no club, at 1440 and 375 px. Each page fails the test on a console
error (a Content Security Policy refusal is one) and on a serious or critical axe-core
finding; on a phone the menu hides behind one button; every page is photographed."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from athletes.models import Activity, Plan, User
from organizations.models import Group
from tests.browser.conftest import screenshot, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "astral-demo-2026"  # the demo's (README)
AXE = Axe()


def signed_in_page(browser: Any, live_server: Any, login: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = watched(context.new_page())
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/login")
    page.get_by_label("E-mail or username").fill(login)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def check(page: Any, url: str, name: str, phone: bool) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    violations = AXE.run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 376, name
        if page.locator("[data-menu]").count():
            # The menu waits behind its button: the page's own title is in the first screen.
            menu = page.locator("#main-menu")
            assert not menu.is_visible(), name
            assert page.locator("main h1").first.bounding_box()["y"] < 200, name
    screenshot(page, f"tour-{name}-{'375' if phone else '1440'}")


def tour(browser: Any, live_server: Any, login: str, pages: list[tuple[str, str]]) -> None:
    for width in (1440, 375):
        page = signed_in_page(browser, live_server, login, width)
        for path, name in pages:
            check(page, live_server.url + path, name, phone=width == 375)
        page.context.close()


@pytest.fixture
def demo(db: Any) -> dict[str, Any]:
    call_command("seed_demo", "--athletes", "4", "--days", "40", "--track-days", "14")
    alex = User.objects.get(email="alex@riverside.example")
    return {
        "alex": alex,
        "run": Activity.objects.filter(user=alex, stream__isnull=False).latest("start_time"),
        "group": Group.objects.order_by("name").first(),
        "plan": Plan.objects.order_by("name").first(),
    }


def test_the_head_coach_tours_every_page(browser, live_server, demo):
    alex, run = demo["alex"], demo["run"]
    tour(
        browser,
        live_server,
        "maria@riverside.example",
        [
            ("/athletes", "coach-roster"),
            (f"/athletes/{alex.public_id}", "coach-athlete-profile"),
            (f"/athletes/{alex.public_id}/activities", "coach-run-library"),
            (f"/athletes/{alex.public_id}/calendar", "coach-calendar"),
            (f"/activities/{run.public_id}", "coach-activity"),
            ("/analytics", "coach-dashboard-overview"),
            ("/analytics?tab=groups", "coach-dashboard-groups"),
            ("/analytics?tab=plans", "coach-dashboard-plans"),
            (f"/analytics/groups/{demo['group'].public_id}", "coach-group"),
            ("/club", "coach-club"),
            ("/club/plans", "coach-plans"),
            (f"/club/plans/{demo['plan'].public_id}", "coach-plan-edit"),
            ("/invitations", "coach-invitations"),
            ("/settings", "coach-settings"),
            ("/settings/password", "coach-password"),
            ("/api/docs", "api-docs"),
        ],
    )


def test_an_athlete_tours_every_page(browser, live_server, demo):
    alex, run = demo["alex"], demo["run"]
    tour(
        browser,
        live_server,
        "alex@riverside.example",
        [
            (f"/athletes/{alex.public_id}", "athlete-profile"),
            (f"/athletes/{alex.public_id}/activities", "athlete-run-library"),
            (f"/athletes/{alex.public_id}/calendar", "athlete-calendar"),
            (f"/activities/{run.public_id}", "athlete-activity"),
            ("/invitations", "athlete-invitations"),
            ("/settings", "athlete-settings"),
        ],
    )
    # The demo's run as its watch recorded it: a route, splits and every chart drawn.
    page = signed_in_page(browser, live_server, "alex@riverside.example", 1440)
    page.goto(f"{live_server.url}/activities/{run.public_id}")
    for chart in ("chart-pace", "chart-hr", "chart-elevation", "chart-cadence"):
        page.wait_for_selector(f"#{chart}[data-drawn='true']")
    assert page.locator("svg.route, .route svg, .route").count()
    assert page.get_by_test_id("splits").locator("tbody tr").count() >= 3
    page.context.close()


def test_a_newcomer_is_offered_to_start_or_join_a_club(browser, live_server, db):
    User.objects.create_user("nova", "nova@example.com", PASSWORD, display_name="Nova Quinn")
    for width in (1440, 375):
        page = signed_in_page(browser, live_server, "nova", width)
        # Signed in, someone in no club lands where they can start one or join one.
        assert page.url.endswith("/club")
        assert page.get_by_role("heading", name="Start or join a club").is_visible()
        for path, name in (
            ("/club", "newcomer-club"),
            ("/invitations", "newcomer-invitations"),
            ("/settings", "newcomer-settings"),
        ):
            check(page, live_server.url + path, name, phone=width == 375)
        if width == 375:
            page.get_by_role("button", name="Menu").click()
            assert page.get_by_role("link", name="Start or join a club").is_visible()
        page.context.close()
