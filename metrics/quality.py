"""Data quality score: how complete an athlete's set-up is. METRICS.md §6."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    key: str
    ok: bool
    points: int
    hint: str

    def as_dict(self) -> dict[str, Any]:
        # Written out: dataclasses.asdict deep-copies field by field, a tenth of a
        # snapshot's Python at midnight.
        return {"key": self.key, "ok": self.ok, "points": self.points, "hint": self.hint}


def data_quality(
    *,
    has_pace_zones: bool,
    has_vdot: bool,
    has_hr_zones: bool,
    has_max_hr: bool,
    connected_integrations: int,
    timezone_chosen: bool,
    unit_system_chosen: bool,
) -> dict[str, Any]:
    checks = [
        Check(
            "pace_zones",
            has_pace_zones or has_vdot,
            20,
            "Set your pace zones, or a VDOT to derive them from",
        ),
        Check(
            "hr_zones",
            has_hr_zones or has_max_hr,
            20,
            "Set your heart-rate zones or your max heart rate",
        ),
        Check("vdot", has_vdot, 20, "Set your VDOT from a recent race result"),
        Check(
            "integrations", connected_integrations > 0, 20, "Connect Garmin, Strava or Apple Health"
        ),
        Check("timezone", timezone_chosen, 10, "Choose your time zone"),
        Check("unit_system", unit_system_chosen, 10, "Choose kilometres or miles"),
    ]
    score = sum(c.points for c in checks if c.ok)
    return {"score": score, "checks": [c.as_dict() for c in checks]}
