"""A planned workout for the watch and the phone (API.md "Goals and plans", calendar).

- `fit_workout`: a FIT workout file (`file_id.type = workout`, one `workout`, its
  `workout_step`s with repeats, distance/time/open durations and pace or HR targets as
  ranges in the athlete's own zones), written with Garmin's FIT SDK encoder.
- `steps_in_words`: the same steps as a coach would say them, for the iCalendar feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from garmin_fit_sdk import Encoder, Profile

from metrics import plans as rule
from metrics.formatting import format_duration
from metrics.units import METERS_PER_MILE, meters_per_unit

MESG = Profile["mesg_num"]
INTENSITY = {"warmup": "warmup", "work": "active", "recovery": "recovery", "cooldown": "cooldown"}
Z1_SPAN = 60.0  # s/km: how much slower than the Z1/Z2 boundary easy running may go
Z5_SPAN = 20.0  # s/km: how much faster than the Z4/Z5 boundary


@dataclass(frozen=True)
class Zones:
    """The athlete's zones a watch target is written in: 4 pace boundaries (s/km) and 5 HR
    upper bounds (bpm)."""

    pace: Sequence[float]
    hr: Sequence[float]


def pace_range(target: Mapping[str, Any], zones: Zones) -> tuple[float, float]:
    """(fast, slow) s/km of a pace target."""
    if "pace" in target:
        fast, slow = target["pace"]
        return float(fast), float(slow)
    zone, b = int(target["pace_zone"]), list(zones.pace)
    edges = [b[0] + Z1_SPAN, *b, b[3] - Z5_SPAN]  # slow to fast
    return edges[zone], edges[zone - 1]


def hr_range(target: Mapping[str, Any], zones: Zones) -> tuple[int, int]:
    """(low, high) bpm of an HR target."""
    if "hr" in target:
        low, high = target["hr"]
        return int(low), int(high)
    zone, upper = int(target["hr_zone"]), list(zones.hr)
    low = round(upper[0] * 5 / 6) if zone == 1 else round(upper[zone - 2])  # Z1 from 50 %
    return low, round(upper[zone - 1])


def as_steps(workout: rule.Workout) -> list[Mapping[str, Any]]:
    """A workout without steps as one step: its distance, else its time, else open, at its
    pace zone."""
    if workout.steps:
        return list(workout.steps)
    step: dict[str, Any] = {"kind": "work"}
    if workout.distance:
        step["distance"] = workout.distance
    elif workout.duration:
        step["duration"] = workout.duration
    if workout.pace_zone:
        step["target"] = {"pace_zone": workout.pace_zone}
    return [step]


def _step_mesg(index: int, step: Mapping[str, Any], zones: Zones) -> dict[str, Any]:
    mesg: dict[str, Any] = {
        "mesg_num": MESG["WORKOUT_STEP"],
        "message_index": index,
        "intensity": INTENSITY[step["kind"]],
    }
    if step.get("distance"):
        mesg |= {"duration_type": "distance", "duration_value": round(step["distance"] * 100)}
    elif step.get("duration"):
        mesg |= {"duration_type": "time", "duration_value": round(step["duration"] * 1000)}
    else:
        mesg |= {"duration_type": "open"}
    target = step.get("target") or {}
    if "pace" in target or "pace_zone" in target:
        fast, slow = pace_range(target, zones)
        mesg |= {
            "target_type": "speed",
            "target_value": 0,  # 0: the custom range below, not the watch's own zones
            "custom_target_value_low": round(1_000_000 / slow),  # mm/s
            "custom_target_value_high": round(1_000_000 / fast),
        }
    elif "hr" in target or "hr_zone" in target:
        low, high = hr_range(target, zones)
        mesg |= {
            "target_type": "heart_rate",
            "target_value": 0,
            "custom_target_value_low": low + 100,  # FIT: bpm + 100 (0–100 is % of max)
            "custom_target_value_high": high + 100,
        }
    else:
        mesg |= {"target_type": "open"}
    return mesg


def fit_workout(name: str, workout: rule.Workout, zones: Zones) -> bytes:
    messages: list[dict[str, Any]] = []
    for step in as_steps(workout):
        if "repeat" in step:
            first = len(messages)
            for inner in step["steps"]:
                messages.append(_step_mesg(len(messages), inner, zones))
            messages.append(
                {
                    "mesg_num": MESG["WORKOUT_STEP"],
                    "message_index": len(messages),
                    "duration_type": "repeat_until_steps_cmplt",
                    "duration_value": first,  # the step the repeat goes back to
                    "target_value": int(step["repeat"]),  # how many times in all
                }
            )
        else:
            messages.append(_step_mesg(len(messages), step, zones))
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": MESG["FILE_ID"],
            "type": "workout",
            "manufacturer": "development",
            "product": 0,
            "serial_number": 1,
            "time_created": datetime.now(UTC),
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": MESG["WORKOUT"],
            "sport": "running",
            "num_valid_steps": len(messages),
            "wkt_name": name[:40],
        }
    )
    for mesg in messages:
        encoder.write_mesg(mesg)
    return bytes(encoder.close())


def _distance_words(meters: float, unit_system: str) -> str:
    if unit_system == "imperial":
        return f"{meters / METERS_PER_MILE:.2f} mi"
    return f"{meters / 1000:.1f} km" if meters >= 1000 else f"{meters:.0f} m"


# How a target is said: in words (the iCalendar feed, the calendar page) by default; the
# plan editor's steps syntax passes its own (pages/steps.py).
TARGET_WORDS = {
    "pace_zone": " at pace zone {}",
    "hr_zone": " at HR zone {}",
    "hr": " at {}–{} bpm",
    "pace": " at {}–{} /{}",
}


def describe_target(
    target: Mapping[str, Any] | None, unit_system: str, formats: Mapping[str, str] = TARGET_WORDS
) -> str:
    """A step's target in the viewer's units (a pace range per km or mile)."""
    if not target:
        return ""
    for zone in ("pace_zone", "hr_zone"):
        if zone in target:
            return formats[zone].format(target[zone])
    if "hr" in target:
        return formats["hr"].format(*target["hr"])
    per = meters_per_unit(unit_system) / 1000.0
    fast, slow = (format_duration(p * per) for p in target["pace"])
    return formats["pace"].format(fast, slow, "mi" if unit_system == "imperial" else "km")


def _step_words(step: Mapping[str, Any], unit_system: str) -> str:
    kind = {"warmup": "Warm-up", "work": "Work", "recovery": "Recovery", "cooldown": "Cool-down"}
    if step.get("distance"):
        amount = _distance_words(step["distance"], unit_system)
    elif step.get("duration"):
        amount = format_duration(step["duration"])
    else:
        amount = "until lap"
    return f"{kind[step['kind']]} {amount}{describe_target(step.get('target'), unit_system)}"


def steps_in_words(steps: Sequence[Mapping[str, Any]] | None, unit_system: str) -> list[str]:
    """One line per step: "Warm-up 10:00", "5 × (Work 1.0 km at pace zone 4, Recovery 2:00)"."""
    lines = []
    for step in steps or []:
        if "repeat" in step:
            inner = ", ".join(_step_words(s, unit_system) for s in step["steps"])
            lines.append(f"{step['repeat']} × ({inner})")
        else:
            lines.append(_step_words(step, unit_system))
    return lines
