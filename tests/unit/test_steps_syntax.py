"""The plan editor's and the calendar's steps, typed as a coach writes them (pages/steps.py):
read in the viewer's units, written back the same way, a part it cannot read named."""

import pytest

from astral.api.errors import ApiError
from pages.steps import parse_steps, steps_text

TYPED = "wu 10:00; 5x work 1 Z4, rec 2:00 HR1; cd lap"


def test_metric_steps_read_and_written_back():
    steps = parse_steps(TYPED, "metric")
    assert steps == [
        {"kind": "warmup", "duration": 600.0},
        {
            "repeat": 5,
            "steps": [
                {"kind": "work", "distance": 1000.0, "target": {"pace_zone": 4}},
                {"kind": "recovery", "duration": 120.0, "target": {"hr_zone": 1}},
            ],
        },
        {"kind": "cooldown"},
    ]
    assert steps_text(steps, "metric") == TYPED


def test_a_mile_coach_types_miles_and_paces_per_mile():
    [step] = parse_steps("work 1 6:30-6:40", "imperial")
    assert step["distance"] == round(1609.344, 1)
    # 6:30 and 6:40 per mile are 390 / 1.609344 and 400 / 1.609344 s per km.
    assert step["target"]["pace"] == [round(390 / 1.609344, 1), round(400 / 1.609344, 1)]
    assert steps_text([step], "imperial") == "work 1 6:30-6:40"


def test_a_part_that_cannot_be_read_is_named():
    with pytest.raises(ApiError) as refused:
        parse_steps("wu 10:00; sprint fast", "metric")
    assert refused.value.field == "steps" and "“sprint fast”" in refused.value.message
    assert parse_steps("  ", "metric") is None
