"""One run in detail: splits in the viewer's units from the stored samples, the route as an
SVG line, and the same rules of who may see it as everywhere else."""

import math
import re
from datetime import UTC, datetime

import pytest

from athletes.services import activities as activity_services
from tests.conftest import ACTIVITY_FILES, signed_in
from tests.factories import make_activity

pytestmark = pytest.mark.django_db


def upload(athlete, name="fitparse_garmin-fenix-5-run.fit"):
    content = (ACTIVITY_FILES / name).read_bytes()
    return activity_services.activity_import_file(
        user=athlete, filename=name, content=content
    ).first


def test_a_real_run_shows_its_splits_route_and_charts(cast):
    activity = upload(cast.alice)
    page = signed_in(cast.cora).get(f"/activities/{activity.public_id}")
    assert page.status_code == 200
    html = page.content.decode()
    table = html.split('data-testid="splits"')[1].split("</table>")[0]
    rows = table.count('<th scope="row">')
    # One row a full kilometre and one for the rest (the stream's own distance).
    assert rows == math.floor(activity.distance / 1000) + 1 or rows == math.ceil(
        activity.distance / 1000
    )
    assert re.search(r'<polyline points="[\d., ]+"', html)  # drawn from the GPS track
    assert 'id="chart-pace"' in html and 'id="chart-hr"' in html


def test_an_imperial_viewer_gets_splits_per_mile(cast):
    activity = upload(cast.alice)
    cast.cora.unit_system = "imperial"
    cast.cora.save()
    html = signed_in(cast.cora).get(f"/activities/{activity.public_id}").content.decode()
    assert "Splits per mi" in html
    table = html.split('data-testid="splits"')[1].split("</table>")[0]
    assert table.count('<th scope="row">') == math.floor(activity.distance / 1609.344) + 1


def test_a_run_entered_by_hand_has_no_splits_and_says_why(cast):
    activity = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    html = signed_in(cast.alice).get(f"/activities/{activity.public_id}").content.decode()
    assert "has no splits" in html and "No GPS track" in html


def test_only_the_athlete_and_their_coaches_see_a_run(cast):
    activity = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    assert signed_in(cast.bob).get(f"/activities/{activity.public_id}").status_code == 403
    assert signed_in(cast.olga).get(f"/activities/{activity.public_id}").status_code == 403
    assert signed_in(cast.alice).get("/activities/act_nope000000000000").status_code == 404


def test_the_athlete_renames_retypes_and_deletes_a_run_and_every_number_follows(cast):
    activity = make_activity(cast.alice, datetime.now(UTC), distance=10_000)
    stats = cast.api(cast.alice).get("/api/v1/analytics/fitness_stats", {"days": 7})
    assert stats.json()["data"]["total_distance"] == 10_000  # cached from now on
    page = signed_in(cast.alice)
    page.post(
        f"/activities/{activity.public_id}/edit",
        {"action": "save", "name": "Park run", "sport": "trail_run"},
    )
    activity.refresh_from_db()
    assert (activity.name, activity.sport) == ("Park run", "trail_run")
    assert (
        signed_in(cast.cora)
        .post(f"/activities/{activity.public_id}/edit", {"action": "delete"})
        .status_code
        == 403
    )  # a coach sees it, but it is the athlete's to delete
    page.post(f"/activities/{activity.public_id}/edit", {"action": "delete"})
    stats = cast.api(cast.alice).get("/api/v1/analytics/fitness_stats", {"days": 7})
    assert stats.json()["data"]["total_distance"] == 0


def test_the_page_shows_laps_efforts_zones_and_a_comment_thread(cast):
    activity = upload(cast.alice, "run_intervals_16laps_fr945.tcx")
    coach = signed_in(cast.cora)
    html = coach.get(f"/activities/{activity.public_id}").content.decode()
    laps = html.split('data-testid="laps"')[1].split("</table>")[0]
    assert laps.count('<th scope="row">') == 16  # the watch's 16 interval laps
    efforts = html.split('data-testid="efforts"')[1].split("</table>")[0]
    assert "10 km" in efforts and "Half marathon" not in efforts  # a 12.9 km run
    assert "PR 10 km" in html  # her first run: every effort is a record
    assert 'data-testid="zones-hr"' in html
    response = coach.post(f"/activities/{activity.public_id}/comments", {"text": "Great reps!"})
    assert response.status_code == 302
    thread = signed_in(cast.alice).get(f"/activities/{activity.public_id}").content.decode()
    assert "Great reps!" in thread.split('data-testid="comments"')[1]


