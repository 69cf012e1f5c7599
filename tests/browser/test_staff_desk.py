"""Issue 38, in Chromium as a support person works: the admin's sign-in shares the
account lockout; a locked-out athlete is seen and helped; an activity edited in the admin
has its derived numbers follow (shown, not typed); a workout past a plan's weeks is refused
with the week named. Every page is checked for console errors (the CSP stays strict)."""

from __future__ import annotations

import pytest

from athletes.backends import FAILED_LOGIN_LIMIT
from athletes.models import Activity, Plan, PlannedWorkout, User
from tests.browser.conftest import screenshot, watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery-staple"


def admin_sign_in(page, live_server, login: str, password: str = PASSWORD) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(login)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_the_staff_desk_in_chromium(browser, live_server, cast):
    User.objects.create_superuser("sam", "sam@example.com", PASSWORD, timezone="America/Chicago")
    User.objects.create_superuser("sue", "sue@example.com", PASSWORD)
    created = cast.api(cast.alice).post(
        "/api/v1/activities",
        {
            "start_time": "2026-11-20T13:00:00Z",
            "distance": 10000,
            "duration": 3000,
            "avg_heart_rate": 150,
        },
    )
    run = Activity.objects.get(public_id=created.json()["data"]["activity_id"])
    plan = Plan.objects.create(organization=cast.riverside, name="Base", total_weeks=2)
    PlannedWorkout.objects.create(plan=plan, week=1, day=2, distance=8000)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = watched(context.new_page())
    page.set_default_timeout(15_000)

    # The admin's sign-in counts failures with the API's: after the limit, the right
    # password is refused too.
    for _ in range(FAILED_LOGIN_LIMIT):
        admin_sign_in(page, live_server, "sue", "wrong")
    admin_sign_in(page, live_server, "sue")
    assert page.url.endswith("/admin/login/?next=/admin/") or "/admin/login/" in page.url
    assert "Site administration" not in page.content()

    # Alice is locked out of her account; Sam sees it on her page and clears it.
    for _ in range(FAILED_LOGIN_LIMIT):
        cast.api(None).post("/api/v1/auth/token", {"email": "alice@example.com", "password": "x"})
    admin_sign_in(page, live_server, "sam")
    page.get_by_role("heading", name="Site administration").wait_for()
    page.goto(f"{live_server.url}/admin/athletes/user/{cast.alice.pk}/change/")
    assert f"Locked after {FAILED_LOGIN_LIMIT} failed sign-ins" in page.content()
    screenshot(page, "admin-user-locked-1440")
    page.goto(f"{live_server.url}/admin/athletes/user/?q=alice")
    page.locator(f'input[name="_selected_action"][value="{cast.alice.pk}"]').check()
    page.select_option('select[name="action"]', "clear_sign_in_lockout")
    page.get_by_role("button", name="Go").click()
    page.locator(".messagelist").wait_for()
    answer = cast.api(None).post(
        "/api/v1/auth/token", {"email": "alice@example.com", "password": PASSWORD}
    )
    assert answer.status_code == 200

    # Her 10 km becomes a 5 km: the load and zones are shown, never typed, and follow.
    load_before = run.training_load
    page.goto(f"{live_server.url}/admin/athletes/activity/{run.pk}/change/")
    assert page.locator('input[name="training_load"]').count() == 0
    assert page.locator('input[name="start_time_1"]').input_value() == "07:00:00"  # Chicago
    page.locator('input[name="distance"]').fill("5000")
    page.locator('input[name="avg_heart_rate"]').fill("120")
    screenshot(page, "admin-activity-1440")
    page.get_by_role("button", name="Save", exact=True).click()
    page.locator(".messagelist .success").wait_for()
    run.refresh_from_db()
    assert run.distance == 5000 and run.training_load < load_before

    # A workout moved past the plan's last week is refused, the week named.
    page.goto(f"{live_server.url}/admin/athletes/plan/{plan.pk}/change/")
    page.locator('input[name="workouts-0-week"]').fill("3")
    page.get_by_role("button", name="Save", exact=True).click()
    page.get_by_text("Week 3 is past the plan's 2 weeks.").wait_for()
    screenshot(page, "admin-plan-refused-1440")
    assert PlannedWorkout.objects.get(plan=plan).week == 1
    assert Activity.objects.filter(user=cast.alice).count() == 1
    context.close()
