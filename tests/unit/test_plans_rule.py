"""METRICS.md §7 and API.md "Goals and plans", each rule computed by hand from the text.

Zones used throughout: pace boundaries [300, 270, 250, 230] s/km, so the middle paces are
Z1 300 + 30 = 330, Z2 (300 + 270) / 2 = 285, Z3 260, Z4 240, Z5 230 − 10 = 220, and easy
pace (HR targets, no target) is 330 s/km.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from metrics import plans as rule

ZONES = [300.0, 270.0, 250.0, 230.0]
MON = date(2026, 12, 7)  # a Monday
TUE, WED, THU, FRI = (MON + timedelta(days=n) for n in range(1, 5))


# Dates: "day 1 is Monday; week 1 is the ISO week of the start date" ----------------------


def test_day_one_is_monday_and_week_one_is_the_iso_week_of_the_start():
    # Assigned from a Wednesday: week 1's Monday and Tuesday are before the start.
    assert rule.workout_date(WED, 1, 1) is None
    assert rule.workout_date(WED, 1, 2) is None
    assert rule.workout_date(WED, 1, 3) == WED
    assert rule.workout_date(WED, 2, 1) == date(2026, 12, 14)
    # "The instance ends on the Sunday of week total_weeks."
    assert rule.plan_end(WED, 3) == date(2026, 12, 27)
    assert rule.plan_day(WED, 3, TUE) is None
    assert rule.plan_day(WED, 3, date(2026, 12, 27)) == (3, 7)
    assert rule.plan_day(WED, 3, date(2026, 12, 28)) is None


def test_current_week_counts_iso_weeks_clamped():
    assert rule.current_week(WED, date(2026, 12, 13), 3) == 1  # the Sunday of week 1
    assert rule.current_week(WED, date(2026, 12, 14), 3) == 2  # the next Monday
    assert rule.current_week(WED, date(2026, 12, 1), 3) == 1  # before the start
    assert rule.current_week(WED, date(2027, 3, 1), 3) == 3  # long after


# Planned quantities ------------------------------------------------------------------------

INTERVALS = [
    {"kind": "warmup", "duration": 600},
    {
        "repeat": 5,
        "steps": [
            {"kind": "work", "distance": 1000, "target": {"pace_zone": 4}},
            {"kind": "recovery", "duration": 120, "target": {"hr_zone": 1}},
        ],
    },
    {"kind": "cooldown"},  # open: counts nothing
]


def test_steps_planned_quantities_from_the_athletes_zones():
    workout = rule.Workout(type="intervals", steps=INTERVALS)
    distance, duration = rule.planned_quantities(workout, ZONES)
    # warm-up 600 s at easy 330 s/km; 5 × (1000 m at Z4 240 s/km + 120 s at easy 330 s/km)
    assert distance == pytest.approx(600 / 330 * 1000 + 5 * (1000 + 120 / 330 * 1000))
    assert duration == pytest.approx(600 + 5 * (1000 * 240 / 1000 + 120))
    # Mixed distance and time steps: the key quantity is duration.
    assert rule.key_quantity(workout) == "duration"


def test_on_the_plan_steps_sum_their_own_distances_and_durations():
    assert rule.steps_totals(INTERVALS) == (5000.0, 600.0 + 5 * 120.0)


def test_targets_middle_paces():
    assert rule.target_pace({"pace": [240, 260]}, ZONES) == 250
    assert rule.target_pace({"pace_zone": 1}, ZONES) == 330
    assert rule.target_pace({"pace_zone": 2}, ZONES) == 285
    assert rule.target_pace({"pace_zone": 5}, ZONES) == 220
    assert rule.target_pace({"hr": [140, 150]}, ZONES) == 330
    assert rule.target_pace(None, ZONES) == 330


def test_a_workout_without_steps_gets_its_other_quantity_from_its_zone():
    by_distance = rule.Workout(distance=10_000, pace_zone=2)
    assert rule.planned_quantities(by_distance, ZONES) == (10_000, pytest.approx(2850))
    by_time = rule.Workout(duration=3600)  # no zone: easy pace
    assert rule.planned_quantities(by_time, ZONES)[0] == pytest.approx(3600 / 330 * 1000)
    assert rule.key_quantity(by_distance) == "distance"
    assert rule.key_quantity(by_time) == "duration"
    steps_by_distance = rule.Workout(steps=[{"kind": "work", "distance": 5000}])
    assert rule.key_quantity(steps_by_distance) == "distance"


def test_no_pace_zones_means_vdot_40s():
    # VDOT 40's Z1/Z2 boundary, from §2's 0.74 × VDOT oxygen cost, inverted by hand.
    vo2 = 0.74 * 40
    speed = (-0.182258 + math.sqrt(0.182258**2 + 4 * 0.000104 * (4.60 + vo2))) / 0.000208
    assert rule.zone_boundaries(None, None)[0] == round(60_000 / speed)


def test_planned_load_is_the_pace_trimp_at_the_planned_speed():
    # 10 km in 50 min: v = 200 m/min, VO2 = −4.60 + 0.182258·200 + 0.000104·200² = 36.0116
    x = (-4.60 + 0.182258 * 200 + 0.000104 * 200**2 - 3.5) / (50 - 3.5)
    expected = round(50 * x * 0.64 * math.exp(1.92 * x), 1)
    assert rule.planned_load(10_000, 3000, 50, "male") == expected
    assert rule.planned_load(None, None, 50, "male") == 0.0  # rest day


# Matching ----------------------------------------------------------------------------------


def run(key, day, distance=8000.0, duration=2400.0):
    return rule.Run(key, day, distance, duration)


def test_a_workout_takes_the_runs_of_its_day_adding_up_several():
    taken = rule.match_runs([rule.Due("w", TUE)], [run(1, TUE, 5000), run(2, TUE, 3000)])
    assert [r.key for r in taken["w"]] == [1, 2]


def test_without_a_run_on_its_day_it_takes_the_day_before_then_the_day_after():
    before = rule.match_runs([rule.Due("w", TUE)], [run(1, MON), run(2, WED)])
    assert [r.key for r in before["w"]] == [1]  # Monday first; Wednesday's stays outside
    after = rule.match_runs([rule.Due("w", TUE)], [run(2, WED)])
    assert [r.key for r in after["w"]] == [2]
    two_days_late = rule.match_runs([rule.Due("w", TUE)], [run(3, THU)])
    assert two_days_late["w"] == []


def test_a_run_on_a_day_with_its_own_workout_stays_with_it():
    # Tuesday has nothing; Monday's and Wednesday's runs belong to their own workouts.
    taken = rule.match_runs(
        [rule.Due("mon", MON), rule.Due("tue", TUE), rule.Due("wed", WED)],
        [run(1, MON), run(2, WED)],
    )
    assert [r.key for r in taken["mon"]] == [1]
    assert taken["tue"] == []
    assert [r.key for r in taken["wed"]] == [2]


def test_a_run_counts_once_and_rest_days_take_none():
    # Monday is a rest day: its run is free, and Tuesday (no run) takes it; Wednesday (no
    # run, Tuesday has a workout) cannot, and Thursday is too far.
    taken = rule.match_runs(
        [rule.Due("rest", MON, rest=True), rule.Due("tue", TUE), rule.Due("wed", WED)],
        [run(1, MON)],
    )
    assert "rest" not in taken
    assert [r.key for r in taken["tue"]] == [1]
    assert taken["wed"] == []


# Status and compliance ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        (8000, "done"),  # 0.80
        (12000, "done"),  # 1.20
        (7990, "partial"),
        (5000, "partial"),  # 0.50
        (15000, "partial"),  # 1.50
        (4990, "off"),
        (15010, "off"),
    ],
)
def test_status_bands(done, expected):
    assert rule.status(10_000, done, True, MON, WED) == expected


def test_nothing_taken_is_missed_once_past_and_planned_until_then():
    assert rule.status(10_000, 0, False, MON, WED) == "missed"
    assert rule.status(10_000, 0, False, WED, WED) == "planned"
    assert rule.status(10_000, 0, False, THU, WED) == "planned"


def test_compliance_is_the_mean_of_capped_ratios_of_workouts_due():
    athlete = rule.Athlete(pace_zones=ZONES)
    workouts = [
        ("mon", MON, rule.Workout(distance=10_000)),
        ("tue", TUE, rule.Workout(distance=10_000)),
        ("wed", WED, rule.Workout(distance=5_000)),
        ("thu", THU, rule.Workout(distance=10_000)),
        ("fri", FRI, rule.Workout(type="rest")),
    ]
    # Today is Wednesday: Monday 8 km of 10, Tuesday nothing (Monday and Wednesday have
    # their own workouts), Wednesday 6 km of 5 (capped at 1), Thursday not due yet.
    items = rule.standings(workouts, [run(1, MON, 8000), run(2, WED, 6000)], athlete, WED)
    by_key = {s.key: s for s in items}
    assert [by_key[k].status for k in ("mon", "tue", "wed", "thu")] == [
        "done",
        "missed",
        "done",
        "planned",
    ]
    assert by_key["fri"].status is None  # rest days have no status
    assert rule.compliance(items) == round((0.8 + 0 + 1) / 3, 3)
    # Before anything is due (Monday morning with no run yet): null.
    assert rule.compliance(rule.standings(workouts, [], athlete, MON)) is None


def test_a_workout_by_time_is_judged_on_moving_time():
    athlete = rule.Athlete(pace_zones=ZONES)
    items = rule.standings(
        [("w", MON, rule.Workout(duration=3600))], [run(1, MON, 20_000, 1800)], athlete, TUE
    )
    assert items[0].key_quantity == "duration"
    assert items[0].status == "partial"  # 1800 / 3600 = 0.5, however far it went
    assert rule.compliance(items) == 0.5


# Fitness ahead -----------------------------------------------------------------------------


def test_fitness_ahead_continues_the_same_equations_over_planned_loads():
    ahead = rule.fitness_ahead(42.0, 7.0, MON, {TUE: 42.0}, WED)
    # Tuesday starts at TSB 42 − 7; CTL stays 42; ATL 7 + (42 − 7) / 7 = 12.
    assert ahead[0] == (TUE, 42.0, 12.0, 35.0)
    # Wednesday, no workout: TSB 42 − 12; CTL 42 − 42/42; ATL 12 − 12/7.
    assert ahead[1] == (WED, 41.0, round(12 - 12 / 7, 3), 30.0)
