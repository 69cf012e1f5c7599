"""Best efforts, personal records and the pace curve (issue 16): found at import inside each
run, kept exact when a run is edited or deleted, and read by
`GET /api/v1/analytics/personal_records` and `GET /api/v1/analytics/pace_curve`."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from athletes import files
from athletes.models import BestEffort, PaceCurve
from athletes.services import activities as activity_services
from metrics.efforts import CURVE_SECONDS
from tests.conftest import ACTIVITY_FILES, assert_error

pytestmark = pytest.mark.django_db

RECORDS = "/api/v1/analytics/personal_records"
CURVE = "/api/v1/analytics/pace_curve"


def run_with_pace(user, start, paces, step=10.0, sport="run"):
    """A run stored through the API path: one sample every `step` s, each km at its pace."""
    samples, t, d = [], 0.0, 0.0
    for pace in paces:
        count = math.ceil(pace / step)
        for _ in range(count):  # `count` equal steps make exactly 1 km in `pace` seconds
            samples.append({"t": round(t, 3), "distance": round(d, 3)})
            t += pace / count
            d += 1000.0 / count
    samples.append({"t": round(t, 3), "distance": round(d, 3)})
    return activity_services.activity_create(
        user=user,
        fields={"start_time": start, "distance": d, "duration": t, "sport": sport},
        samples=samples,
    )


def brute_force_best(times, distances, length):
    """The reference: every window with one end on a sample, the other end found by walking
    the samples and interpolating linearly, O(n²), written independently of the code."""
    pts = [(t, d) for t, d in zip(times, distances, strict=False) if d is not None]
    for i in range(1, len(pts)):  # distance held when it steps back
        if pts[i][1] < pts[i - 1][1]:
            pts[i] = (pts[i][0], pts[i - 1][1])
    best = None
    for i, (t0, d0) in enumerate(pts):
        for j in range(i + 1, len(pts)):
            if pts[j][1] >= d0 + length:
                (ta, da), (tb, db) = pts[j - 1], pts[j]
                end = ta + (tb - ta) * (d0 + length - da) / (db - da) if db > da else tb
                best = min(best or 1e18, end - t0)
                break
    for j, (t1, d1) in enumerate(pts):
        target = d1 - length
        if target < pts[0][1]:
            continue
        for k in range(j, 0, -1):
            (ta, da), (tb, db) = pts[k - 1], pts[k]
            if da <= target < db:
                start = ta + (tb - ta) * (target - da) / (db - da)
                best = min(best or 1e18, t1 - start)
                break
    return best


def test_a_fast_middle_kilometre_is_the_1k_record(cast):
    start = datetime(2026, 11, 20, 7, tzinfo=UTC)
    run = run_with_pace(cast.alice, start, [300, 210, 300, 300])
    one_k = BestEffort.objects.get(activity=run, distance_key="1k")
    assert one_k.seconds == pytest.approx(210, abs=0.01)
    assert one_k.start_offset == pytest.approx(300, abs=0.01)
    body = cast.api(cast.alice).get(RECORDS).json()["data"]
    record = next(r for r in body["records"] if r["distance"] == "1k")
    assert record["all_time"]["time"] == "3:30"
    assert record["all_time"]["activity_id"] == run.public_id
    assert next(r for r in body["records"] if r["distance"] == "5k")["all_time"] is None


def test_a_real_file_has_the_best_efforts_a_brute_force_finds(cast):
    name = "fitparse_2013-02-06-12-11-14_run.fit"
    content = (ACTIVITY_FILES / name).read_bytes()
    activity = activity_services.activity_import_file(
        user=cast.alice, filename=name, content=content
    ).first
    parsed = files.parse(".fit", content).first
    times = [s["t"] for s in parsed.samples]
    distances = [s["distance"] for s in parsed.samples]
    stored = {e.distance_key: e.seconds for e in BestEffort.objects.filter(activity=activity)}
    # 4.8 km: 400 m, 1 km and a mile, no 5 km.
    assert set(stored) == {"400m", "1k", "1mi"}
    for key, meters in (("400m", 400), ("1k", 1000), ("1mi", 1609.344)):
        assert stored[key] == pytest.approx(brute_force_best(times, distances, meters), abs=0.01)
    # Plausible for a 9:03 /km average run: the best km between 3 and 9 minutes.
    assert 180 < stored["1k"] < 9 * 60 + 3


def test_records_keep_their_history_and_this_year(cast):
    api = cast.api(cast.alice)
    old = run_with_pace(cast.alice, datetime(2025, 3, 1, 8, tzinfo=UTC), [250])  # 4:10
    better = run_with_pace(cast.alice, datetime(2025, 6, 1, 8, tzinfo=UTC), [240])  # 4:00
    run_with_pace(cast.alice, datetime(2025, 9, 1, 8, tzinfo=UTC), [260])  # slower: no record
    this_year = run_with_pace(cast.alice, datetime(2026, 2, 1, 8, tzinfo=UTC), [245])
    record = next(r for r in api.get(RECORDS).json()["data"]["records"] if r["distance"] == "1k")
    assert [h["activity_id"] for h in record["history"]] == [old.public_id, better.public_id]
    assert record["all_time"]["activity_id"] == better.public_id
    assert record["this_year"]["activity_id"] == this_year.public_id
    assert record["efforts"] == 4
    # PR, 2nd, 3rd on each run, by place among all the athlete's efforts.
    listed = {
        a["activity_id"]: a["marks"]
        for a in api.get("/api/v1/activities").json()["data"]["activities"]
    }
    # The 400 m inside each run ranks like its kilometre (the same even pace).
    assert listed[better.public_id] == ["PR 400 m", "PR 1 km"]
    assert listed[this_year.public_id] == ["2nd 400 m", "2nd 1 km"]
    assert listed[old.public_id] == ["3rd 400 m", "3rd 1 km"]


def test_deleting_the_record_run_gives_the_record_back(cast):
    api = cast.api(cast.alice)
    slow = run_with_pace(cast.alice, datetime(2026, 1, 1, 8, tzinfo=UTC), [280])
    fast = run_with_pace(cast.alice, datetime(2026, 1, 5, 8, tzinfo=UTC), [230])
    first = next(r for r in api.get(RECORDS).json()["data"]["records"] if r["distance"] == "1k")
    assert first["all_time"]["activity_id"] == fast.public_id  # and cached now
    assert api.delete(f"/api/v1/activities/{fast.public_id}").status_code == 200
    after = next(r for r in api.get(RECORDS).json()["data"]["records"] if r["distance"] == "1k")
    assert after["all_time"]["activity_id"] == slow.public_id


def test_a_run_retyped_as_a_ride_leaves_the_records(cast):
    api = cast.api(cast.alice)
    ride = run_with_pace(cast.alice, datetime(2026, 1, 5, 8, tzinfo=UTC), [120])
    assert BestEffort.objects.filter(activity=ride).exists()
    api.patch(f"/api/v1/activities/{ride.public_id}", {"sport": "ride"})
    assert not BestEffort.objects.filter(activity=ride).exists()
    assert not PaceCurve.objects.filter(activity=ride).exists()
    one_k = next(r for r in api.get(RECORDS).json()["data"]["records"] if r["distance"] == "1k")
    assert one_k["all_time"] is None


def test_a_hand_entered_10k_counts_and_a_9_8_km_does_not(cast):
    api = cast.api(cast.alice)
    start = "2026-10-04T08:00:00Z"
    api.post("/api/v1/activities", {"start_time": start, "distance": 10_050, "duration": 2700})
    api.post(
        "/api/v1/activities",
        {"start_time": "2026-10-11T08:00:00Z", "distance": 9_800, "duration": 2400},
    )
    ten = next(r for r in api.get(RECORDS).json()["data"]["records"] if r["distance"] == "10k")
    assert ten["all_time"]["time"] == "45:00" and ten["efforts"] == 1


def test_the_vdot_estimate_comes_from_the_best_recent_effort(cast):
    # 5 km in 20:00 is VDOT 49.8 (Daniels' table: 49.8); a 10 km in 50:00 is 40.0.
    now = datetime.now(UTC)
    run_with_pace(cast.alice, now - timedelta(days=10), [240] * 5)
    run_with_pace(cast.alice, now - timedelta(days=20), [300] * 10)
    estimate = cast.api(cast.alice).get(RECORDS).json()["data"]["vdot_estimate"]
    assert estimate["distance"] == "5k"
    assert estimate["vdot"] == pytest.approx(49.8, abs=0.15)


def test_the_pace_curve_takes_the_best_of_every_run(cast):
    api = cast.api(cast.alice)
    now = datetime.now(UTC)
    # Recent: 2 km at 5:00/km (3.333 m/s). Long ago: 1 km at 4:00/km (4.167 m/s).
    run_with_pace(cast.alice, now - timedelta(days=5), [300, 300])
    run_with_pace(cast.alice, now - timedelta(days=400), [240])
    points = {p["seconds"]: p for p in api.get(CURVE, {"days": 90}).json()["data"]["points"]}
    assert [p for p in points] == list(CURVE_SECONDS)
    assert points[60]["recent_speed"] == pytest.approx(1000 / 300, abs=0.001)
    assert points[60]["all_time_speed"] == pytest.approx(1000 / 240, abs=0.001)
    assert points[60]["all_time_pace"] == pytest.approx(240, abs=0.1)
    assert points[600]["recent_speed"] == pytest.approx(1000 / 300, abs=0.001)
    assert points[600]["all_time_speed"] == pytest.approx(
        1000 / 300, abs=0.001
    )  # 4:00 run is 240 s
    assert points[900]["recent_speed"] is None  # no run lasted 15 minutes


def test_records_and_curves_cost_one_statement(cast, django_assert_max_num_queries):
    for day in range(12):
        run_with_pace(cast.alice, datetime(2026, 1, 1 + day, 8, tzinfo=UTC), [300] * 6)
    api = cast.api(cast.cora)
    with django_assert_max_num_queries(12):
        assert api.get(CURVE, {"user_id": cast.alice.public_id}).status_code == 200
    with django_assert_max_num_queries(12):
        assert api.get(RECORDS, {"user_id": cast.alice.public_id}).status_code == 200


def test_nobody_else_reads_an_athletes_records(cast):
    assert_error(
        cast.api(cast.olga).get(RECORDS, {"user_id": cast.alice.public_id}),
        403,
        "PERMISSION_DENIED",
    )
    assert_error(cast.api(cast.alice).get(CURVE, {"days": 0}), 400, field="days")


def test_rebuild_efforts_finds_the_records_of_runs_stored_before_them(cast):
    from django.core.management import call_command

    from tests.factories import make_activity

    # Written straight to the table, as before best efforts existed: a 5 km and a 7 km.
    make_activity(cast.alice, datetime(2026, 5, 1, 8, tzinfo=UTC), distance=5000, duration=1500)
    make_activity(cast.alice, datetime(2026, 5, 8, 8, tzinfo=UTC), distance=7000, duration=2100)
    assert not BestEffort.objects.exists()
    call_command("rebuild_efforts")
    five = next(
        r
        for r in cast.api(cast.alice).get(RECORDS).json()["data"]["records"]
        if r["distance"] == "5k"
    )
    assert five["all_time"]["time"] == "25:00" and five["efforts"] == 1
