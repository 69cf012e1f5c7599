"""Page/per_page pagination and the `metadata` block shared by every list."""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from astral.api.errors import ApiError
from astral.api.params import int_param, str_param

MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000  # far past any list; its offset fits PostgreSQL's bigint


@dataclass(frozen=True)
class Page:
    number: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.per_page

    @property
    def limit(self) -> int:
        return self.offset + self.per_page

    def metadata(self, total: int) -> dict[str, Any]:
        total_pages = max(1, math.ceil(total / self.per_page)) if total else 0
        return {
            "total": total,
            "page": self.number,
            "per_page": self.per_page,
            "total_pages": total_pages,
            "has_next": self.number < total_pages,
            "has_prev": self.number > 1,
        }


def page_from(params: Mapping[str, Any], default_per_page: int = 50) -> Page:
    number = int_param(params, "page", default=1, minimum=1, maximum=MAX_PAGE)
    per_page = int_param(
        params, "per_page", default=default_per_page, minimum=1, maximum=MAX_PER_PAGE
    )
    return Page(number=number or 1, per_page=per_page or default_per_page)


def page_number(raw: Any) -> int:
    """A page's number as a page link or a person typed it: anything that is not a number is
    page 1, and a number past MAX_PAGE is MAX_PAGE (the pages then show their last page), so
    no offset overflows (a 20-digit `?page=` was a 500)."""
    try:
        return min(max(1, int(str(raw).strip()[:12])), MAX_PAGE)
    except ValueError:
        return 1


def paginated(items: list[Any], total: int, page: Page, key: str = "items") -> dict[str, Any]:
    return {key: items, "total_count": total, "metadata": page.metadata(total)}


CURSOR_PARAM_LENGTH = 512


@dataclass(frozen=True)
class Walk:
    """One page of a list, by offset (`page`) or after a cursor (`cursor`): API.md §5, "stable
    pages": the cursor names the last row sent, in the list's order, so rows written or
    deleted during a walk neither repeat nor skip the others."""

    rows: list[Any]
    total: int
    page: Page
    next_cursor: str | None

    def answer(self, items: list[Any], key: str) -> dict[str, Any]:
        return {**paginated(items, self.total, self.page, key), "next_cursor": self.next_cursor}


def walk(queryset: Any, order: Sequence[str], params: Mapping[str, Any], name: str) -> Walk:
    """`order`: the list's order, ending in a unique field ("pk"), none of them null;
    `name`: the list's, so that a cursor from another list is refused."""
    page = page_from(params)
    total = queryset.count()
    queryset = queryset.order_by(*order)
    raw = str_param(params, "cursor", CURSOR_PARAM_LENGTH)
    if raw:
        try:
            after = queryset.filter(_after(order, cursor_values(raw, name, len(order))))
            rows = list(after[: page.per_page + 1])
        except (ValueError, TypeError, ValidationError):  # a value of the wrong kind
            raise ApiError("cursor is not one this list gave.", field="cursor") from None
    else:
        rows = list(queryset[page.offset : page.limit + 1])
    more = len(rows) > page.per_page
    rows = rows[: page.per_page]
    cursor = cursor_text(name, [_value(rows[-1], field) for field in order]) if more else None
    return Walk(rows=rows, total=total, page=page, next_cursor=cursor)


def _value(row: Any, field: str) -> Any:
    value = row
    for part in field.lstrip("-").split("__"):
        value = value.pk if part == "pk" else getattr(value, part)
    return value


def cursor_text(name: str, values: list[Any]) -> str:
    """Opaque to clients: the list's name and where its page ended, in its order (the one
    cursor format of the API; a list written in SQL of its own uses it too)."""
    plain = [v.isoformat() if isinstance(v, date | datetime) else v for v in values]
    raw = json.dumps([name, *plain], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_values(text: str, name: str, size: int) -> list[Any]:
    """The values a cursor of list `name` names (`size` of them), or a 400 naming `cursor`."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, UnicodeDecodeError):
        raw = None
    if not (isinstance(raw, list) and len(raw) == size + 1 and raw[0] == name):
        raise ApiError("cursor is not one this list gave.", field="cursor")
    if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in raw[1:]):
        raise ApiError("cursor is not one this list gave.", field="cursor")
    return raw[1:]


def _after(order: Sequence[str], values: list[Any]) -> Q:
    """The rows after `values` in `order`: a > x, or a = x and b > y, … (< where descending)."""
    after = Q(pk__in=[])
    for i, field in enumerate(order):
        same = {f.lstrip("-"): v for f, v in zip(order[:i], values[:i], strict=True)}
        op = "lt" if field.startswith("-") else "gt"
        after |= Q(**same, **{f"{field.lstrip('-')}__{op}": values[i]})
    return after
