"""Issue 33: a library of every run (`/athletes/{id}/activities`): search by name, filters by
sport, dates and distance in the viewer's units, sorts and pages; an upload lands on the run
it stored and a duplicate on the run it duplicates; a file that names no sport is what the
athlete says, and its generated name follows the sport until the athlete names it."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from athletes.models import Activity
from tests.conftest import ACTIVITY_FILES, signed_in
from tests.factories import make_activity

pytestmark = pytest.mark.django_db

START = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)


def names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/activities/[^"]+">([^<]+)</a>', html)


@pytest.fixture
def season(cast):
    """Sixty runs of Alice's, one a day from 1 Sep 2026, 5 to 11.9 km; every seventh a ride."""
    for day in range(60):
        make_activity(
            cast.alice,
            START + timedelta(days=day),
            distance=5000 + day * 117,
            duration=1500 + day * 30,
            name=f"{'Tempo' if day % 5 == 0 else 'Easy'} {day + 1}",
            sport="ride" if day % 7 == 3 else "run",
        )


def test_the_library_finds_a_run_by_name_sport_date_and_distance(cast, season):
    page = signed_in(cast.alice)
    url = f"/athletes/{cast.alice.public_id}/activities"
    first = page.get(url).content.decode()
    assert "60 runs" in first and "page 1 of 3" in first
    # Newest first: 30 Oct is day 60.
    assert names(first)[:2] == ["Easy 60", "Easy 59"]

    tempo = page.get(url, {"q": "tempo"}).content.decode()
    assert "12 runs found" in tempo  # days 1, 6, 11, … 56
    rides = page.get(url, {"sport": "ride"}).content.decode()
    assert set(names(rides)) == {
        f"{'Tempo' if d % 5 == 0 else 'Easy'} {d + 1}" for d in range(60) if d % 7 == 3
    }
    september = page.get(url, {"start": "2026-09-10", "end": "2026-09-12"}).content.decode()
    # Alice lives in Chicago: 07:00 UTC is still the same local day (02:00).
    assert names(september) == ["Easy 12", "Tempo 11", "Easy 10"]
    longest = page.get(url, {"sort": "longest"}).content.decode()
    assert names(longest)[0] == "Easy 60"
    # 11.5 km or more (day d has 5 + 0.117·d km): days 56 to 59.
    long_ones = page.get(url, {"shortest": "11.5"}).content.decode()
    assert names(long_ones) == ["Easy 60", "Easy 59", "Easy 58", "Easy 57"]


def test_a_miles_user_filters_in_miles(cast, season):
    cast.alice.unit_system = "imperial"
    cast.alice.save(update_fields=["unit_system"])
    page = signed_in(cast.alice).get(
        f"/athletes/{cast.alice.public_id}/activities", {"shortest": "7.2"}
    )
    html = page.content.decode()
    # 7.2 mi = 11,587 m: days 57 to 59 (11,669, 11,786, 11,903 m).
    assert names(html) == ["Easy 60", "Easy 59", "Easy 58"]
    assert "At least (mi)" in html and " mi</td>" in html


def test_a_bad_filter_is_named_beside_its_field_and_the_typed_values_stay(cast, season):
    html = (
        signed_in(cast.alice)
        .get(
            f"/athletes/{cast.alice.public_id}/activities",
            {"q": "tempo", "start": "1st of Sept", "shortest": "5"},
        )
        .content.decode()
    )
    assert "Give the first day as a date, for example 2026-09-01." in html
    assert 'aria-invalid="true"' in html and "autofocus" in html
    assert 'value="tempo"' in html and 'value="1st of Sept"' in html and 'value="5"' in html


def test_pages_of_runs_cost_the_same_queries_whatever_their_size(
    cast, season, django_assert_max_num_queries
):
    page = signed_in(cast.alice)
    page.get(f"/athletes/{cast.alice.public_id}/activities")  # session and caches warm
    with django_assert_max_num_queries(12):
        html = page.get(f"/athletes/{cast.alice.public_id}/activities", {"page": 2}).content
    assert len(names(html.decode())) == 25
    last = page.get(f"/athletes/{cast.alice.public_id}/activities", {"page": 99}).content
    assert "page 3 of 3" in last.decode() and len(names(last.decode())) == 10


def test_who_sees_the_library(cast, season):
    url = f"/athletes/{cast.alice.public_id}/activities"
    assert signed_in(cast.cora).get(url).status_code == 200  # her coach
    assert signed_in(cast.olga).get(url).status_code == 403  # another club's coach
    assert signed_in(cast.bob).get(url).status_code == 403


def upload(client, athlete, name: str, **form):
    handle = io.BytesIO((ACTIVITY_FILES / name).read_bytes())
    handle.name = name
    return client.post(f"/athletes/{athlete.public_id}/upload", {"file": handle, **form})


def test_an_upload_lands_on_its_run_and_a_duplicate_on_the_run_it_duplicates(cast):
    page = signed_in(cast.alice)
    answer = upload(page, cast.alice, "tcxparser_test_run.tcx")
    run = Activity.objects.get(user=cast.alice)
    assert answer["Location"] == f"/activities/{run.public_id}"
    again = upload(page, cast.alice, "tcxparser_test_run.tcx")
    assert again["Location"] == f"/activities/{run.public_id}"
    shown = page.get(again["Location"]).content.decode()
    assert "Not imported again" in shown
    assert Activity.objects.filter(user=cast.alice).count() == 1


