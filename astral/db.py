"""Analytics reads can go to a PostgreSQL read replica (`DATABASE_REPLICA_URL`).

Only reads made inside `analytics_reads()` (the analytics API's GET requests) are routed
there; every write, and every read inside a write (duplicate checks under a row lock), stays
on the primary. A replica's lag bounds how stale an analytics answer can be.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings

_analytics_reads: ContextVar[bool] = ContextVar("analytics_reads", default=False)


@contextmanager
def analytics_reads() -> Iterator[None]:
    token = _analytics_reads.set(True)
    try:
        yield
    finally:
        _analytics_reads.reset(token)


def analytics_alias() -> str | None:
    alias = getattr(settings, "ASTRAL_ANALYTICS_DB", None)
    return alias if alias and alias in settings.DATABASES else None


class AnalyticsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if _analytics_reads.get():
            return analytics_alias()
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
