"""METRICS.md §4–6: rolling figures, attention signals at their thresholds, data quality."""

from datetime import date, timedelta

import pytest

from metrics.attention import WeekOverWeek, attention_flags, attention_rank
from metrics.quality import data_quality
from metrics.rolling import (
    acr_band,
    acute_chronic_ratio,
    fitness_fatigue,
    four_week_avg_load,
)
from metrics.streaks import streaks

NONE = WeekOverWeek(None, None, 0, 0)


def flags(**overrides):
    args = dict(
        hrv=NONE,
        recovery=NONE,
        vo2_max=NONE,
        acute_chronic_ratio=None,
        history_days=0,
        activities_last_7_days=3,
        activities_prior_28_days=10,
    )
    args.update(overrides)
    return [f.code for f in attention_flags(**args)]


@pytest.mark.parametrize(("current", "expected"), [(54.0, ["hrv_drop"]), (54.1, [])])
def test_hrv_drop_fires_at_90_percent(current, expected):
    assert flags(hrv=WeekOverWeek(current, 60.0, 3, 3)) == expected


def test_hrv_drop_needs_three_readings_in_each_week():
    assert flags(hrv=WeekOverWeek(40.0, 60.0, 2, 7)) == []
    assert flags(hrv=WeekOverWeek(40.0, 60.0, 7, 2)) == []


@pytest.mark.parametrize(("current", "expected"), [(68.0, ["recovery_drop"]), (68.1, [])])
def test_recovery_drop_fires_at_85_percent(current, expected):
    assert flags(recovery=WeekOverWeek(current, 80.0, 4, 4)) == expected


def test_vo2max_change_is_a_warning_down_and_info_up_at_3_percent():
    [down] = attention_flags(
        hrv=NONE,
        recovery=NONE,
        vo2_max=WeekOverWeek(48.5, 50.0, 3, 3),
        acute_chronic_ratio=None,
        history_days=0,
        activities_last_7_days=1,
        activities_prior_28_days=1,
    )
    assert (down.code, down.severity, down.change_pct) == ("vo2max_change", "warning", -3.0)
    [up] = attention_flags(
        hrv=NONE,
        recovery=NONE,
        vo2_max=WeekOverWeek(51.5, 50.0, 3, 3),
        acute_chronic_ratio=None,
        history_days=0,
        activities_last_7_days=1,
        activities_prior_28_days=1,
    )
    assert up.severity == "info"
    assert flags(vo2_max=WeekOverWeek(51.4, 50.0, 3, 3)) == []


def test_load_spike_needs_ratio_1_5_and_21_days_of_history():
    assert flags(acute_chronic_ratio=1.5, history_days=21) == ["load_spike"]
    assert flags(acute_chronic_ratio=1.49, history_days=60) == []
    assert flags(acute_chronic_ratio=2.0, history_days=20) == []


def test_inactive_means_nothing_for_7_days_after_something_in_the_28_before():
    assert flags(activities_last_7_days=0, activities_prior_28_days=1) == ["inactive"]
    assert flags(activities_last_7_days=0, activities_prior_28_days=0) == []
    assert flags(activities_last_7_days=1, activities_prior_28_days=5) == []


def test_thresholds_come_from_settings():
    assert flags(hrv=WeekOverWeek(57.0, 60.0, 3, 3)) == []
    relaxed = [
        f.code
        for f in attention_flags(
            hrv=WeekOverWeek(57.0, 60.0, 3, 3),
            recovery=NONE,
            vo2_max=NONE,
            acute_chronic_ratio=None,
            history_days=0,
            activities_last_7_days=1,
            activities_prior_28_days=1,
            thresholds={"hrv_drop_ratio": 0.95},
        )
    ]
    assert relaxed == ["hrv_drop"]


def test_attention_rank_counts_warnings_then_infos():
    assert attention_rank(
        [{"severity": "warning"}, {"severity": "info"}, {"severity": "warning"}]
    ) == (2, 1)


