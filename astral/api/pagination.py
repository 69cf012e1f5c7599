"""Page/per_page pagination and the `metadata` block shared by every list."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from astral.api.params import int_param

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
