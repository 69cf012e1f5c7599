"""Splits per km computed by hand: the boundary's time is interpolated between samples."""

import pytest

from metrics.splits import splits


def test_a_boundary_between_two_samples_is_interpolated():
    # 0 m at 0 s, 800 m at 240 s, 1,200 m at 400 s: 1,000 m is halfway from 800 to 1,200,
    # so at 320 s. The second split, 200 m, takes 80 s.
    result = splits([0, 240, 400], [0, 800, 1200], [140, 150, 160], [10, 12, 20])
    assert [s.distance for s in result] == [1000, pytest.approx(200)]
    assert result[0].seconds == pytest.approx(320)
    assert result[1].seconds == pytest.approx(80)
    # HR time-weighted: 140 for 240 s, 150 for 80 s, then 150 for the last 80 s.
    assert result[0].avg_heart_rate == pytest.approx((140 * 240 + 150 * 80) / 320)
    assert result[1].avg_heart_rate == pytest.approx(150)
    # Altitude at 1,000 m: 12 + (20 - 12) / 2 = 16: the first split climbs 6 m, the last 4 m.
    assert result[0].elevation_change == pytest.approx(6)
    assert result[1].elevation_change == pytest.approx(4)


def test_a_fast_middle_kilometre_shows_in_its_own_split():
    times = [0, 300, 500, 800]  # 5:00, then 3:20, then 5:00 per km
    result = splits(times, [0, 1000, 2000, 3000])
    assert [round(s.seconds) for s in result] == [300, 200, 300]


def test_miles_and_samples_without_distance():
    mile = 1609.344
    result = splits([0, 10, 480, 600], [0, None, mile, mile + 400], length=mile)
    assert result[0].seconds == pytest.approx(480) and result[0].distance == mile
    assert result[1].distance == pytest.approx(400)
    assert splits([0], [0]) == []