@pytest.mark.parametrize(
    ("setup", "score", "failing"),
    [
        ({}, 0, {"pace_zones", "hr_zones", "vdot", "integrations", "timezone", "unit_system"}),
        ({"has_vdot": True}, 40, {"hr_zones", "integrations", "timezone", "unit_system"}),
        (
            {"has_pace_zones": True},
            20,
            {"hr_zones", "vdot", "integrations", "timezone", "unit_system"},
        ),
        (
            {"has_max_hr": True},
            20,
            {"pace_zones", "vdot", "integrations", "timezone", "unit_system"},
        ),
        (
            {"has_hr_zones": True},
            20,
            {"pace_zones", "vdot", "integrations", "timezone", "unit_system"},
        ),
        (
            {"connected_integrations": 2},
            20,
            {"pace_zones", "hr_zones", "vdot", "timezone", "unit_system"},
        ),
        (
            {"timezone_chosen": True},
            10,
            {"pace_zones", "hr_zones", "vdot", "integrations", "unit_system"},
        ),
        (
            {"unit_system_chosen": True},
            10,
            {"pace_zones", "hr_zones", "vdot", "integrations", "timezone"},
        ),
        (
            {
                "has_vdot": True,
                "has_max_hr": True,
                "connected_integrations": 1,
                "timezone_chosen": True,
                "unit_system_chosen": True,
            },
            100,
            set(),
        ),
    ],
)
def test_data_quality_score_per_check(setup, score, failing):
    args = dict(
        has_pace_zones=False,
        has_vdot=False,
        has_hr_zones=False,
        has_max_hr=False,
        connected_integrations=0,
        timezone_chosen=False,
        unit_system_chosen=False,
    )
    args.update(setup)
    result = data_quality(**args)
    assert result["score"] == score
    assert {c["key"] for c in result["checks"] if not c["ok"]} == failing
    assert all(c["hint"] for c in result["checks"])


def test_fitness_fatigue_worked_example():
    start = date(2026, 1, 1)
    loads = {start + timedelta(days=i): 100.0 for i in range(42)}
    days = fitness_fatigue(loads, start, start + timedelta(days=41))
    assert (round(days[0].ctl, 3), round(days[0].atl, 3)) == (2.381, 14.286)
    assert (round(days[41].ctl, 3), round(days[41].atl, 3)) == (63.654, 99.846)
    assert days[0].tsb == 0
    assert days[1].tsb == pytest.approx(2.381 - 14.286, abs=0.001)


def test_acute_chronic_ratio_and_bands():
    today = date(2026, 11, 18)
    loads = {today - timedelta(days=i): 10.0 for i in range(28)}  # flat: ratio 1.0
    assert acute_chronic_ratio(loads, today) == 1.0
    loads[today] = 80.0  # acute 140, chronic 350 -> 140 / 87.5 = 1.6
    assert acute_chronic_ratio(loads, today) == 1.6
    assert acute_chronic_ratio({}, today) is None
    assert [acr_band(r) for r in (0.79, 0.8, 1.29, 1.3, 1.49, 1.5)] == [
        "low",
        "optimal",
        "optimal",
        "elevated",
        "elevated",
        "high",
    ]


def test_four_week_average_uses_previous_full_iso_weeks():
    today = date(2026, 11, 18)  # Wednesday; this week started 2026-11-16
    loads = {
        date(2026, 11, 16): 500.0,
        date(2026, 11, 10): 100.0,
        date(2026, 10, 19): 300.0,
        date(2026, 10, 18): 999.0,
    }  # 10-18 is in the 5th week back
    assert four_week_avg_load(loads, today) == 100.0


def test_streaks():
    today = date(2026, 11, 18)
    active = {today - timedelta(days=d) for d in (1, 2, 3, 5, 6, 7, 8, 9)}
    result = streaks(active, today - timedelta(days=20), today)
    assert (result.current, result.longest) == (3, 5)
    assert streaks(active | {today}, today - timedelta(days=20), today).current == 4
    assert streaks({today - timedelta(days=2)}, today - timedelta(days=20), today).current == 0
