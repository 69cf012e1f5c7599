"""Best efforts, the pace curve and chart reduction (metrics/efforts.py), checked
against numbers worked out by hand on small streams."""

import math

import pytest

from metrics.efforts import CURVE_SECONDS, best_efforts, lttb, pace_curve


def efforts_of(times, distances, **whole):
    whole = {"whole_distance": 0.0, "whole_seconds": 0.0, **whole}
    return {e.key: e for e in best_efforts(times, distances, **whole)}


def test_the_fast_middle_kilometre_is_the_best_1k():
    # 3 km: 5:00, then 3:20, then 5:00 per km, one sample every 10 s.
    times, distances, t, d = [], [], 0.0, 0.0
    for pace in (300, 200, 300):
        for _ in range(pace // 10):
            times.append(t)
            distances.append(d)
            t += 10
            d += 1000 / (pace // 10)
    times.append(t)
    distances.append(d)
    best = efforts_of(times, distances)["1k"]
    assert best.seconds == pytest.approx(200, abs=1e-6)
    assert best.start_offset == pytest.approx(300, abs=1e-6)
    # 400 m inside the fast kilometre: 400 m at 5 m/s = 80 s.
    assert efforts_of(times, distances)["400m"].seconds == pytest.approx(80, abs=1e-6)
    assert "1mi" in efforts_of(times, distances)  # 3 km cover a mile
    assert "5k" not in efforts_of(times, distances)


def test_a_window_ending_between_two_samples_is_interpolated():
    # Samples 0 m @ 0 s, 600 m @ 200 s, 1200 m @ 300 s, 1300 m @ 400 s.
    # Windows of 1000 m: starting at 0 m it ends at 1000 m, 2/3 of the way from 200 s to
    # 300 s: 266.67 s. Ending at 1200 m it starts at 200 m, 1/3 of the way to 200 s: 66.67 s,
    # so 300 - 66.67 = 233.33 s. Ending at 1300 m it starts at 300 m (100 s): 300 s.
    # Starting at 600 m it needs 1600 m: beyond the run. Best: 233.33 s starting at 66.67 s.
    best = efforts_of([0, 200, 300, 400], [0, 600, 1200, 1300])["1k"]
    assert best.seconds == pytest.approx(700 / 3, abs=1e-6)
    assert best.start_offset == pytest.approx(200 / 3, abs=1e-6)


def test_standing_still_before_the_window_is_not_counted():
    # 0 m until 100 s (waiting at the start), then 1000 m in 250 s.
    best = efforts_of([0, 50, 100, 350], [0, 0, 0, 1000])["1k"]
    assert best.seconds == pytest.approx(250)


def test_a_gps_distance_stepping_back_does_not_make_a_faster_window():
    # The distance dips from 900 to 850 m: held at 900, so 1000 m still take 300 s.
    best = efforts_of([0, 100, 200, 300], [0, 900, 850, 1000])["1k"]
    assert best.seconds == pytest.approx(300)


def test_a_hand_entered_run_counts_only_at_a_standard_distance():
    assert efforts_of([], [], whole_distance=5040, whole_seconds=1300)["5k"].seconds == 1300
    assert efforts_of([], [], whole_distance=5060, whole_seconds=1300) == {}  # 1.2 % off
    assert efforts_of([], [], whole_distance=42000, whole_seconds=11000)["marathon"]


def test_the_pace_curve_finds_the_fastest_seconds_anywhere():
    # 10 minutes at 3 m/s, one minute at 5 m/s, 10 minutes at 3 m/s; one sample every second.
    speeds = [3.0] * 600 + [5.0] * 60 + [3.0] * 600
    times, distances, d = [0.0], [0.0], 0.0
    for i, v in enumerate(speeds, start=1):
        d += v
        times.append(float(i))
        distances.append(d)
    curve = dict(zip(CURVE_SECONDS, pace_curve(times, distances), strict=True))
    assert curve[30] == pytest.approx(5.0)
    assert curve[60] == pytest.approx(5.0)
    # 120 s: the fast minute and one more at 3 m/s = (300 + 180) / 120 = 4.0 m/s.
    assert curve[120] == pytest.approx(4.0)
    # The whole 1260 s run is 3*1200 + 300 = 3900 m; 1200 s is the fast minute + 1140 s at 3.
    assert curve[1200] == pytest.approx((300 + 3 * 1140) / 1200)
    assert curve[1500] is None  # longer than the run


def test_the_pace_curve_interpolates_inside_long_gaps():
    # Two samples 100 s apart, 500 m: any 30 s window covers 150 m.
    assert pace_curve([0, 100], [0, 500])[0] == pytest.approx(5.0)


def test_lttb_keeps_a_spike_that_every_nth_sample_loses():
    x = list(range(10_000))
    y = [0.0] * 10_000
    y[5_003] = 100.0  # one spike, away from any every-10th index
    chosen = lttb(x, y, 1000)
    assert len(chosen) <= 1000
    assert 5_003 in chosen
    assert chosen[0] == 0 and chosen[-1] == 9_999
    assert chosen == sorted(chosen)


def test_lttb_leaves_a_short_series_alone():
    assert lttb([0, 1, 2], [1, 2, 3], 1000) == [0, 1, 2]
    wave = lttb(list(range(5000)), [math.sin(i / 50) for i in range(5000)], 500)
    assert len(wave) == 500
