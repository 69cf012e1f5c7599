"""Structured workouts typed as a coach writes them (as intervals.icu's text builder does),
in the viewer's units, one parser and one writer for the plan editor and the calendar:

    wu 10:00; 5x work 1 Z4, rec 2:00 HR1; cd lap

- Steps are separated by `;` or new lines; `5x` repeats the comma-separated steps after it.
- A step is its kind (`wu`/`warmup`, `work`, `rec`/`recovery`, `cd`/`cooldown`), then how it
  ends: a time (`10:00`, `1:05:00`), a distance (`1`, `1.5` in the viewer's km or mi, or
  `400m`, `5km`, `3mi`), or `lap` (the lap button); then an optional target: `Z1`–`Z5`
  (pace zone), `HR1`–`HR5` (HR zone), `4:00-4:10` (pace range per km or mi), `150-160bpm`.

The API's own rule (`StepsField`) checks the result; a line this cannot read is an ApiError
naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from analytics.workout_files import describe_target
from astral.api.errors import ApiError
from metrics.formatting import format_duration, parse_duration
from metrics.units import METERS_PER_MILE, meters_per_unit

KINDS = {
    "wu": "warmup",
    "warmup": "warmup",
    "work": "work",
    "rec": "recovery",
    "recovery": "recovery",
    "cd": "cooldown",
    "cooldown": "cooldown",
}
SHORT = {"warmup": "wu", "work": "work", "recovery": "rec", "cooldown": "cd"}
REPEAT = re.compile(r"^(\d+)\s*[x×]\s*(.+)$", re.IGNORECASE)
DISTANCE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(m|km|mi)?$", re.IGNORECASE)
PACE_RANGE = re.compile(r"^(\d+:\d\d)\s*-\s*(\d+:\d\d)$")
HR_RANGE = re.compile(r"^(\d+)\s*-\s*(\d+)\s*bpm$", re.IGNORECASE)
HELP = (
    "Steps like “wu 10:00; 5x work 1 Z4, rec 2:00 HR1; cd lap”: kind (wu, work, rec, cd), "
    "then a time, a distance or lap, then Z1–Z5, HR1–HR5, a pace range or 150-160bpm."
)


def _amount(text: str, per_unit: float) -> dict[str, float]:
    if text.lower() == "lap":
        return {}
    if ":" in text:
        return {"duration": float(parse_duration(text))}
    match = DISTANCE.match(text)
    if not match:
        raise ValueError(text)
    value = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "").lower()
    factor = {"m": 1.0, "km": 1000.0, "mi": METERS_PER_MILE}.get(unit, per_unit)
    return {"distance": round(value * factor, 1)}


def _target(text: str, per_unit: float) -> dict[str, Any]:
    upper = text.upper()
    if re.fullmatch(r"Z[1-5]", upper):
        return {"pace_zone": int(upper[1])}
    if re.fullmatch(r"HR[1-5]", upper):
        return {"hr_zone": int(upper[2])}
    if match := PACE_RANGE.match(text):
        # Typed per km or mile; stored per km, fast then slow.
        paces = sorted(parse_duration(p) * 1000.0 / per_unit for p in match.groups())
        return {"pace": [round(paces[0], 1), round(paces[1], 1)]}
    if match := HR_RANGE.match(text):
        return {"hr": sorted(int(v) for v in match.groups())}
    raise ValueError(text)


def _step(text: str, per_unit: float) -> dict[str, Any]:
    words = text.split()
    if not words or words[0].lower() not in KINDS:
        raise ValueError(text)
    step: dict[str, Any] = {"kind": KINDS[words[0].lower()]}
    if len(words) > 1:
        step.update(_amount(words[1], per_unit))
    if len(words) > 2:
        step["target"] = _target(" ".join(words[2:]), per_unit)
    return step


def parse_steps(text: str, unit_system: str) -> list[dict[str, Any]] | None:
    """The steps typed, or None for an empty text; ApiError (field `steps`) naming the part
    it cannot read."""
    per_unit = meters_per_unit(unit_system)
    out: list[dict[str, Any]] = []
    for part in re.split(r"[;\n]+", text or ""):
        part = part.strip()
        if not part:
            continue
        try:
            if match := REPEAT.match(part):
                inner = [_step(s.strip(), per_unit) for s in match.group(2).split(",")]
                out.append({"repeat": int(match.group(1)), "steps": inner})
            else:
                out.append(_step(part, per_unit))
        except ValueError:
            raise ApiError(f"Cannot read “{part}”. {HELP}", field="steps") from None
    return out or None


def _amount_text(step: Mapping[str, Any], unit_system: str) -> str:
    if step.get("distance"):
        meters = float(step["distance"])
        if meters < 1000 and unit_system != "imperial":
            return f"{meters:.0f}m"
        value = meters / meters_per_unit(unit_system)
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if step.get("duration"):
        return format_duration(step["duration"]) or "lap"
    return "lap"


STEPS_SYNTAX = {"pace_zone": " Z{}", "hr_zone": " HR{}", "hr": " {}-{}bpm", "pace": " {}-{}"}


def _step_text(step: Mapping[str, Any], unit_system: str) -> str:
    amount = _amount_text(step, unit_system)
    return f"{SHORT[step['kind']]} {amount}{describe_target(step.get('target'), unit_system, STEPS_SYNTAX)}"


def steps_text(steps: Sequence[Mapping[str, Any]] | None, unit_system: str) -> str:
    """The steps written back in the same syntax, in the viewer's units."""
    parts = []
    for step in steps or []:
        if "repeat" in step:
            inner = ", ".join(_step_text(s, unit_system) for s in step["steps"])
            parts.append(f"{step['repeat']}x {inner}")
        else:
            parts.append(_step_text(step, unit_system))
    return "; ".join(parts)
