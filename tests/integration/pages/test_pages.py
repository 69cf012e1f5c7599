"""Server-rendered pages: the same numbers and the same permissions as the API."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from organizations.models import Group
from tests.conftest import Api, bearer, signed_in
from tests.factories import add_member, make_activity, make_health, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _a_wednesday_afternoon(time_machine):
    """Week figures depend on the local week: the tests live on a Wednesday, whatever the
    clock says (Alice's Chicago week must not roll over between fixture and assertion)."""
    time_machine.move_to("2026-11-18 15:00:00Z", tick=False)


@pytest.fixture
def club(cast):
    group = Group.objects.create(organization=cast.riverside, name="Sprinters")
    group.members.add(cast.alice)
    now = datetime.now(UTC)
    make_activity(cast.alice, now - timedelta(hours=3), distance=10000, duration=3000, name="Tempo")
    make_activity(cast.bob, now - timedelta(days=2), distance=6000, duration=2100)
    make_health(cast.alice, now.date(), hrv=60, resting_hr=50)
    return {"group": group}


def test_login_page_and_landing_pages(cast):
    page = Client().get("/login")
    assert page.status_code == 200
    assert b'name="username"' in page.content
    coach = Client().post(
        "/login", {"username": "cora@example.com", "password": "correct-horse-battery-staple"}
    )
    assert coach.status_code == 302 and coach["Location"] == "/athletes"
    athlete = Client().post(
        "/login", {"username": "alice", "password": "correct-horse-battery-staple"}
    )
    assert athlete["Location"] == f"/athletes/{cast.alice.public_id}"
    wrong = Client().post("/login", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 200 and b"did not match" in wrong.content


def test_pages_need_a_signed_in_user(cast):
    for path in ("/athletes", f"/athletes/{cast.alice.public_id}", "/analytics"):
        response = Client().get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login")


def roster_table(response) -> str:
    assert response.status_code == 200
    return response.content.decode().split('<table class="roster"')[1].split("</table>")[0]


def test_roster_page_lists_the_orgs_athletes_with_filters(cast, club):
    page = signed_in(cast.cora).get("/athletes", {"all": "1"})
    html = roster_table(page)
    assert (
        "Alice Andersen" in html
        and "Bob Brown" in html
        and "Dave Dale" not in page.content.decode()
    )
    filtered = roster_table(signed_in(cast.cora).get("/athletes", {"q": "alice", "all": "1"}))
    assert "Alice Andersen" in filtered and "Bob Brown" not in filtered
    by_group = roster_table(
        signed_in(cast.cora).get("/athletes", {"group": club["group"].public_id, "all": "1"})
    )
    assert "Alice Andersen" in by_group and "Bob Brown" not in by_group
    assert "10.0 km" in html  # Alice's week, in the coach's units


def test_roster_page_is_for_coaches_only(cast, club):
    assert signed_in(cast.alice).get("/athletes").status_code == 403
    assert signed_in(cast.charlie).get("/athletes").status_code == 403


def test_profile_page_permissions(cast, club):
    path = f"/athletes/{cast.alice.public_id}"
    assert signed_in(cast.alice).get(path).status_code == 200
    assert signed_in(cast.cora).get(path).status_code == 200
    refused = signed_in(cast.bob).get(path)
    assert refused.status_code == 403 and b"can't see this page" in refused.content
    assert signed_in(cast.olga).get(path).status_code == 403
    assert signed_in(cast.cora).get("/athletes/usr_0000000000000000").status_code == 404


def test_profile_shows_the_same_numbers_as_the_api(cast, club):
    api = (
        Api(bearer(cast.cora))
        .get("/api/v1/analytics/athlete_profile", {"user_id": cast.alice.public_id})
        .json()["data"]
    )
    html = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}").content.decode()
    assert f"{api['metrics']['running_analytics']['weekly_distance_km']:.1f} km" in html
    assert api["insights"]["weekly_summary"].split(".")[0] in html
    assert f"{api['data_quality']['score']}/100" in html
    for canvas in ("chart-distance", "chart-load", "chart-rhr", "chart-ff", "chart-health"):
        assert f'id="{canvas}"' in html
    assert 'id="chart-data"' in html


def test_imperial_viewer_sees_miles(cast, club):
    cast.cora.unit_system = "imperial"
    cast.cora.save()
    html = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}").content.decode()
    assert "6.2 mi" in html  # 10 km
    assert "8:03 /mi" in html  # 5:00 /km over the last 28 days


