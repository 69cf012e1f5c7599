"""A file sent read into the activities it holds, before anything is stored: parsed, each
activity's fields checked by the JSON endpoint's rule, named and hashed; and the original kept
as sent."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from athletes import files
from athletes.models import ActivityFile, User, new_event_id
from athletes.plausibility import activity_problem


def activity_name(sport: str, start_time: datetime, tz: Any) -> str:
    """ "Morning Run", "Evening Ride": what runners' apps call an imported activity.

    A computation."""
    hour = start_time.astimezone(tz).hour
    part = (
        "Morning"
        if 5 <= hour < 12
        else "Afternoon"
        if hour < 17
        else "Evening"
        if hour < 22
        else "Night"
    )
    return f"{part} {sport.replace('_', ' ').title()}"


@dataclass
class Upload:
    """One file parsed, its activities' fields ready but for their training context."""

    filename: str
    kind: str
    sent: bytes
    raw: bytes
    legs: list[tuple[dict[str, Any], files.ParsedActivity]]
    warning: str | None


def upload_read(
    user: User, filename: str, content: bytes, *, source: str, sport: str | None
) -> Upload:
    """A file parsed and each of its activities' fields checked (the JSON endpoint's rule),
    named and hashed. Raises UnsupportedFileType, InvalidActivityFile."""
    kind, raw = files.file_kind(filename, content)
    parsed = files.parse(kind, raw)
    if not parsed.legs:
        raise files.InvalidActivityFile("the file holds no activity")
    multisport = len(parsed.legs) > 1
    event = new_event_id() if multisport and parsed.linked else None
    legs = []
    for index, leg in enumerate(parsed.legs):
        if sport and leg.sport == "other":
            leg.sport = sport
        fields = leg.fields()
        problem = activity_problem(
            start_time=leg.start_time,
            distance=fields["distance"],
            duration=fields["duration"],
            avg_heart_rate=fields["avg_heart_rate"],
            max_heart_rate=fields["max_heart_rate"],
        )
        if problem is not None:  # the same rule as the JSON endpoint's
            where = f"leg {index + 1} ({leg.sport}): " if multisport else ""
            raise files.InvalidActivityFile(where + problem[1])
        fields["source"] = source
        # The first leg carries the file's own hash, so the same file is a duplicate;
        # the others a hash of their own (one hash per athlete and activity).
        suffix = b"" if index == 0 else f"#leg{index + 1}".encode()
        fields["content_hash"] = files.content_hash(raw + suffix)
        fields["name"] = activity_name(leg.sport, leg.start_time, user.tz)
        if event:
            fields["multisport_id"], fields["leg"] = event, index + 1
        legs.append((fields, leg))
    return Upload(filename, kind, content, raw, legs, parsed.warning)


def original_file(filename: str, kind: str, sent: bytes, raw: bytes) -> ActivityFile:
    """The file as sent, gzip-compressed (kept as sent when it came compressed): a tenth of a
    GPX's bytes, half a FIT's. Its activity is set by the caller.

    A computation."""
    name = PurePosixPath(filename.replace("\\", "/")).name or f"activity{kind}"
    if name.lower().endswith(".gz"):
        name = name[:-3]
    if not name.lower().endswith(kind):
        name += kind
    data = sent if sent[:2] == b"\x1f\x8b" else gzip.compress(raw, compresslevel=1, mtime=0)
    return ActivityFile(filename=name[-255:], kind=kind, size=len(raw), data=data)
