"""Carrying fitness, fatigue and the streak one day forward (issue 18: the hour after
midnight must not recompute a year) must give what METRICS.md §4 computes over the whole
window: CTL/ATL from 0 on the first day of data, at most 365 days back, and the current
streak within today and the 365 days before."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from metrics.rolling import carried_fitness, fitness_state
from metrics.streaks import carried_streak, streaks

FIRST = date(2025, 1, 1)


def loads(seed: int, days: int, rest: float = 0.3) -> dict[date, float]:
    rng = random.Random(seed)
    return {
        FIRST + timedelta(days=n): round(rng.uniform(20, 180), 1)
        for n in range(days)
        if rng.random() > rest
    }


def test_metrics_md_example_carried_day_by_day():
    """METRICS.md §4: 100 every day from zero gives CTL 2.381 and ATL 14.286 on day 1,
    CTL 63.654 and ATL 99.846 on day 42."""
    every_day = {FIRST + timedelta(days=n): 100.0 for n in range(42)}
    state, _ = fitness_state(every_day, FIRST, FIRST)
    assert (round(state.ctl, 3), round(state.atl, 3)) == (2.381, 14.286)
    for n in range(1, 42):
        state, _ = carried_fitness(state, FIRST, every_day[FIRST + timedelta(days=n)], 0.0)
    assert (round(state.ctl, 3), round(state.atl, 3)) == (63.654, 99.846)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_carried_fitness_equals_the_whole_window_each_day_for_two_years(seed):
    """Day after day for 730 days, through the day the window first moves (day 366) and a
    year of moving it: the carried state never drifts from the recomputed one."""
    daily = loads(seed, 730)
    state, _ = fitness_state(daily, FIRST, FIRST)
    for n in range(1, 730):
        today = FIRST + timedelta(days=n)
        dropped = daily.get(state.start, 0.0)
        state, tsb = carried_fitness(state, FIRST, daily.get(today, 0.0), dropped)
        full, full_tsb = fitness_state(daily, FIRST, today)
        assert state.start == full.start == max(FIRST, today - timedelta(days=364))
        assert state.ctl == pytest.approx(full.ctl, abs=1e-9)
        assert state.atl == pytest.approx(full.atl, abs=1e-9)
        assert tsb == pytest.approx(full_tsb, abs=1e-9)
    assert state.start == today - timedelta(days=364) > FIRST  # the window did move


@pytest.mark.parametrize("pattern", ["random", "every day for 400 days", "gaps"])
def test_carried_streak_equals_counting_again(pattern):
    rng = random.Random(pattern)
    days = 500
    if pattern == "every day for 400 days":
        active = {FIRST + timedelta(days=n) for n in range(days) if n < 400 or n > 440}
    elif pattern == "gaps":
        active = {FIRST + timedelta(days=n) for n in range(days) if n % 9 not in (0, 1)}
    else:
        active = {FIRST + timedelta(days=n) for n in range(days) if rng.random() < 0.8}
    current = streaks(active, FIRST - timedelta(days=365), FIRST).current
    longest_carried = 0
    for n in range(1, days):
        today = FIRST + timedelta(days=n)
        current = carried_streak(
            current, ran_yesterday=today - timedelta(days=1) in active, ran_today=today in active
        )
        assert current == streaks(active, today - timedelta(days=365), today).current, today
        longest_carried = max(longest_carried, current)
    if pattern == "every day for 400 days":
        assert longest_carried == 366  # today and the 365 days before, no more


def test_fitness_starts_no_earlier_than_today_minus_364():
    """METRICS.md §4 (issue 35): CTL/ATL start from 0 on the later of the first day of data
    and today − 364, a window of 365 local days including today. A load 365 days ago is
    outside it; one 364 days ago is its first day: L/42 then 364 days of (41/42)."""
    from datetime import date, timedelta

    from metrics.rolling import fitness_fatigue, fitness_state

    today = date(2026, 12, 7)
    outside = {today - timedelta(days=365): 600.0}
    state, _ = fitness_state(outside, today - timedelta(days=365), today)
    assert (state.ctl, state.atl) == (0.0, 0.0)
    assert state.start == today - timedelta(days=364)

    inside = {today - timedelta(days=364): 600.0}
    state, _ = fitness_state(inside, today - timedelta(days=364), today)
    assert state.ctl == pytest.approx(600 / 42 * (41 / 42) ** 364, rel=1e-9)
    assert state.atl == pytest.approx(600 / 7 * (6 / 7) ** 364, rel=1e-9)
    series = fitness_fatigue(inside, today - timedelta(days=400), today)
    assert len(series) == 365 and series[0].date == today - timedelta(days=364)
