"""The smallest FIT files, written by hand for the cases no freely licensed real file shows
(FIT protocol 2.0: a 14-byte header, definition and data messages, the FIT CRC-16)."""

from __future__ import annotations

import struct
from datetime import UTC, datetime

FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip
# Base types: (FIT code, struct format).
ENUM, UINT8, UINT16, UINT32 = (0x00, "B"), (0x02, "B"), (0x84, "H"), (0x86, "I")


def crc16(data: bytes, crc: int = 0) -> int:
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = CRC_TABLE[crc & 0xF]
            crc = (crc >> 4) & 0x0FFF
            crc = crc ^ tmp ^ CRC_TABLE[nibble]
    return crc


def fit_time(moment: datetime) -> int:
    return int((moment - FIT_EPOCH).total_seconds())


def message(local: int, number: int, fields: list[tuple[int, tuple[int, str], int]]) -> bytes:
    """A definition and one data message: fields are (field number, base type, value)."""
    definition = struct.pack("<BBBHB", 0x40 | local, 0, 0, number, len(fields))
    for field_number, (code, fmt), _ in fields:
        definition += struct.pack("<BBB", field_number, struct.calcsize(fmt), code)
    data = bytes([local]) + b"".join(struct.pack("<" + fmt, v) for _, (_, fmt), v in fields)
    return definition + data


def fit_file(messages: list[bytes]) -> bytes:
    body = b"".join(messages)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", crc16(header))
    return header + body + struct.pack("<H", crc16(header + body))


def file_id(created: datetime, kind: int = 4) -> bytes:
    """kind 4 is an activity, 6 a course."""
    return message(0, 0, [(0, ENUM, kind), (1, UINT16, 1), (4, UINT32, fit_time(created))])


def session(
    start: datetime | int,
    *,
    timer: float,
    elapsed: float,
    distance: float,
    sport: int,
    sub_sport: int,
    avg_hr: int,
    max_hr: int,
) -> bytes:
    """sport 5 is swimming (sub-sport 17 lap swimming); 1 running; 2 cycling."""
    return message(
        1,
        18,
        [
            (253, UINT32, stamp(start) + round(elapsed)),
            (2, UINT32, stamp(start)),
            (7, UINT32, round(elapsed * 1000)),
            (8, UINT32, round(timer * 1000)),
            (9, UINT32, round(distance * 100)),
            (5, ENUM, sport),
            (6, ENUM, sub_sport),
            (16, UINT8, avg_hr),
            (17, UINT8, max_hr),
        ],
    )


def stamp(moment: datetime | int) -> int:
    """A FIT date_time: a real moment, or an int already in device seconds (a clock never
    set counts from power-on, below 0x10000000)."""
    return moment if isinstance(moment, int) else fit_time(moment)


def record(moment: datetime | int, distance: float, heart_rate: int = 0) -> bytes:
    fields = [(253, UINT32, stamp(moment)), (5, UINT32, round(distance * 100))]
    if heart_rate:
        fields.append((3, UINT8, heart_rate))
    return message(2, 20, fields)


def timer_event(moment: datetime | int, kind: str) -> bytes:
    """The timer's start (0) or stop_all (4) event."""
    return message(
        3,
        21,
        [(253, UINT32, stamp(moment)), (0, ENUM, 0), (1, ENUM, {"start": 0, "stop": 4}[kind])],
    )


def lap(start: datetime | int, *, timer: float, elapsed: float, distance: float) -> bytes:
    return message(
        4,
        19,
        [
            (253, UINT32, stamp(start) + round(elapsed)),
            (2, UINT32, stamp(start)),
            (7, UINT32, round(elapsed * 1000)),
            (8, UINT32, round(timer * 1000)),
            (9, UINT32, round(distance * 100)),
        ],
    )


def activity(moment: datetime | int, *, timer: float, sessions: int) -> bytes:
    return message(
        5,
        34,
        [(253, UINT32, stamp(moment)), (0, UINT32, round(timer * 1000)), (1, UINT16, sessions)],
    )


def sport(kind: int) -> bytes:
    return message(6, 12, [(0, ENUM, kind)])


def timestamp_correlation(real: datetime, own: int) -> bytes:
    """Pairs a real time with the device's own seconds since power-on."""
    return message(7, 162, [(253, UINT32, fit_time(real)), (1, UINT32, own)])


def bare_session(*, sport_kind: int, timer: float, distance: float, elapsed: float) -> bytes:
    """A session naming its sport but without its start time or timestamp (broken times)."""
    return message(
        1,
        18,
        [
            (7, UINT32, round(elapsed * 1000)),
            (8, UINT32, round(timer * 1000)),
            (9, UINT32, round(distance * 100)),
            (5, ENUM, sport_kind),
        ],
    )
