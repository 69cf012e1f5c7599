"""The evidence behind Astral's FIT decoder: fitdecode against Garmin's official
garmin-fit-sdk (what Astral reads FIT with since) on the real FIT files of
../shared/data/activities/: does each read the file, the sessions and records it finds, and
the time to decode (median of 5). Not part of the suite; run with fitdecode on the path:

    pip install --target /tmp/fitdecode fitdecode==0.11.0
    PYTHONPATH=/tmp/fitdecode .venv/bin/python scripts/compare_fit_decoders.py
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from pathlib import Path

import fitdecode
from garmin_fit_sdk import Decoder, Stream

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "activities"


def with_fitdecode(content: bytes) -> tuple[int, int, str]:
    sessions = records = 0
    error = ""
    try:
        with fitdecode.FitReader(io.BytesIO(content), check_crc=fitdecode.CrcCheck.WARN) as fit:
            for frame in fit:
                if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                    sessions += frame.name == "session"
                    records += frame.name == "record"
    except Exception as exc:  # what a damaged file does to it
        error = type(exc).__name__
    return sessions, records, error


def with_sdk(content: bytes) -> tuple[int, int, str]:
    decoder = Decoder(Stream.from_byte_array(bytearray(content)))
    messages, errors = decoder.read(convert_datetimes_to_dates=False)
    return (
        len(messages.get("session_mesgs", [])),
        len(messages.get("record_mesgs", [])),
        type(errors[0]).__name__ if errors else "",
    )


def timed(read: object, content: bytes) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        read(content)  # type: ignore[operator]
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> int:
    print(
        "| file | size | fitdecode sessions/records | ms | garmin-fit-sdk sessions/records | ms |"
    )
    print("|---|---|---|---|---|---|")
    cases = [(p.name, p.read_bytes()) for p in sorted(DATA.glob("*.fit"))]
    whole = (DATA / "bike_paused_fr735xt.fit").read_bytes()
    cases.append(("bike_paused cut at 60 %", whole[: len(whole) * 6 // 10]))
    totals = [0.0, 0.0]
    for name, content in cases:
        a, b = with_fitdecode(content), with_sdk(content)
        ta, tb = timed(with_fitdecode, content), timed(with_sdk, content)
        totals[0] += ta
        totals[1] += tb
        print(
            f"| {name} | {len(content):,} | {a[0]}/{a[1]} {a[2]} | {ta:.1f} | "
            f"{b[0]}/{b[1]} {b[2]} | {tb:.1f} |"
        )
    print(f"| all | | | {totals[0]:.0f} | | {totals[1]:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