def test_a_file_without_a_sport_is_what_the_athlete_says_and_its_name_follows(cast):
    """API.md: a file that names none is `other`; the upload form and PATCH say what it was,
    and the generated name follows the sport until the athlete names the activity."""
    # A Strava GPX without a <type>: the by-hand file below has none.
    points = "".join(
        f'<trkpt lat="{52 + i * 0.0003:.5f}" lon="13.0"><time>2026-11-20T17:{i // 6:02d}:'
        f"{i % 6 * 10:02d}Z</time></trkpt>"
        for i in range(120)
    )
    gpx = (
        '<?xml version="1.0"?><gpx version="1.1" creator="StravaGPX" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{points}</trkseg></trk></gpx>'
    )
    page = signed_in(cast.bob)
    handle = io.BytesIO(gpx.encode())
    handle.name = "evening.gpx"
    page.post(f"/athletes/{cast.bob.public_id}/upload", {"file": handle, "sport": "run"})
    run = Activity.objects.get(user=cast.bob)
    assert (run.sport, run.name) == ("run", "Evening Run")  # 17:00 in Bob's UTC

    # Through the API, unsaid: `other`; said later by PATCH, the name follows.
    handle = io.BytesIO(gpx.replace("2026-11-20", "2026-11-21").encode())
    handle.name = "evening.gpx"
    api = cast.api(cast.bob)
    other = api.post("/api/v1/activities/upload", {"file": handle}, format="multipart")
    other = other.json()["data"]
    assert (other["sport"], other["name"]) == ("other", "Evening Other")
    renamed = api.patch(f"/api/v1/activities/{other['activity_id']}", {"sport": "run"})
    assert renamed.json()["data"]["name"] == "Evening Run"
    # Named by the athlete, the name stays whatever the sport.
    api.patch(f"/api/v1/activities/{other['activity_id']}", {"name": "Canal loop"})
    kept = api.patch(f"/api/v1/activities/{other['activity_id']}", {"sport": "walk"})
    assert kept.json()["data"]["name"] == "Canal loop"
    # A sport that is not a sport's name is refused, naming the field.
    handle = io.BytesIO(gpx.encode())
    handle.name = "evening.gpx"
    bad = api.post(
        "/api/v1/activities/upload", {"file": handle, "sport": "Run!"}, format="multipart"
    )
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "sport"


def test_the_menu_is_the_same_for_a_role_on_every_page(cast):
    coach = signed_in(cast.cora)
    for url in ("/invitations", "/settings/password", "/athletes", "/club"):
        html = coach.get(url).content.decode()
        for link in (">Athletes<", ">Analytics<", ">Club<", ">Plans<"):
            assert link in html, (url, link)
        assert "Start or join a club" not in html
    athlete = signed_in(cast.alice)
    for url in ("/invitations", f"/athletes/{cast.alice.public_id}", "/settings"):
        html = athlete.get(url).content.decode()
        assert f'href="/athletes/{cast.alice.public_id}/calendar"' in html
        assert f'href="/athletes/{cast.alice.public_id}/activities"' in html
        assert ">Plans<" not in html and "Start or join a club" not in html
    # Someone in no club is offered to start or join one, and lands there.
    newcomer = signed_in(cast.charlie)
    assert "Start or join a club" in newcomer.get("/invitations").content.decode()
    assert newcomer.get("/")["Location"] == "/club"


def test_a_failed_small_form_keeps_what_was_typed_and_says_why_beside_it(cast):
    """A typo in a group's "add athlete", a goal time written wrong: the message stands beside
    the field in plain words, focus goes there and the typed values stay."""
    from organizations.models import Group

    group = Group.objects.create(organization=cast.riverside, name="Sprinters")
    coach = signed_in(cast.cora)
    answer = coach.post(
        "/club",
        {
            "action": "group_add",
            "group_id": group.public_id,
            "athlete": "alcie",
            "anchor": f"#group-{group.public_id}",
        },
    )
    assert answer["Location"].endswith(f"#group-{group.public_id}")
    html = coach.get(answer["Location"]).content.decode()
    assert "No athlete of the club is called “alcie”" in html
    assert 'value="alcie" aria-invalid="true"' in html and "autofocus" in html
    # Renamed, it keeps its members and its place.
    coach.post("/club", {"action": "group_rename", "group_id": group.public_id, "name": "Milers"})
    group.refresh_from_db()
    assert group.name == "Milers"

    athlete = signed_in(cast.alice)
    answer = athlete.post(
        f"/athletes/{cast.alice.public_id}/goal",
        {
            "race_name": "Chicago",
            "race_date": "2027-10-10",
            "distance": "marathon",
            "goal_time": "three thirty",
        },
    )
    html = athlete.get(answer["Location"]).content.decode()
    assert "Write the goal time as hours, minutes and seconds: 3:30:00, or 45:00." in html
    assert 'value="Chicago"' in html and 'value="three thirty"' in html
    assert 'value="2027-10-10"' in html and "goal_time must" not in html
