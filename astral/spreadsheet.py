"""What a CSV cell holds: every export writes its cells through `cell`, so a name or a note
typed as `=HYPERLINK(…)` reads as text in a spreadsheet, never as a formula (issue 32)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# A spreadsheet reads a cell starting with one of these as a formula (OWASP's CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """Dates as ISO 8601; text that a spreadsheet would run as a formula behind a `'`;
    numbers as they are (a negative number is a number, not a formula)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def row(values: Iterable[Any]) -> list[Any]:
    return [cell(value) for value in values]