def test_dashboard_tabs_and_empty_state(cast, club):
    coach = signed_in(cast.cora)
    overview = coach.get("/analytics").content.decode()
    assert "Group insight" in overview and "Alice Andersen" in overview
    groups = coach.get("/analytics", {"tab": "groups", "period": "30"}).content.decode()
    assert "Sprinters" in groups and "In no group" in groups
    plans = coach.get("/analytics", {"tab": "plans"}).content.decode()
    assert "By athlete" in plans
    custom = coach.get(
        "/analytics",
        {"tab": "groups", "period": "custom", "from": "2026-01-01", "to": "2025-01-01"},
    )
    # Reversed, the range is named for what it is, and the page says what it shows instead.
    assert b"The end date is before the start date. Showing the last 7 days instead." in (
        custom.content
    )
    too_long = coach.get(
        "/analytics",
        {"tab": "groups", "period": "custom", "from": "2024-01-01", "to": "2026-01-01"},
    )
    assert b"more than 400 days apart. Showing the last 7 days instead." in too_long.content
    empty = signed_in(cast.olga).get("/analytics").content.decode()
    assert "No groups yet" in empty
    assert signed_in(cast.alice).get("/analytics").status_code == 403


def test_group_page(cast, club):
    path = f"/analytics/groups/{club['group'].public_id}"
    html = signed_in(cast.cora).get(path, {"period": "7"}).content.decode()
    assert "Sprinters" in html and "10.0 km" in html
    assert signed_in(cast.olga).get(path).status_code == 403
    assert signed_in(cast.cora).get("/analytics/groups/grp_nope").status_code == 404


