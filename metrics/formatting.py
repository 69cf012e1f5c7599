"""How numbers read: paces, durations, distances in the viewer's units."""

from __future__ import annotations

from metrics.units import METERS_PER_MILE


def format_pace(seconds_per_km: float | None) -> str | None:
    """`M:SS`, rounded to the second; minutes may exceed 59."""
    if seconds_per_km is None:
        return None
    total = round(seconds_per_km)
    return f"{total // 60}:{total % 60:02d}"


def avg_pace(total_duration_s: float, total_distance_m: float) -> str | None:
    if total_distance_m <= 0:
        return None
    return format_pace(total_duration_s / (total_distance_m / 1000.0))


def format_duration(seconds: float | None) -> str | None:
    """`H:MM:SS` (goal times), or `M:SS` under an hour."""
    if seconds is None:
        return None
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def parse_duration(text: str) -> int:
    """`H:MM:SS` or `M:SS` to seconds; raises ValueError on anything else."""
    parts = text.strip().split(":")
    if not 2 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise ValueError("expected H:MM:SS")
    numbers = [int(p) for p in parts]
    if any(n >= 60 for n in numbers[1:]):
        raise ValueError("minutes and seconds must be below 60")
    if len(numbers) == 2:
        return numbers[0] * 60 + numbers[1]
    return numbers[0] * 3600 + numbers[1] * 60 + numbers[2]


def distance_in_units(meters: float, unit_system: str) -> tuple[float, str]:
    if unit_system == "imperial":
        return meters / METERS_PER_MILE, "mi"
    return meters / 1000.0, "km"


def pace_in_units(seconds_per_km: float | None, unit_system: str) -> str | None:
    if seconds_per_km is None:
        return None
    if unit_system == "imperial":
        return format_pace(seconds_per_km * METERS_PER_MILE / 1000.0) + " /mi"  # type: ignore[operator]
    return format_pace(seconds_per_km) + " /km"  # type: ignore[operator]
