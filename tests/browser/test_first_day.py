"""A whole club's first day in real Chromium, as a coach coming from another app would live
it: sign up, create the club, invite a coach and two athletes (the links read from the sent
e-mails), they accept, the coach makes a group, builds a 4-week plan, assigns it to the group,
sets a goal race; an athlete uploads a real file; the coach finds that athlete on the roster
and on the dashboard. Every page is checked with axe-core (no serious or critical violation)
and photographed at 1440 and 375 px."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.utils import timezone

from athletes.models import Activity, Goal, PlanInstance
from organizations.models import Group, Membership
from tests.browser.conftest import screenshot, watched
from tests.conftest import ACTIVITY_FILES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "first-day-passphrase-2026"
AXE = Axe()


def accessible(page: Any, name: str) -> None:
    """axe-core on the page as it is: no serious or critical violation."""
    results = AXE.run(page).response["violations"]
    serious = [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{name}: {serious}"


def visit(page: Any, phone: Any, url: str, name: str) -> None:
    """Check the page open in `page`, then the same URL at 375 px; photograph both."""
    accessible(page, name)
    screenshot(page, f"{name}-1440")
    phone.goto(url)
    accessible(phone, f"{name} (phone)")
    too_wide = phone.evaluate(
        """() => [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > 376
            && !(e.parentElement && e.parentElement.closest('.table-wrap')))
          .slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id)"""
    )
    assert phone.evaluate("document.documentElement.scrollWidth") <= 376, (name, too_wide)
    screenshot(phone, f"{name}-375")


def new_page(browser: Any, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = watched(context.new_page())
    page.set_default_timeout(15_000)
    return page


def invitation_link(email: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [email]]
    return re.search(r"https?://\S+/invitations/\S+", message.body).group(0)


def join(browser: Any, link: str, name: str, username: str) -> Any:
    page = new_page(browser, 1440)
    page.goto(link)
    accessible(page, "invitation")
    screenshot(page, f"invitation-{username}-1440")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    page.wait_for_load_state()
    return page


def test_a_club_s_first_day(browser, live_server):
    base = live_server.url
    coach = new_page(browser, 1440)
    phone = new_page(browser, 375)

    # Pages anyone reaches before signing in.
    for path, name in (("/login", "login"), ("/password/reset", "password-reset")):
        coach.goto(base + path)
        visit(coach, phone, base + path, name)

    # A new coach signs up and creates the club.
    coach.goto(f"{base}/signup")
    visit(coach, phone, f"{base}/signup", "signup")
    coach.get_by_label("Your name").fill("Nia Okafor")
    coach.get_by_label("E-mail").fill("nia@harbour.example")
    coach.get_by_label("Username").fill("nia")
    coach.get_by_label("Password").fill(PASSWORD)
    coach.get_by_role("button", name="Create account").click()
    coach.wait_for_url(f"{base}/settings")
    phone.goto(f"{base}/login")  # the phone signs in as the coach too
    phone.get_by_label("E-mail or username").fill("nia")
    phone.get_by_label("Password").fill(PASSWORD)
    phone.get_by_role("button", name="Sign in").click()
    phone.wait_for_load_state()
    visit(coach, phone, f"{base}/settings", "settings")
    coach.get_by_label("Time zone").fill("Europe/Dublin")
    coach.get_by_role("button", name="Save settings").click()
    coach.goto(f"{base}/club")
    visit(coach, phone, f"{base}/club", "club-new")
    coach.get_by_label("Club name").fill("Harbour Harriers")
    coach.get_by_role("button", name="Create club").click()
    coach.wait_for_url(re.compile(r".*/club\?org=.*"))

    # Invites a coach and two athletes.
    for email, role in (
        ("theo@harbour.example", "coach"),
        ("ada@harbour.example", "athlete"),
        ("ben@harbour.example", "athlete"),
    ):
        coach.get_by_label("E-mail", exact=True).fill(email)
        coach.get_by_label("Role", exact=True).select_option(role)
        coach.get_by_role("button", name="Send invitation").click()
        coach.wait_for_selector(f"text=Invitation sent to {email}")
    visit(coach, phone, f"{base}/club", "club")

    # They accept from the links in their e-mails, signing up on the way.
    theo = join(browser, invitation_link("theo@harbour.example"), "Theo Brennan", "theo")
    ada = join(browser, invitation_link("ada@harbour.example"), "Ada Lovelace", "ada")
    ben = join(browser, invitation_link("ben@harbour.example"), "Ben Ng", "ben")
    roles = dict(Membership.objects.values_list("user__username", "role"))
    assert roles == {"nia": "owner", "theo": "coach", "ada": "athlete", "ben": "athlete"}
    theo.context.close()
    ben.context.close()

    # The coach makes a group with both athletes.
    coach.goto(f"{base}/club")
    coach.get_by_label("New group").fill("Marathon squad")
    coach.get_by_role("button", name="Create group").click()
    coach.wait_for_selector("text=Group Marathon squad created.")
    for email in ("ada@harbour.example", "ben"):  # an e-mail or a username
        coach.get_by_label("Add athlete").fill(email)
        coach.get_by_role("button", name="Add", exact=True).click()
        coach.wait_for_selector("text=joined Marathon squad")
    group_id = Group.objects.get(name="Marathon squad").public_id
    coach.goto(f"{base}/analytics/groups/{group_id}")
    visit(coach, phone, f"{base}/analytics/groups/{group_id}", "group")

    # Builds a 4-week plan and assigns it to the group.
    coach.goto(f"{base}/club/plans")
    visit(coach, phone, f"{base}/club/plans", "plans")
    coach.get_by_label("Name").fill("Base block")
    coach.get_by_label("Weeks").fill("4")
    coach.get_by_role("button", name="Create and fill in the weeks").click()
    coach.wait_for_url(re.compile(r".*/club/plans/pln_.*"))
    for week in range(1, 5):
        coach.get_by_label(f"Week {week} day 2 workout type").select_option("easy")
        coach.get_by_label(f"Week {week} day 2 distance (km)").fill("8")
        coach.get_by_label(f"Week {week} day 7 workout type").select_option("long")
        coach.get_by_label(f"Week {week} day 7 distance (km)").fill(str(14 + 2 * week))
    coach.get_by_role("button", name="Save plan").click()
    coach.wait_for_selector("text=Plan saved.")
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    coach.get_by_label("Start date").fill(monday.isoformat())
    coach.get_by_label("A whole group").select_option(label="Marathon squad")
    coach.get_by_role("button", name="Assign plan").click()
    coach.wait_for_selector("text=assigned to 2 athletes")
    visit(coach, phone, coach.url, "plan-edit")
    assert PlanInstance.objects.filter(plan__name="Base block").count() == 2

    # Sets Ada's goal race on her profile.
    coach.goto(f"{base}/athletes?all=1")
    coach.get_by_role("link", name="Ada Lovelace").first.click()
    coach.get_by_text("Set a goal race").click()
    coach.get_by_label("Race", exact=True).fill("Harbour 10K")
    coach.get_by_label("Date", exact=True).fill((monday + timedelta(days=60)).isoformat())
    coach.get_by_label("Distance", exact=True).select_option("10k")
    coach.get_by_label("Goal time (H:MM:SS)").fill("45:00")
    coach.get_by_role("button", name="Save goal race").click()
    coach.wait_for_selector("text=Goal race Harbour 10K saved.")
    assert Goal.objects.get().goal_time == 45 * 60

    # Ada uploads a real file from her watch.
    ada.goto(f"{base}/")
    ada.wait_for_selector("text=Upload an activity")
    ada.set_input_files("input[type=file]", str(ACTIVITY_FILES / "fitparse_garmin-fenix-5-run.fit"))
    ada.get_by_role("button", name="Upload").click()
    # She lands on the run it stored: splits and the charts drawn.
    ada.wait_for_url(re.compile(r".*/activities/act_.*"))
    ada.wait_for_selector(".messages")
    assert Activity.objects.filter(user__username="ada").count() == 1
    ada.wait_for_selector("#chart-pace[data-drawn='true']")
    assert ada.get_by_test_id("splits").locator("tbody tr").count() >= 1
    visit(ada, phone, ada.url, "activity")
    ada.get_by_role("link", name="Ada Lovelace").first.click()
    ada.wait_for_selector("text=Upload an activity")
    visit(ada, phone, ada.url, "athlete-profile-after-upload")
    ada.context.close()

    # The coach finds Ada on the roster and on the dashboard.
    coach.goto(f"{base}/athletes?all=1")
    assert coach.locator("table.roster").get_by_role("link", name="Ada Lovelace").is_visible()
    visit(coach, phone, f"{base}/athletes?all=1", "roster")
    coach.goto(f"{base}/analytics?tab=groups")
    assert "Marathon squad" in coach.get_by_test_id("group-table").inner_text()
    visit(coach, phone, f"{base}/analytics?tab=groups", "dashboard-groups")
    coach.goto(f"{base}/analytics?tab=plans")
    assert "Ada Lovelace" in coach.get_by_test_id("plans-by-athlete").inner_text()
    visit(coach, phone, f"{base}/analytics?tab=plans", "dashboard-plans")
    coach.goto(f"{base}/analytics")
    visit(coach, phone, f"{base}/analytics", "dashboard-overview")
    coach.goto(f"{base}/invitations")
    visit(coach, phone, f"{base}/invitations", "invitations")
    coach.context.close()
    phone.context.close()