def test_roster_csv_has_the_filtered_athletes(cast, club):
    response = signed_in(cast.cora).get("/athletes/export.csv", {"q": "alice"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["display_name"] for r in rows] == ["Alice Andersen"]
    assert float(rows[0]["weekly_distance_m"]) == 10000
    assert signed_in(cast.alice).get("/athletes/export.csv").status_code == 403


def test_activities_csv_matches_the_api(cast, club):
    response = signed_in(cast.alice).get(f"/athletes/{cast.alice.public_id}/activities.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    api = Api(bearer(cast.alice)).get("/api/v1/activities").json()["data"]["activities"]
    assert [r["activity_id"] for r in rows] == [a["activity_id"] for a in api]
    assert float(rows[0]["distance"]) == api[0]["distance"]
    assert (
        signed_in(cast.bob).get(f"/athletes/{cast.alice.public_id}/activities.csv").status_code
        == 403
    )


def test_upload_form_reports_success_and_errors(cast):
    from pathlib import Path

    data = (
        Path(__file__).resolve().parents[4]
        / "shared"
        / "data"
        / "activities"
        / "fitparse_garmin-fenix-5-run.fit"
    )
    client = signed_in(cast.alice)
    path = f"/athletes/{cast.alice.public_id}/upload"
    with data.open("rb") as handle:
        ok = client.post(path, {"file": handle}, follow=True)
    # What was imported, of when; the page is the run itself, old or new (issue 33).
    assert "Imported Morning Run of" in ok.content.decode()
    run = cast.alice.activities.get()
    assert ok.redirect_chain[-1][0] == f"/activities/{run.public_id}"
    with data.open("rb") as handle:
        again = client.post(path, {"file": handle}, follow=True)
    assert "already uploaded" in again.content.decode()
    bad = client.post(path, {"file": io.BytesIO(b"MZ")}, follow=True)
    assert "choose a .fit" in bad.content.decode().lower() or "Unsupported" in bad.content.decode()
    assert signed_in(cast.bob).post(path, {}).status_code == 403


@pytest.mark.parametrize("extra", [5, 60])
def test_pages_render_in_a_constant_number_of_queries(
    cast, club, django_assert_max_num_queries, extra
):
    for index in range(extra):
        user = make_user(f"page{extra}_{index}")
        add_member(cast.riverside, user)
        club["group"].members.add(user)
        make_activity(user, datetime.now(UTC) - timedelta(days=1))
    coach = signed_in(cast.cora)
    for path in (
        "/athletes",
        "/analytics",
        "/analytics?tab=groups",
        "/analytics?tab=plans",
        f"/athletes/{cast.alice.public_id}",
    ):
        coach.get(path)  # warm: snapshots computed once
        with django_assert_max_num_queries(30):
            assert coach.get(path).status_code == 200


@time_machine.travel("2026-11-26 03:00:00Z", tick=False)  # 21:00 on the 25th in Chicago
def test_the_roster_shows_dates_as_the_athlete_lived_them(cast):
    """A run at 18:12 in Chicago on the 25th is already the 26th in UTC: the roster says the
    25th. A goal race on the 25th is still upcoming until that day ends where Alice is."""
    from athletes.models import Goal

    chicago = ZoneInfo("America/Chicago")
    make_activity(cast.alice, datetime(2026, 11, 25, 18, 12, tzinfo=chicago), distance=5000)
    Goal.objects.create(
        user=cast.alice, race_name="Turkey Trot", race_date="2026-11-25", distance=5000
    )
    html = roster_table(signed_in(cast.cora).get("/athletes"))
    row = html[html.index("Alice Andersen") :]
    row = row[: row.index("</tr>")]
    assert ">Wed 25 Nov 2026</time>" in row and "26 Nov" not in row.split("datetime=")[0]
    roster = cast.api(cast.cora).get("/api/v1/analytics/coach_athletes_metrics").json()["data"]
    [alice] = [a for a in roster["athletes"] if a["user_id"] == cast.alice.public_id]
    assert [g["race_name"] for g in alice["current_goals"]["races"]] == ["Turkey Trot"]


def test_a_coach_with_athletes_of_their_own_opens_on_them_sorted_by_attention(cast, club):
    """Monday morning: Cora coaches Alice. The roster opens on her athletes, who needs a call
    first, each flag in words with its reason; one click shows the whole club."""
    mine = signed_in(cast.cora).get("/athletes")
    table = roster_table(mine)
    assert "Alice Andersen" in table and "Bob Brown" not in table
    text = mine.content.decode()
    assert "All athletes" in text and "who needs attention first" in text
    everyone = roster_table(signed_in(cast.cora).get("/athletes", {"all": "1"}))
    assert "Bob Brown" in everyone


def test_the_streak_calendar_runs_monday_to_sunday_with_labels(cast, club):
    html = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}").content.decode()
    calendar = html.split('class="calendar"')[1].split("</section>")[0]
    assert "<span>Mon</span>" in calendar and "<span>Sun</span>" in calendar
    # Every column holds seven days, the first padded so its rows are weekdays.
    columns = calendar.split('<div class="cal-week">')[1:]
    assert all(column.count('class="cal-day') == 7 for column in columns[:-1])
    assert re.search(
        r'class="cal-month"[^>]*>(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)<', calendar
    )


@time_machine.travel("2026-11-27 15:00:00Z", tick=False)
def test_dates_read_one_way_in_the_athlete_s_zone_named_when_it_is_not_the_viewer_s(cast):
    """One date format (short weekday and date); a run's time where the athlete was, with
    the zone named for a coach elsewhere, and not for the athlete herself."""
    chicago = ZoneInfo("America/Chicago")
    make_activity(cast.alice, datetime(2026, 11, 24, 7, 12, tzinfo=chicago), distance=8000)
    for_coach = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}").content.decode()
    assert "Tue 24 Nov 2026, 07:12 (America/Chicago)" in for_coach
    for_alice = signed_in(cast.alice).get(f"/athletes/{cast.alice.public_id}").content.decode()
    assert "Tue 24 Nov 2026, 07:12<" in for_alice
    roster = roster_table(signed_in(cast.cora).get("/athletes", {"all": "1"}))
    assert ">Tue 24 Nov 2026</time>" in roster


def _falling_hrv(athlete, today):
    """A week of 66 ms, then a week of 50 ms: METRICS.md §5 flags an HRV drop."""
    for back in range(14):
        make_health(athlete, today - timedelta(days=back), hrv=50 if back < 7 else 66)


@time_machine.travel("2026-11-27 15:00:00Z", tick=False)
def test_a_flag_reads_as_words_with_its_reason_first_on_the_roster_and_the_profile(cast):
    _falling_hrv(cast.bob, datetime(2026, 11, 27, tzinfo=UTC).date())
    coach = signed_in(cast.cora)
    table = roster_table(coach.get("/athletes", {"all": "1"}))
    assert "HRV dropping" in table and "66 → 50 ms" in table
    assert table.index("Bob Brown") < table.index("Alice Andersen")  # who needs a call first
    assert "hrv_drop" not in table
    profile = coach.get(f"/athletes/{cast.bob.public_id}").content.decode()
    attention = profile.index("Needs attention")
    assert attention < profile.index("This week so far") and "HRV dropping" in profile
    assert "in progress" in profile


