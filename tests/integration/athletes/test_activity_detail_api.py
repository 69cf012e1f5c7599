"""`GET /api/v1/activities/{id}?include=…` (issue 16): the heavy parts of one run on request,
charts reduced on the server, laps as the device recorded them, splits in the caller's units,
and the comment thread under a run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from athletes.models import ActivityComment
from athletes.services import activities as activity_services
from tests.conftest import ACTIVITY_FILES, assert_error
from tests.factories import make_activity

pytestmark = pytest.mark.django_db

# walk_vivoactivehr.tcx: 4 laps of 1000, 1000, 1000 and 988.82 m in 1470.575, 1352.603,
# 864.635 and 807.34 s, lap HR 93, 85, 84, 84 (the README of ../shared/data/activities/).
WALK_LAPS = [
    (1000.0, 1470.575, 93),
    (1000.0, 1352.603, 85),
    (1000.0, 864.635, 84),
    (988.82, 807.34, 84),
]


def upload(athlete, name):
    content = (ACTIVITY_FILES / name).read_bytes()
    return activity_services.activity_import_file(
        user=athlete, filename=name, content=content
    ).first


def test_laps_are_the_devices_and_splits_agree_with_them(cast):
    walk = upload(cast.alice, "walk_vivoactivehr.tcx")
    data = (
        cast.api(cast.alice)
        .get(f"/api/v1/activities/{walk.public_id}", {"include": "laps,splits"})
        .json()["data"]
    )
    laps = [(lap["distance"], lap["seconds"], lap["avg_heart_rate"]) for lap in data["laps"]]
    assert laps == WALK_LAPS
    assert data["splits"]["unit"] == "km"
    rows = data["splits"]["rows"]
    assert len(rows) == 4
    # The device lapped every kilometre: each split's time within 10 s of its lap's (the lap
    # button is pressed on the clock, the split is cut on the measured distance).
    for split, (_, seconds, _) in zip(rows[:3], WALK_LAPS, strict=False):
        assert split["seconds"] == pytest.approx(seconds, abs=10)
        assert split["pace"] == pytest.approx(split["seconds"], abs=0.5)  # 1 km: pace = time


def test_an_imperial_caller_gets_splits_per_mile(cast):
    run = upload(cast.alice, "treadmill_run_fr945.tcx")  # laps of 1609.34 m
    cast.alice.unit_system = "imperial"
    cast.alice.save()
    data = (
        cast.api(cast.alice)
        .get(f"/api/v1/activities/{run.public_id}", {"include": "splits"})
        .json()["data"]
    )
    assert data["splits"]["unit"] == "mi"
    first = data["splits"]["rows"][0]
    assert first["distance"] == pytest.approx(1609.3, abs=0.1)
    assert first["seconds"] == pytest.approx(681.55, abs=10)  # the watch's first mile lap


def test_series_are_reduced_to_a_thousand_points_keeping_the_extremes(cast):
    # A 6-hour run, one sample a second, with one 30-second surge of heart rate to 190.
    samples = []
    for t in range(0, 6 * 3600, 1):
        hr = 190 if 10_000 <= t < 10_030 else 140 + (t % 7)
        samples.append({"t": t, "distance": t * 2.5, "heart_rate": hr, "cadence": 85})
    run = activity_services.activity_create(
        user=cast.alice,
        fields={
            "start_time": datetime(2026, 11, 1, 6, tzinfo=UTC),
            "distance": 54_000,
            "duration": 21_600,
        },
        samples=samples,
    )
    data = (
        cast.api(cast.alice)
        .get(f"/api/v1/activities/{run.public_id}", {"include": "series"})
        .json()["data"]
    )
    hr = data["series"]["heart_rate"]
    assert len(hr["value"]) <= 1000
    assert max(hr["value"]) == 190  # the surge survives the reduction
    assert hr["distance"] == sorted(hr["distance"])
    pace = data["series"]["pace"]["value"]
    assert all(v == pytest.approx(400, abs=0.5) for v in pace)  # 2.5 m/s is 6:40 per km
    assert set(data["series"]["cadence"]["value"]) == {170}  # 85 strides: 170 steps a minute
    assert data["sample_count"] == 6 * 3600


def test_zones_and_best_efforts_come_with_their_places(cast):
    run = upload(cast.alice, "tcxparser_test_run.tcx")
    data = (
        cast.api(cast.cora)
        .get(f"/api/v1/activities/{run.public_id}", {"include": "zones,best_efforts"})
        .json()["data"]
    )
    assert sum(data["zones"]["hr"]["seconds"]) > 0
    assert len(data["zones"]["hr"]["upper_bounds"]) == 5
    keys = [e["distance"] for e in data["best_efforts"]]
    assert keys == ["400m", "1k", "1mi"]  # a 4.7 km run
    assert {e["mark"] for e in data["best_efforts"]} == {"PR"}
    assert data["marks"] == ["PR 400 m", "PR 1 km", "PR 1 mile"]


def test_an_unknown_include_is_a_400_naming_it(cast):
    run = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    response = cast.api(cast.alice).get(f"/api/v1/activities/{run.public_id}", {"include": "maps"})
    body = assert_error(response, 400, field="include")
    assert "maps" in body["error"]


def test_coach_and_athlete_talk_under_a_run(cast):
    run = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    url = f"/api/v1/activities/{run.public_id}/comments"
    coach, athlete = cast.api(cast.cora), cast.api(cast.alice)
    first = coach.post(url, {"text": "Strong finish. Easy tomorrow."})
    assert first.status_code == 201
    assert first.json()["data"]["author_name"] == "Cora Coach"
    assert athlete.post(url, {"text": "Thanks, legs felt good"}).status_code == 201
    thread = athlete.get(url).json()["data"]["comments"]
    assert [c["text"] for c in thread] == [
        "Strong finish. Easy tomorrow.",
        "Thanks, legs felt good",
    ]
    # Only the author deletes a comment.
    comment_id = thread[0]["comment_id"]
    assert_error(athlete.delete(f"{url}/{comment_id}"), 403, "PERMISSION_DENIED")
    assert coach.delete(f"{url}/{comment_id}").status_code == 200
    assert [c["text"] for c in athlete.get(url).json()["data"]["comments"]] == [
        "Thanks, legs felt good"
    ]


def test_comments_need_a_person_who_may_see_the_run_and_some_text(cast):
    run = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    url = f"/api/v1/activities/{run.public_id}/comments"
    assert_error(cast.api(cast.olga).post(url, {"text": "hi"}), 403, "PERMISSION_DENIED")
    assert_error(cast.api(cast.riverside_key).post(url, {"text": "hi"}), 403, "PERMISSION_DENIED")
    assert_error(cast.api(cast.alice).post(url, {"text": "   "}), 400, field="text")
    assert_error(cast.api(cast.alice).post(url, {"text": "x" * 2001}), 400, field="text")
    assert not ActivityComment.objects.exists()
