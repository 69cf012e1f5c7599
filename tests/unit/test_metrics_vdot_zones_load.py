"""METRICS.md §1–3 worked examples, against the pure functions."""

import pytest

from metrics.load import calories_estimate, training_load, trimp
from metrics.vdot import (
    pace_zone_boundaries,
    predict_race_seconds,
    training_paces,
    vdot_from_race,
)
from metrics.zones import (
    Sample,
    default_hr_zones,
    effective_max_hr,
    effective_resting_hr,
    hr_zone_of,
    pace_zone_of,
    zone_times,
)


@pytest.mark.parametrize(
    ("distance", "seconds", "expected"),
    [
        (5000, 20 * 60, 49.81),
        (5000, 25 * 60, 38.31),
        (10000, 40 * 60, 51.94),
        (21097.5, 90 * 60, 50.98),
        (42195, 3 * 3600, 53.53),
        (42195, 3 * 3600 + 5 * 60, 51.82),
        (42195, 4 * 3600, 37.90),
    ],
)
def test_vdot_matches_the_worked_examples(distance, seconds, expected):
    assert vdot_from_race(distance, seconds) == pytest.approx(expected, abs=0.01)


def test_race_prediction_inverts_vdot():
    # A VDOT of exactly what a 3:00:00 marathon gives predicts 3:00:00 back.
    vdot = vdot_from_race(42195, 3 * 3600)
    assert predict_race_seconds(vdot, 42195) == pytest.approx(3 * 3600, abs=1)


@pytest.mark.parametrize(
    ("distance", "published"),
    [
        (5000, 19 * 60 + 57),
        (10000, 41 * 60 + 21),
        (21097.5, 5495),
        (42195, 3 * 3600 + 10 * 60 + 49),
    ],
)
def test_predictions_for_vdot_50_are_near_the_published_table(distance, published):
    # The formula and Daniels' table agree within about 0.1 VDOT, i.e. within ~1 %.
    assert predict_race_seconds(50, distance) == pytest.approx(published, rel=0.012)


def test_training_paces_for_vdot_50_match_the_published_table():
    paces = training_paces(50)
    # Published: M 4:32, T 4:15, I 3:55 per km (within a few seconds).
    assert paces["M"] == pytest.approx(4 * 60 + 32, abs=5)
    assert paces["T"] == pytest.approx(4 * 60 + 15, abs=5)
    assert paces["I"] == pytest.approx(3 * 60 + 55, abs=5)


def test_pace_zone_boundaries_for_vdot_50():
    # METRICS.md §2: about 4:53, 4:25, 4:06 and 3:50 per km.
    assert pace_zone_boundaries(50) == pytest.approx([293, 265, 246, 230], abs=1)


def test_pace_zone_of_assigns_slow_to_z1_and_fast_to_z5():
    bounds = [293, 265, 246, 230]
    assert pace_zone_of(360, bounds) == 1
    assert pace_zone_of(280, bounds) == 2
    assert pace_zone_of(250, bounds) == 3
    assert pace_zone_of(240, bounds) == 4
    assert pace_zone_of(200, bounds) == 5


def test_hr_zones_default_to_percent_of_max():
    assert default_hr_zones(200) == [120, 140, 160, 180, 200]
    assert hr_zone_of(119, [120, 140, 160, 180, 200]) == 1
    assert hr_zone_of(150, [120, 140, 160, 180, 200]) == 3
    assert hr_zone_of(205, [120, 140, 160, 180, 200]) == 5


def test_max_hr_uses_tanaka_then_190():
    from datetime import date

    assert effective_max_hr(None, date(1986, 1, 1), date(2026, 1, 1)) == pytest.approx(180)
    assert effective_max_hr(None, None, date(2026, 1, 1)) == 190
    assert effective_max_hr(185, date(1986, 1, 1), date(2026, 1, 1)) == 185


def test_resting_hr_is_median_of_recent_readings_then_profile_then_60():
    assert effective_resting_hr([50, 70, 52], 44) == 52
    assert effective_resting_hr([], 44) == 44
    assert effective_resting_hr([], None) == 60