@time_machine.travel("2026-11-27 15:00:00Z", tick=False)
def test_a_km_coach_reads_km_in_an_imperial_athlete_s_insights_and_coach_hints(cast):
    cast.alice.unit_system = "imperial"
    cast.alice.save()
    make_activity(cast.alice, datetime(2026, 11, 26, 13, tzinfo=UTC), distance=16093.44)
    coach_view = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}").content.decode()
    insights = coach_view.split('id="ins-h"')[1].split("</section>")[0]
    assert "16.1 km" in insights and " mi" not in insights
    # The checklist speaks to the coach about the athlete, not as if to the athlete.
    assert "Set your" not in coach_view and "No pace zones" in coach_view
    own = signed_in(cast.alice).get(f"/athletes/{cast.alice.public_id}").content.decode()
    assert "10.0 mi" in own.split('id="ins-h"')[1].split("</section>")[0]


def test_an_unchanged_hrv_is_not_a_red_minus_zero(cast):
    today = datetime.now(UTC).date()
    for back in range(14):
        make_health(cast.bob, today - timedelta(days=back), hrv=60)
    table = roster_table(signed_in(cast.cora).get("/athletes", {"all": "1"}))
    assert "±0%" in table and "-0%" not in table


def test_among_equal_flags_the_longest_running_comes_first(cast):
    """Severity first, then how long it has lasted: Bob's HRV has been dropping since
    Monday, Alice's only since Wednesday; both are flagged, Bob is called first."""
    from analytics.snapshots import snapshots_refresh

    with time_machine.travel("2026-11-23 15:00:00Z", tick=False):  # Monday
        _falling_hrv(cast.bob, datetime(2026, 11, 23, tzinfo=UTC).date())
        snapshots_refresh([cast.bob.pk])
    with time_machine.travel("2026-11-25 15:00:00Z", tick=False):  # Wednesday
        _falling_hrv(cast.alice, datetime(2026, 11, 25, tzinfo=UTC).date())
        for back in range(2):  # Bob's low week goes on
            make_health(cast.bob, datetime(2026, 11, 25 - back, tzinfo=UTC).date(), hrv=50)
        table = roster_table(signed_in(cast.cora).get("/athletes", {"all": "1"}))
    assert table.index("Bob Brown") < table.index("Alice Andersen")
    assert "since Mon 23 Nov" in table and "since Wed 25 Nov" in table


def test_the_sidebar_counts_the_whole_club_and_lists_its_first_hundred(cast):
    """A club of 104 athletes: the sidebar says 104 (not the hundred it lists), lists them by
    name, and links to the roster for the rest; a deactivated account is not counted."""
    from athletes.models import User

    org = cast.cora.memberships.get().organization
    people = User.objects.bulk_create(
        User(username=f"member{n:03}", display_name=f"Member {n:03}", email=f"m{n}@example.com")
        for n in range(104)
    )
    for person in people:
        add_member(org, person)
    before = org.memberships.filter(role="athlete", user__is_active=True).count()
    html = signed_in(cast.cora).get("/athletes").content.decode()
    sidebar = html.split('class="sidebar-athletes"')[1].split("</details>")[0]
    assert f"Athletes ({before})" in sidebar
    assert sidebar.count("<li>") == 101  # the first hundred, then the link to all
    assert f"All {before} athletes" in sidebar
    people[0].is_active = False
    people[0].save(update_fields=["is_active"])
    html = signed_in(cast.cora).get("/athletes").content.decode()
    assert f"Athletes ({before - 1})" in html


def test_a_second_visit_to_a_profile_reads_its_figures_from_the_cache_and_a_new_run_shows_at_once(
    cast, club, django_assert_max_num_queries
):
    """Issue 36: the profile page at the speed of its SQL. What the page shows that follows
    from the athlete's data is computed once and kept under the athlete's generation token:
    a coach's second visit runs only the statements that say who is looking (session, user,
    access, menu), and a run written in between shows on the next visit."""
    coach = signed_in(cast.cora)
    path = f"/athletes/{cast.alice.public_id}"
    coach.get(path)
    with django_assert_max_num_queries(8):
        assert coach.get(path).status_code == 200
    cast.api(cast.alice).post(
        "/api/v1/activities",
        {
            "start_time": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "distance": 12345,
            "duration": 3600,
            "name": "Fresh sunrise run",
        },
    )
    assert "Fresh sunrise run" in coach.get(path).content.decode()