def test_the_athlete_writes_notes_and_an_outsider_cannot_comment(cast):
    activity = upload(cast.alice)
    me = signed_in(cast.alice)
    me.post(
        f"/activities/{activity.public_id}/edit",
        {"action": "save", "name": "Sunday loop", "sport": "run", "notes": "Windy on the hill"},
    )
    html = me.get(f"/activities/{activity.public_id}").content.decode()
    assert "Windy on the hill" in html and "Sunday loop" in html
    response = signed_in(cast.olga).post(
        f"/activities/{activity.public_id}/comments", {"text": "x"}
    )
    assert response.status_code == 403


def test_the_profile_lists_records_marks_and_the_pace_curve(cast):
    activity = upload(cast.alice, "tcxparser_test_run.tcx")
    html = signed_in(cast.cora).get(f"/athletes/{cast.alice.public_id}").content.decode()
    records = html.split('data-testid="records"')[1].split("</table>")[0]
    assert "1 mile" in records and f"/activities/{activity.public_id}" in records
    assert "PR 1 km" in html  # the mark beside the run in recent activities
    assert 'id="chart-pace-curve"' in html


def test_settings_offer_the_vdot_of_the_best_recent_effort(cast):
    now = datetime.now(UTC)
    samples = [{"t": i * 12.0, "distance": i * 50.0} for i in range(101)]  # 5 km in 20:00
    activity_services.activity_create(
        user=cast.alice,
        fields={"start_time": now, "distance": 5000, "duration": 1200},
        samples=samples,
    )
    me = signed_in(cast.alice)
    html = me.get("/settings").content.decode()
    assert "says VDOT 49.8" in html  # Daniels' table: 5 km in 20:00 is 49.8


def test_the_route_lies_on_map_tiles_only_when_a_tile_server_is_set(cast, settings):
    activity = upload(cast.alice, "fitparse_2013-02-06-12-11-14_run.fit")
    offline = signed_in(cast.alice).get(f"/activities/{activity.public_id}").content.decode()
    assert "<polyline" in offline and "<image" not in offline  # no request leaves the page
    settings.ASTRAL_MAP_TILES = "https://tiles.example/{z}/{x}/{y}.png"
    html = signed_in(cast.alice).get(f"/activities/{activity.public_id}").content.decode()
    tiles = re.findall(r'<image href="https://tiles.example/(\d+)/(\d+)/(\d+).png"', html)
    # A 4.8 km loop fits 2 x 2 tiles at its zoom: at most 3 x 3 are drawn, all at one zoom.
    assert 1 <= len(tiles) <= 9 and len({z for z, _, _ in tiles}) == 1
    assert "<polyline" in html


def test_the_vdot_estimate_is_used_when_the_athlete_ticks_it(cast):
    now = datetime.now(UTC)
    samples = [{"t": i * 12.0, "distance": i * 50.0} for i in range(101)]  # 5 km in 20:00
    activity_services.activity_create(
        user=cast.alice, fields={"start_time": now, "distance": 5000, "duration": 1200},
        samples=samples,
    )  # fmt: skip
    me = signed_in(cast.alice)
    form = {
        "display_name": "Alice Andersen",
        "timezone": "America/Chicago",
        "unit_system": "metric",
        "vdot": "",
        "use_estimate": "49.8",
    }
    assert me.post("/settings", form).status_code == 302
    cast.alice.refresh_from_db()
    assert cast.alice.vdot == 49.8


def test_a_run_stored_before_its_page_views_existed_still_shows_them(cast):
    from athletes.models import ActivityStream

    activity = upload(cast.alice)
    ActivityStream.objects.filter(activity=activity).update(views=b"")  # as stored earlier
    html = signed_in(cast.alice).get(f"/activities/{activity.public_id}").content.decode()
    assert html.split('data-testid="splits"')[1].count('<th scope="row">') >= 1
    assert 'id="chart-pace"' in html
