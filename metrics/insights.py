"""The "Rex" summaries: deterministic sentences from the numbers (METRICS.md §8).

Every text comes out of `write_insight`, so a language-model writer can replace it later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from metrics.formatting import distance_in_units, pace_in_units

ZONE_NAMES = ("easy", "marathon", "threshold", "interval", "repetition")


@dataclass(frozen=True)
class ActivityFacts:
    activity_id: str
    day: date
    distance: float
    duration: float
    zone_times: Sequence[float]  # pace Z1..Z5 seconds
    longest_in_weeks: int  # 0 when not the longest of its kind in the last 4 weeks
    four_week_avg_distance: float | None  # of the activities of its kind
    noun: str = "run"  # what the sentences call it: run, ride, swim, walk, hike, activity


@dataclass(frozen=True)
class WeekFacts:
    """This week so far, against the same days of last week (METRICS.md §8)."""

    distance: float
    last_week_distance: float
    load: float
    last_week_load: float
    acute_chronic_ratio: float | None
    acr_band: str | None
    current_streak: int
    flags: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class GroupFacts:
    """A week of a group against the week before: when the week is still running
    (`in_progress`), both are its days so far (METRICS.md §8)."""

    name: str
    distance: float
    last_week_distance: float
    activities: int
    active_athletes: int
    athlete_count: int
    needs_attention: Sequence[str]  # the first names, most warnings first
    needs_attention_count: int = 0  # all of them
    in_progress: bool = False


def _distance(meters: float, units: str) -> str:
    value, unit = distance_in_units(meters, units)
    return f"{value:.1f} {unit}"


def _change(current: float, previous: float, against: str) -> str:
    """'up 12% on {against}': `against` names exactly what was compared."""
    if previous <= 0:
        return (
            f"nothing to compare on {against}" if current <= 0 else f"up from nothing on {against}"
        )
    pct = (current - previous) / previous * 100
    if abs(pct) < 1:
        return f"level with {against}"
    return f"{'up' if pct > 0 else 'down'} {abs(pct):.0f}% on {against}"


SAME_DAYS = "the same days last week"


def activity_insight(facts: ActivityFacts, units: str) -> str:
    parts = [f"{_distance(facts.distance, units)}"]
    if facts.distance > 0:
        parts[0] += f" at {pace_in_units(facts.duration / (facts.distance / 1000), units)}"
    if any(facts.zone_times):
        dominant = max(range(5), key=lambda i: facts.zone_times[i])
        parts.append(f"mostly in Z{dominant + 1} ({ZONE_NAMES[dominant]})")
    sentence = ", ".join(parts) + "."
    if facts.longest_in_weeks >= 2:
        sentence += f" Longest {facts.noun} in {facts.longest_in_weeks} weeks."
    elif facts.four_week_avg_distance:
        ratio = facts.distance / facts.four_week_avg_distance
        if ratio >= 1.25:
            sentence += f" {ratio - 1:.0%} longer than your 4-week average."
        elif ratio <= 0.75:
            sentence += " A short one compared with your 4-week average."
    return sentence


def weekly_insight(facts: WeekFacts, units: str) -> str:
    sentences = [
        f"This week so far: {_distance(facts.distance, units)}, "
        f"{_change(facts.distance, facts.last_week_distance, SAME_DAYS)}.",
        f"Load {facts.load:.0f} against {facts.last_week_load:.0f} on {SAME_DAYS}.",
    ]
    if facts.acute_chronic_ratio is not None:
        sentences.append(f"Acute:chronic ratio {facts.acute_chronic_ratio:.2f} ({facts.acr_band}).")
    if facts.current_streak >= 2:
        sentences.append(f"{facts.current_streak}-day running streak.")
    warnings = [f["message"] for f in facts.flags if f.get("severity") == "warning"]
    if warnings:
        sentences.append("Watch: " + "; ".join(warnings) + ".")
    return " ".join(sentences)


def group_insight(facts: GroupFacts, units: str) -> str:
    if facts.athlete_count == 0:
        return f"{facts.name} has no athletes yet."
    engagement = facts.active_athletes / facts.athlete_count
    ran, against = ("has run", SAME_DAYS) if facts.in_progress else ("ran", "the week before")
    so_far = " so far this week" if facts.in_progress else ""
    sentences = [
        f"{facts.name} {ran} {_distance(facts.distance, units)} in {facts.activities} "
        f"activities{so_far}, {_change(facts.distance, facts.last_week_distance, against)}.",
        f"{facts.active_athletes} of {facts.athlete_count} athletes were active ({engagement:.0%}).",
    ]
    if facts.needs_attention:
        names = ", ".join(facts.needs_attention[:5])
        more = max(facts.needs_attention_count, len(facts.needs_attention)) - 5
        sentences.append(f"Needs attention: {names}{f' and {more} more' if more > 0 else ''}.")
    return " ".join(sentences)


def write_insight(kind: str, facts: Any, units: str = "metric") -> str:
    """The one entry point for every insight text."""
    if kind == "activity":
        return activity_insight(facts, units)
    if kind == "week":
        return weekly_insight(facts, units)
    if kind == "group":
        return group_insight(facts, units)
    raise ValueError(f"unknown insight kind: {kind}")
