"""One rule for what an activity may claim, whether it comes as JSON or in a file: what no
real run, ride or swim records is refused with a 400 naming the field, never stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

EARLIEST_START = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # a watch's clock, or a time zone ahead
HEART_RATE_BPM = (20.0, 260.0)
# Faster than any human-powered sport sustains over a whole activity (a downhill ride's
# average stays far below; 100 m/s is a GPS error or a car).
MAX_AVERAGE_SPEED = 40.0  # m/s


def activity_problem(
    *,
    start_time: datetime | None,
    distance: float | None,
    duration: float | None,
    avg_heart_rate: float | None = None,
    max_heart_rate: float | None = None,
) -> tuple[str, str] | None:
    """(field, message) for the first implausible value, or None."""
    if start_time is not None:
        if start_time < EARLIEST_START:
            return "start_time", "start_time is before 1970."
        if start_time > timezone.now() + FUTURE_SLACK:
            return "start_time", "start_time is in the future."
    low, high = HEART_RATE_BPM
    for field, value in (("avg_heart_rate", avg_heart_rate), ("max_heart_rate", max_heart_rate)):
        if value is not None and not low <= value <= high:
            return (
                field,
                f"{field} of {value:.0f} bpm is not a human heart rate ({low:.0f}-{high:.0f}).",
            )
    if distance and duration and distance / duration > MAX_AVERAGE_SPEED:
        speed = distance / duration
        return "distance", (
            f"{distance:.0f} m in {duration:.0f} s is {speed:.0f} m/s on average, "
            f"faster than any activity (at most {MAX_AVERAGE_SPEED:.0f} m/s)."
        )
    return None
