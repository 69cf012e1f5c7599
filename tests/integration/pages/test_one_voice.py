"""Issue 33, "one voice": one date style on every page (Django's own included) and the
viewer's units on every figure, for a metric and an imperial viewer alike."""

from __future__ import annotations

import re
from datetime import UTC

import pytest

from athletes.models import Activity
from athletes.services.activities import comment_create
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

# "Sun 6 Dec 2026" and "Sun 6 Dec 2026, 22:58": never "Dec. 6, 2026", "12/06/2026", "6 Dec,".
ONE_STYLE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2} \d{4}\b")
OTHER_STYLES = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\. \d{1,2}, \d{4}"
    r"|\b\d{1,2}/\d{1,2}/\d{4}\b"
)


def run_of(cast, who) -> Activity:
    created = cast.api(who).post(
        "/api/v1/activities",
        {
            "start_time": "2026-11-20T13:00:00Z",
            "distance": 10000,
            "duration": 3000,
            "elevation_gain": 100,
            "avg_heart_rate": 150,
        },
    )
    return Activity.objects.get(public_id=created.json()["data"]["activity_id"])


@pytest.mark.parametrize(
    ("system", "ascent", "distance"),
    [
        ("metric", "100 m", "10.00 km"),
        # 100 m is 328 ft; 10 km is 6.21 mi.
        ("imperial", "328 ft", "6.21 mi"),
    ],
)
def test_an_activity_speaks_the_viewers_units_and_one_date_style(cast, system, ascent, distance):
    cast.alice.unit_system = system
    cast.alice.save(update_fields=["unit_system"])
    run = run_of(cast, cast.alice)
    comment_create(activity=run, author=cast.cora, text="Nice hills")
    html = signed_in(cast.alice).get(f"/activities/{run.public_id}").content.decode()
    assert f'data-testid="activity-ascent">{ascent}<' in html
    assert f'data-testid="activity-distance">{distance}<' in html
    # Alice reads in Chicago: 13:00 UTC was 07:00 there; the comment's time too, in her zone.
    assert "Fri 20 Nov 2026, 07:00" in html
    assert ONE_STYLE.search(html) and not OTHER_STYLES.search(html)
    library = signed_in(cast.alice).get(f"/athletes/{cast.alice.public_id}/activities")
    assert distance in library.content.decode()


def test_pace_zones_are_set_in_the_viewers_unit(cast):
    """An imperial athlete reads and writes pace zones per mile; they are kept per km."""
    cast.alice.unit_system = "imperial"
    cast.alice.pace_zones = [293, 265, 246, 230]  # s/km (METRICS.md §2's example)
    cast.alice.save(update_fields=["unit_system", "pace_zones"])
    page = signed_in(cast.alice)
    html = page.get("/settings").content.decode()
    # 293 s/km × 1.609344 = 471.5 s/mi → 7:52 (and 7:06, 6:36, 6:10).
    assert "M:SS per mile" in html and 'value="7:52, 7:06, 6:36, 6:10"' in html
    form = {
        "timezone": "America/Chicago",
        "unit_system": "imperial",
        "pace_zones": "7:52, 7:06, 6:36, 6:10",
    }
    page.post("/settings", form)
    cast.alice.refresh_from_db()
    assert cast.alice.pace_zones == [293, 265, 246, 230]  # unchanged text keeps them exactly
    page.post("/settings", {**form, "pace_zones": "8:00, 7:00, 6:30, 6:00"})
    cast.alice.refresh_from_db()
    # 480 / 1.609344 = 298.3 → 298 s/km; 420 → 261; 390 → 242; 360 → 224.
    assert cast.alice.pace_zones == [298, 261, 242, 224]


def test_the_admin_writes_dates_in_the_same_style(cast):
    from athletes.models import User

    User.objects.create_superuser("sam", "sam@example.com", "pw-for-the-admin-0", timezone="UTC")
    staff = signed_in(User.objects.get(username="sam"))
    run = run_of(cast, cast.alice)
    html = staff.get(f"/admin/athletes/activity/{run.pk}/change/").content.decode()
    created = run.created_at.astimezone(UTC)
    assert f"{created:%a} {created.day} {created:%b %Y}, {created:%H:%M}" in html
    assert not OTHER_STYLES.search(html)


def test_the_roster_says_when_an_athletes_day_is_not_the_coachs(cast):
    """At midnight a Berlin athlete's "this week so far" has begun again while a Chicago
    one's has not: the roster says whose week it counts."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from astral.localtime import local_today
    from pages.athletes import their_day

    kiritimati = local_today(ZoneInfo("Pacific/Kiritimati"))
    monday = kiritimati - timedelta(days=kiritimati.weekday())
    sunday_before = monday - timedelta(days=1)
    assert their_day("Pacific/Kiritimati", sunday_before) == (
        f"their new week began {monday:%a} {monday.day} {monday:%b}"
    )
    assert their_day("Pacific/Kiritimati", monday + timedelta(days=7)) == (
        f"still their week of {monday:%a} {monday.day} {monday:%b}"
    )
    assert their_day("Pacific/Kiritimati", kiritimati) is None

    # UTC+14 and UTC−10 are a day apart at every hour: the page marks the athlete.
    cast.cora.timezone = "Pacific/Honolulu"
    cast.cora.save(update_fields=["timezone"])
    cast.alice.timezone = "Pacific/Kiritimati"
    cast.alice.save(update_fields=["timezone"])
    html = signed_in(cast.cora).get("/athletes", {"all": "1"}).content.decode()
    assert 'data-testid="their-day"' in html
