"""Issue 35: the files whose clock, timer or sport the parser read wrong, each as the
smallest FIT that shows the case, written by hand with tests/fit_writer.py (FIT protocol
2.0; the FIT SDK's Python package decodes but does not encode). Expected values are what
the file's own messages say, added up here."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from athletes.models import Activity
from tests.conftest import assert_error
from tests.fit_writer import (
    activity,
    bare_session,
    file_id,
    fit_file,
    lap,
    record,
    session,
    sport,
    timer_event,
    timestamp_correlation,
)

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 14, 8, 0, tzinfo=UTC)
POWER_ON = 1000  # a clock never set: seconds since the device was switched on


def upload(api, content: bytes, name: str = "run.fit"):
    handle = io.BytesIO(content)
    handle.name = name
    return api.post("/api/v1/activities/upload", {"file": handle}, format="multipart")


def run_records(first, seconds: int = 600, step: int = 10, speed: float = 3.0) -> list[bytes]:
    return [
        record(
            first + t if isinstance(first, int) else first + timedelta(seconds=t), t * speed, 150
        )
        for t in range(0, seconds + 1, step)
    ]


def clockless_run() -> list[bytes]:
    """Ten minutes at 3 m/s recorded by a device whose clock was never set."""
    return [
        *run_records(POWER_ON),
        session(
            POWER_ON,
            timer=600,
            elapsed=600,
            distance=1800,
            sport=1,
            sub_sport=0,
            avg_hr=150,
            max_hr=150,
        ),
    ]


def test_a_fit_whose_clock_was_never_set_has_no_date_and_is_refused(cast):
    """API.md: every timestamp below 0x10000000 is seconds since power-on: no date, 400
    INVALID_FILE saying so (it was stored as a run in 1990)."""
    content = fit_file(clockless_run())
    answer = upload(cast.api(cast.bob), content)
    body = assert_error(answer, 400, "INVALID_FILE", "file")
    assert "clock was never set" in body["error"]
    assert not Activity.objects.exists()


def test_a_clockless_fit_is_placed_by_the_real_time_another_message_pairs_with_it(cast):
    """…unless another message carries a real date to anchor its times: here a
    `timestamp_correlation` says power-on second 1000 was 08:00 on 14 Nov 2026."""
    content = fit_file([timestamp_correlation(START, POWER_ON), *clockless_run()])
    answer = upload(cast.api(cast.bob), content)
    assert answer.status_code == 201, answer.content
    run = answer.json()["data"]
    assert run["start_time"] == "2026-11-14T08:00:00Z"
    assert (run["distance"], run["duration"], run["sport"]) == (1800, 600, "run")


def test_a_session_timer_of_zero_is_the_sum_of_the_timer_events(cast):
    """An Apple Watch ride: the session's timer is 0; its start and stop events add up to
    120 s + 157 s = 277 s of a 318 s outing (the elapsed time)."""
    pause, resume, end = (START + timedelta(seconds=s) for s in (120, 161, 318))
    content = fit_file(
        [
            file_id(START),
            timer_event(START, "start"),
            *run_records(START, seconds=318, step=6, speed=6.0),
            timer_event(pause, "stop"),
            timer_event(resume, "start"),
            timer_event(end, "stop"),
            session(
                START,
                timer=0,
                elapsed=318,
                distance=1662,
                sport=2,
                sub_sport=0,
                avg_hr=130,
                max_hr=150,
            ),
        ]
    )
    run = upload(cast.api(cast.bob), content).json()["data"]
    assert (run["duration"], run["elapsed_time"], run["sport"]) == (277, 318, "ride")


def test_a_fit_without_a_session_takes_its_timer_from_the_activity_and_laps(cast):
    """No session message: the activity message and the two laps say 300 + 288 = 588 s of
    timer; the records alone gave 12 s less."""
    content = fit_file(
        [
            file_id(START),
            *run_records(START, seconds=600, step=10),
            lap(START, timer=300, elapsed=300, distance=900),
            lap(START + timedelta(seconds=300), timer=288, elapsed=300, distance=900),
            activity(START + timedelta(seconds=600), timer=588, sessions=0),
        ]
    )
    run = upload(cast.api(cast.bob), content).json()["data"]
    assert run["duration"] == 588
    # Without the activity message, the laps' own timers add up to the same.
    content = fit_file(
        [
            file_id(START + timedelta(days=1)),
            *run_records(START + timedelta(days=1), seconds=600, step=10),
            lap(START + timedelta(days=1), timer=300, elapsed=300, distance=900),
            lap(START + timedelta(days=1, seconds=300), timer=288, elapsed=300, distance=900),
        ]
    )
    assert upload(cast.api(cast.bob), content).json()["data"]["duration"] == 588


def test_a_session_with_broken_times_still_names_the_sport(cast):
    """The session says cycling (2) but has no start time: the activity is a ride, not
    `other` (API.md: the sport of the FIT session, else the `sport` message, else laps)."""
    content = fit_file(
        [
            file_id(START),
            *run_records(START, seconds=600, step=10, speed=7.0),
            bare_session(sport_kind=2, timer=600, distance=4200, elapsed=600),
        ]
    )
    run = upload(cast.api(cast.bob), content).json()["data"]
    assert run["sport"] == "ride"
    # The `sport` message names it when no session does.
    content = fit_file(
        [
            file_id(START + timedelta(days=1)),
            sport(2),
            *run_records(START + timedelta(days=1), seconds=600, step=10, speed=7.0),
        ]
    )
    assert upload(cast.api(cast.bob), content).json()["data"]["sport"] == "ride"


def _gpx(tracks: list[list[tuple[float, str | None]]]) -> bytes:
    """Tracks of (latitude, time or None) points along one meridian, written by hand."""
    body = "".join(
        "<trk><type>walking</type><trkseg>"
        + "".join(
            f'<trkpt lat="{lat:.6f}" lon="13.0">' + (f"<time>{t}</time>" if t else "") + "</trkpt>"
            for lat, t in points
        )
        + "</trkseg></trk>"
        for points in tracks
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="by hand" '
        f'xmlns="http://www.topografix.com/GPX/1/1">{body}</gpx>'
    ).encode()


METRES_PER_DEGREE = 6_371_000 * 3.141592653589793 / 180  # along a meridian


def test_gpx_points_without_a_time_are_still_distance(cast):
    """A 4.6 km walk of which 5 of 296 points are timed is 4.6 km (it was stored as 347 m);
    four partly untimed tracks minutes apart are one walk of all four tracks' length."""
    step = 0.00014  # degrees of latitude between points: 15.57 m
    # Timed at the start, every 74th point and the end: 15 minutes apart, an hour in all.
    timed = {i * 74: f"2026-05-01T1{i // 4}:{i % 4 * 15:02d}:00Z" for i in range(5)}
    walk = [(52 + i * step, timed.get(i)) for i in range(297)]
    answer = upload(cast.api(cast.bob), _gpx([walk]), "walk.gpx")
    assert answer.status_code == 201, answer.content
    run = answer.json()["data"]
    assert run["distance"] == pytest.approx(296 * step * METRES_PER_DEGREE, rel=0.001)
    assert (run["sport"], run["elapsed_time"]) == ("walk", 3600)

    minutes = {0: "00", 50: "10", 99: "20"}  # each track timed at its start, middle and end
    tracks = [
        [
            (53 + k + i * step, f"2026-05-02T1{k}:{minutes[i]}:00Z" if i in minutes else None)
            for i in range(100)
        ]
        for k in range(4)
    ]
    answer = upload(cast.api(cast.bob), _gpx(tracks), "four.gpx")
    assert answer.status_code == 201, answer.content
    four = answer.json()["data"]
    assert four["distance"] == pytest.approx(4 * 99 * step * METRES_PER_DEGREE, rel=0.001)
