"""Rolling figures over local days. METRICS.md §4."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta


def iso_week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def days_between(first: date, last: date) -> list[date]:
    """Every day from first to last, inclusive (by ordinal: no date arithmetic per day)."""
    return [date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1)]


def sum_days(daily: Mapping[date, float], first: date, last: date) -> float:
    return sum(daily.get(d, 0.0) for d in days_between(first, last))


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def this_and_last_week(daily: Mapping[date, float], today: date) -> tuple[float, float]:
    """The sum over this ISO week so far (Monday through today) and over the same days of
    last week (Monday through today's weekday a week ago): METRICS.md §8, "vs last week"
    is never a part-week against a whole one."""
    monday = iso_week_start(today)
    week_ago = timedelta(days=7)
    return sum_days(daily, monday, today), sum_days(daily, monday - week_ago, today - week_ago)


def change_pct(current: float, previous: float) -> float | None:
    """Percent change, one decimal; None when there is nothing to compare with."""
    return round((current - previous) / previous * 100, 1) if previous > 0 else None


def current_week_load(daily_load: Mapping[date, float], today: date) -> float:
    return round(sum_days(daily_load, iso_week_start(today), today), 1)


def four_week_avg_load(daily_load: Mapping[date, float], today: date) -> float:
    """Mean weekly load of the 4 previous full ISO weeks."""
    this_monday = iso_week_start(today)
    first = this_monday - timedelta(weeks=4)
    return round(sum_days(daily_load, first, this_monday - timedelta(days=1)) / 4, 1)


def acute_chronic_ratio(daily_load: Mapping[date, float], today: date) -> float | None:
    """(load of the last 7 days) ÷ (load of the last 28 days ÷ 4); null when 28-day load is 0."""
    acute = sum_days(daily_load, today - timedelta(days=6), today)
    chronic = sum_days(daily_load, today - timedelta(days=27), today)
    if chronic <= 0:
        return None
    return round(acute / (chronic / 4), 2)


def acr_band(ratio: float | None) -> str | None:
    if ratio is None:
        return None
    if ratio < 0.8:
        return "low"
    if ratio < 1.3:
        return "optimal"
    if ratio < 1.5:
        return "elevated"
    return "high"


@dataclass(frozen=True)
class FitnessDay:
    date: date
    ctl: float
    atl: float
    tsb: float


# METRICS.md §4: CTL/ATL start from 0 on the later of the first day of data and today − 364,
# a window of 365 local days including today.
FITNESS_WINDOW_DAYS = 365


def fitness_fatigue(
    daily_load: Mapping[date, float], first_day: date, today: date
) -> list[FitnessDay]:
    """CTL/ATL/TSB (TrainingPeaks): from 0 on the later of the first day of data and
    today − 364 (METRICS.md §4).

    TSB of a day is yesterday's CTL − ATL: the form you start the day with.
    """
    start = max(first_day, today - timedelta(days=FITNESS_WINDOW_DAYS - 1))
    ctl = atl = 0.0
    out: list[FitnessDay] = []
    for day in days_between(start, today):
        tsb = ctl - atl
        load = daily_load.get(day, 0.0)
        ctl += (load - ctl) / 42
        atl += (load - atl) / 7
        out.append(FitnessDay(day, round(ctl, 3), round(atl, 3), round(tsb, 3)))
    return out


@dataclass(frozen=True)
class FitnessState:
    """Where the CTL/ATL recursion stands at the end of `day`, unrounded, and the day it
    started from (the first day of data, at most 365 days back): what the next day's
    figures are carried forward from."""

    day: date
    start: date
    ctl: float
    atl: float


def fitness_state(
    daily_load: Mapping[date, float], first_day: date, today: date
) -> tuple[FitnessState, float]:
    """Today's state and TSB: the last day of `fitness_fatigue`, unrounded, without building
    the series."""
    start = max(first_day, today - timedelta(days=FITNESS_WINDOW_DAYS - 1))
    ctl = atl = tsb = 0.0
    day = start
    one = timedelta(days=1)
    while day <= today:
        tsb = ctl - atl
        load = daily_load.get(day, 0.0)
        ctl += (load - ctl) / 42
        atl += (load - atl) / 7
        day += one
    return FitnessState(today, start, ctl, atl), tsb


def carried_fitness(
    previous: FitnessState, first_day: date, load_today: float, load_dropped: float
) -> tuple[FitnessState, float]:
    """The state and TSB one day after `previous`, from that day's load alone, equal to
    `fitness_state` over the whole window. The recursion makes yesterday's CTL the sum over
    its window of L_d/42·(41/42)^(yesterday − d) (ATL: L_d/7·(6/7)^...), so when the
    365-day window moves on, the day that leaves it (`previous.start`, whose load is
    `load_dropped`) is taken out of yesterday's values before today's step."""
    today = previous.day + timedelta(days=1)
    start = max(first_day, today - timedelta(days=FITNESS_WINDOW_DAYS - 1))
    ctl, atl = previous.ctl, previous.atl
    if start > previous.start:  # by one day: yesterday's first day leaves the window
        age = (previous.day - previous.start).days
        ctl -= load_dropped / 42 * (41 / 42) ** age
        atl -= load_dropped / 7 * (6 / 7) ** age
    tsb = ctl - atl
    ctl += (load_today - ctl) / 42
    atl += (load_today - atl) / 7
    return FitnessState(today, start, ctl, atl), tsb


def window_mean(
    readings: Mapping[date, float | None], first: date, last: date
) -> tuple[float | None, int]:
    """Mean of the readings on days first..last, and how many there were."""
    values = [v for d, v in readings.items() if first <= d <= last and v is not None]
    return round1(mean(values)), len(values)


def normal_ranges(
    series: Sequence[tuple[date, float | None]], window: int, minimum: int = 14
) -> list[tuple[float, float] | None]:
    """For each point, the band HRV apps draw as "normal": the mean of the readings among it
    and the window−1 before, ± one standard deviation; None with fewer than `minimum`."""
    out: list[tuple[float, float] | None] = []
    for index in range(len(series)):
        values = [v for _, v in series[max(0, index - window + 1) : index + 1] if v is not None]
        if len(values) < minimum:
            out.append(None)
            continue
        centre, spread = statistics.fmean(values), statistics.stdev(values)
        out.append((round(centre - spread, 1), round(centre + spread, 1)))
    return out


def trailing_means(series: Sequence[tuple[date, float | None]], window: int) -> list[float | None]:
    """For each point, the mean of the non-null values among it and the window−1 before."""
    out: list[float | None] = []
    for index in range(len(series)):
        values = [v for _, v in series[max(0, index - window + 1) : index + 1] if v is not None]
        out.append(round1(mean(values)))
    return out
