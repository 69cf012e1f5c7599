"""The benchmark's club, built set-based by `data.sql` (no row-by-row inserts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.db import connection

SQL = Path(__file__).with_name("data.sql")


def load_club(*, today: date, athletes: int, days: int, api_key: str) -> None:
    """One organization with `athletes` athletes, two coaches, `days` days of runs and
    health rows ending `today`, groups, goals, plans and an API key `api_key`, into an
    empty database."""
    settings = {
        "astral.today": today.isoformat(),
        "astral.athletes": str(athletes),
        "astral.days": str(days),
        "astral.api_key": api_key,
    }
    with connection.cursor() as cursor:
        for name, value in settings.items():
            cursor.execute("SELECT set_config(%s, %s, false)", [name, value])
        cursor.execute(SQL.read_text())
