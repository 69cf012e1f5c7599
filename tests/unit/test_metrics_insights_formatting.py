"""METRICS.md §8 insight sentences, §4/§7 formatting and plan progress."""

from datetime import date

import pytest

from metrics.formatting import avg_pace, format_duration, pace_in_units, parse_duration
from metrics.insights import ActivityFacts, GroupFacts, WeekFacts, write_insight


def test_activity_insight_names_distance_pace_zone_and_the_longest_run():
    facts = ActivityFacts(
        "act_1", date(2026, 11, 18), 21097.5, 6300, [600, 5000, 700, 0, 0], 4, 12000
    )
    text = write_insight("activity", facts, "metric")
    # 21.1 km in 1:45:00 -> 4:58.6 /km -> "4:59 /km"; most time in Z2 (marathon).
    assert text == "21.1 km at 4:59 /km, mostly in Z2 (marathon). Longest run in 4 weeks."


def test_activity_insight_in_miles_compares_with_the_four_week_average():
    facts = ActivityFacts("act_1", date(2026, 11, 18), 16093.44, 4800, [4800, 0, 0, 0, 0], 0, 10000)
    text = write_insight("activity", facts, "imperial")
    # 10 mi in 80 min -> 8:00 /mi; 61% longer than a 10 km average.
    assert text == "10.0 mi at 8:00 /mi, mostly in Z1 (easy). 61% longer than your 4-week average."


def test_weekly_insight_includes_change_load_band_streak_and_warnings():
    flags = [
        {"severity": "warning", "message": "HRV fell 15% week over week (60 → 51 ms)"},
        {"severity": "info", "message": "No activity in the last 7 days"},
    ]
    text = write_insight(
        "week", WeekFacts(44000, 40000, 420, 380, 1.12, "optimal", 5, flags), "metric"
    )
    assert text == (
        "This week so far: 44.0 km, up 10% on the same days last week. "
        "Load 420 against 380 on the same days last week. "
        "Acute:chronic ratio 1.12 (optimal). 5-day running streak. "
        "Watch: HRV fell 15% week over week (60 → 51 ms)."
    )


def test_group_insight_lists_who_needs_attention():
    facts = GroupFacts("Sprinters", 120000, 150000, 14, 6, 8, ["Alice", "Bob"])
    assert write_insight("group", facts, "metric") == (
        "Sprinters ran 120.0 km in 14 activities, down 20% on the week before. "
        "6 of 8 athletes were active (75%). Needs attention: Alice, Bob."
    )


def test_a_week_in_progress_says_it_is_compared_with_the_same_days():
    """METRICS.md §8: "vs last week" is this week so far against the same days of last week,
    and the sentence says so."""
    facts = GroupFacts("Sprinters", 30000, 20000, 4, 3, 8, [], in_progress=True)
    assert write_insight("group", facts, "imperial") == (
        "Sprinters has run 18.6 mi in 4 activities so far this week, "
        "up 50% on the same days last week. 3 of 8 athletes were active (38%)."
    )


def test_pace_and_duration_formatting():
    assert avg_pace(3000, 10000) == "5:00"
    assert avg_pace(5999.6, 10000) == "10:00"  # 599.96 s/km rounds to 10:00, not 9:60
    assert avg_pace(100, 0) is None
    assert format_duration(3 * 3600 + 5 * 60) == "3:05:00"
    assert parse_duration("3:05:00") == 11100
    assert parse_duration("45:30") == 2730
    with pytest.raises(ValueError):
        parse_duration("3:60:00")
    assert pace_in_units(300, "imperial") == "8:03 /mi"  # 300 s/km · 1.609344