@pytest.mark.parametrize(
    ("minutes", "hr", "rest", "peak", "male", "female"),
    [
        (60, 150, 60, 190, 100.44, 113.52),
        (30, 160, 50, 190, 68.19, 75.29),
        (90, 140, 55, 185, 132.16, 150.81),
        (45, 170, 60, 200, 102.29, 112.94),
    ],
)
def test_trimp_matches_the_worked_examples(minutes, hr, rest, peak, male, female):
    x = (hr - rest) / (peak - rest)
    assert trimp(minutes, x, "male") == pytest.approx(male, abs=0.01)
    assert trimp(minutes, x, "female") == pytest.approx(female, abs=0.01)


def test_training_load_from_average_hr_is_rounded_to_one_decimal():
    load = training_load(
        duration=3600,
        distance=12000,
        avg_heart_rate=150,
        samples=[],
        resting_hr=60,
        max_hr=190,
        vdot=None,
        sex=None,
    )
    assert load == 100.4


def test_training_load_without_hr_uses_pace_against_vdot():
    # 10 km in 50 min = 200 m/min: VO2 = -4.6 + 36.4516 + 4.16 = 36.0116;
    # x = (36.0116 - 3.5) / (40 - 3.5) = 0.89073; e^(1.92x) = 5.5302;
    # 50 · 0.89073 · 0.64 · 5.5302 = 157.6
    load = training_load(
        duration=3000,
        distance=10000,
        avg_heart_rate=None,
        samples=[],
        resting_hr=60,
        max_hr=190,
        vdot=None,
        sex="male",
    )
    assert load == 157.6


def test_training_load_with_hr_stream_skips_stopped_intervals():
    samples = [
        Sample(0, 0, 150),
        Sample(60, 200, 150),  # moving 60 s at x = 90/130
        Sample(120, 200, 150),  # stopped: 0 m in 60 s
    ]
    load = training_load(
        duration=60,
        distance=200,
        avg_heart_rate=150,
        samples=samples,
        resting_hr=60,
        max_hr=190,
        vdot=None,
        sex="male",
    )
    # One minute of the 60-minute example: 100.44 / 60 = 1.674 -> 1.7
    assert load == 1.7


def test_zone_times_from_samples_add_up_to_moving_duration():
    bounds = [293, 265, 246, 230]
    samples = [
        Sample(0, 0),
        Sample(300, 1000),  # 5:00/km -> Z1
        Sample(540, 2000),  # 4:00/km -> Z4
        Sample(600, 2000),  # stopped
        Sample(810, 3000),  # 3:30/km -> Z5
    ]
    times = zone_times(
        samples=samples,
        duration=750,
        distance=3000,
        avg_heart_rate=None,
        pace_boundaries=bounds,
        hr_bounds=[120, 140, 160, 180, 200],
    )
    assert times.pace == pytest.approx((300, 0, 0, 240, 210))
    assert sum(times.pace) == pytest.approx(750, abs=1)


def test_zone_times_without_samples_use_the_average_pace_and_hr():
    times = zone_times(
        samples=[],
        duration=3000,
        distance=10000,
        avg_heart_rate=150,
        pace_boundaries=[293, 265, 246, 230],
        hr_bounds=[114, 133, 152, 171, 190],
    )
    # 5:00/km is slower than 4:53 -> all in Z1; HR 150 is under 152 -> Z3.
    assert times.pace == (3000, 0, 0, 0, 0)
    assert times.hr == (0, 0, 3000, 0, 0)


def test_calories_default_to_weight_times_distance():
    assert calories_estimate(10_000, 60) == 600
    assert calories_estimate(5_000, None) == 350


def test_the_hrv_normal_range_is_the_trailing_mean_plus_or_minus_one_sd():
    """HRV apps' band: 60-day mean ± 1 SD (sample SD), none before 14 readings."""
    from datetime import date, timedelta

    from metrics.rolling import normal_ranges

    start = date(2026, 9, 1)
    # Alternating 50 and 70 ms: mean 60, sample SD over n readings sqrt(100 n / (n - 1)).
    series = [(start + timedelta(days=i), 50.0 if i % 2 else 70.0) for i in range(20)]
    bands = normal_ranges(series, window=60)
    assert bands[12] is None  # 13 readings
    low, high = bands[19]
    spread = (100 * 20 / 19) ** 0.5  # 20 readings, 10 of each
    assert (low, high) == (round(60 - spread, 1), round(60 + spread, 1))
    gaps = [(d, None if i % 3 else v) for i, (d, v) in enumerate(series)]
    assert all(band is None for band in normal_ranges(gaps, window=60))  # 7 readings only
