"""Attention signals: what makes a coach look at an athlete today. METRICS.md §5."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_THRESHOLDS: dict[str, float] = {
    "hrv_drop_ratio": 0.90,
    "recovery_drop_ratio": 0.85,
    "vo2max_change_ratio": 0.03,
    "load_spike_acr": 1.5,
    "load_spike_min_history_days": 21,
    "min_readings_per_week": 3,
}


@dataclass(frozen=True)
class WeekOverWeek:
    current: float | None
    previous: float | None
    current_count: int
    previous_count: int


@dataclass(frozen=True)
class Flag:
    code: str
    metric: str
    severity: str
    current: float | None
    previous: float | None
    change_pct: float | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        # Written out, as metrics.quality's checks: dataclasses.asdict deep-copies each field.
        return {
            "code": self.code,
            "metric": self.metric,
            "severity": self.severity,
            "current": self.current,
            "previous": self.previous,
            "change_pct": self.change_pct,
            "message": self.message,
        }


def _change_pct(current: float, previous: float) -> float:
    return round((current - previous) / previous * 100, 1)


def _comparable(reading: WeekOverWeek, min_readings: float) -> bool:
    return (
        reading.current is not None
        and reading.previous is not None
        and reading.previous > 0
        and reading.current_count >= min_readings
        and reading.previous_count >= min_readings
    )


def attention_flags(
    *,
    hrv: WeekOverWeek,
    recovery: WeekOverWeek,
    vo2_max: WeekOverWeek,
    acute_chronic_ratio: float | None,
    history_days: int,
    activities_last_7_days: int,
    activities_prior_28_days: int,
    days_since_last_activity: int | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> list[Flag]:
    t = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    min_readings = t["min_readings_per_week"]
    flags: list[Flag] = []
    if _comparable(hrv, min_readings):
        cur, prev = float(hrv.current), float(hrv.previous)  # type: ignore[arg-type]
        if cur <= t["hrv_drop_ratio"] * prev:
            pct = _change_pct(cur, prev)
            flags.append(
                Flag(
                    "hrv_drop",
                    "hrv_avg",
                    "warning",
                    cur,
                    prev,
                    pct,
                    f"HRV fell {abs(pct):.0f}% week over week ({prev:g} → {cur:g} ms)",
                )
            )
    if _comparable(recovery, min_readings):
        cur, prev = float(recovery.current), float(recovery.previous)  # type: ignore[arg-type]
        if cur <= t["recovery_drop_ratio"] * prev:
            pct = _change_pct(cur, prev)
            flags.append(
                Flag(
                    "recovery_drop",
                    "recovery_score",
                    "warning",
                    cur,
                    prev,
                    pct,
                    f"Recovery fell {abs(pct):.0f}% week over week ({prev:g} → {cur:g})",
                )
            )
    if _comparable(vo2_max, min_readings):
        cur, prev = float(vo2_max.current), float(vo2_max.previous)  # type: ignore[arg-type]
        if abs(cur - prev) >= t["vo2max_change_ratio"] * prev:
            pct = _change_pct(cur, prev)
            down = cur < prev
            flags.append(
                Flag(
                    "vo2max_change",
                    "vo2_max",
                    "warning" if down else "info",
                    cur,
                    prev,
                    pct,
                    f"VO2max {'fell' if down else 'rose'} {abs(pct):.1f}% ({prev:g} → {cur:g})",
                )
            )
    if (
        acute_chronic_ratio is not None
        and acute_chronic_ratio >= t["load_spike_acr"]
        and history_days >= t["load_spike_min_history_days"]
    ):
        flags.append(
            Flag(
                "load_spike",
                "acute_chronic_ratio",
                "warning",
                acute_chronic_ratio,
                None,
                None,
                f"Acute:chronic load ratio is {acute_chronic_ratio:.2f} (injury risk)",
            )
        )
    if activities_last_7_days == 0 and activities_prior_28_days > 0:
        flags.append(
            Flag(
                "inactive",
                "days_since_last_activity",
                "info",
                days_since_last_activity,  # METRICS.md §5: what `current` is for this flag
                None,
                None,
                f"No activity in the last {days_since_last_activity or 7} days",
            )
        )
    return flags


def attention_rank(flags: list[dict[str, Any]]) -> tuple[int, int]:
    """Sort key for `ordering=-attention`: warnings first, then infos."""
    warnings = sum(1 for f in flags if f.get("severity") == "warning")
    infos = sum(1 for f in flags if f.get("severity") == "info")
    return warnings, infos
