"""Running streaks over local days (API.md `running_streaks`)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int


def streaks(active_days: Collection[date], first: date, today: date) -> Streaks:
    """Current streak ends today, or yesterday when today has no run yet.

    The longest streak is counted within [first, today].
    """
    longest = run = 0
    day = first
    while day <= today:
        run = run + 1 if day in active_days else 0
        longest = max(longest, run)
        day += timedelta(days=1)
    end = today if today in active_days else today - timedelta(days=1)
    current = 0
    while end >= first and end in active_days:
        current += 1
        end -= timedelta(days=1)
    return Streaks(current=current, longest=longest)


# The current streak is counted within the last 366 days (today and the 365 before).
STREAK_WINDOW = 366


def carried_streak(yesterdays: int, ran_yesterday: bool, ran_today: bool) -> int:
    """Today's current streak from yesterday's (`streaks(...).current` over its own 366
    days), equal to counting again: yesterday's counts up to yesterday only if yesterday
    had a run (else it was the streak up to the day before, now broken)."""
    through_yesterday = yesterdays if ran_yesterday else 0
    if ran_today:
        return min(through_yesterday + 1, STREAK_WINDOW)
    return min(through_yesterday, STREAK_WINDOW - 1)
