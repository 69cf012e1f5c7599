"""Page/per_page pagination and the `metadata` block shared by every list."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from astral.api.params import int_param

MAX_PER_PAGE = 200


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
    number = int_param(params, "page", default=1, minimum=1, maximum=1_000_000)
    per_page = int_param(
        params, "per_page", default=default_per_page, minimum=1, maximum=MAX_PER_PAGE
    )
    return Page(number=number or 1, per_page=per_page or default_per_page)


def paginated(items: list[Any], total: int, page: Page, key: str = "items") -> dict[str, Any]:
    return {key: items, "total_count": total, "metadata": page.metadata(total)}
