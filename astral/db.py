"""Analytics reads can go to a PostgreSQL streaming replica (`DATABASE_REPLICA_URL`).

Only reads made inside `analytics_reads()` (the analytics API's GET requests) are routed
there; every write, and every read inside a write (duplicate checks under a row lock), stays
on the primary.

The replica is used only while it is reachable and its replay lags the primary by at most
`ASTRAL_REPLICA_LAG_SECONDS`. Each process probes it at most every
`REPLICA_PROBE_SECONDS` (the primary's WAL position, then the replica's replay of it), so reads move to the primary within a second
of the replica stopping or falling behind, and come back once it has caught up. A read that
fails on the replica mid-request is answered again from the primary (AnalyticsView).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction

log = logging.getLogger(__name__)

_analytics_reads: ContextVar[bool] = ContextVar("analytics_reads", default=False)

# How often a process asks the replica how far behind it is.
REPLICA_PROBE_SECONDS = 0.5

# On the replica, given the primary's WAL position read just before: 0 when it has replayed
# up to there (an idle primary is no lag), else the seconds since the last commit it
# replayed (conservative: a first write after a quiet hour reads as an hour until replayed);
# 0 on a server that is not in recovery (the tests' alias that mirrors the primary).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_replay_lsn() >= %s::pg_lsn THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 1e9)
END::float8
"""


@dataclass
class ReplicaHealth:
    """What this process last learned about the replica."""

    usable: bool = True
    lag: float | None = None
    checked_at: float = float("-inf")  # time.monotonic()
    reason: str = ""


_health = ReplicaHealth()
_health_lock = threading.Lock()


@contextmanager
def _reads_may_use_replica(allowed: bool) -> Iterator[None]:
    token = _analytics_reads.set(allowed)
    try:
        yield
    finally:
        _analytics_reads.reset(token)


def analytics_reads() -> AbstractContextManager[None]:
    """Reads inside go to the replica while it is healthy."""
    return _reads_may_use_replica(True)


def primary_reads() -> AbstractContextManager[None]:
    """Reads inside stay on the primary (the retry of a read the replica failed)."""
    return _reads_may_use_replica(False)


def configured_alias() -> str | None:
    alias = getattr(settings, "ASTRAL_ANALYTICS_DB", None)
    return alias if alias and alias in settings.DATABASES else None


def analytics_alias() -> str | None:
    """The replica's alias while it is up and caught up, else None (the primary)."""
    alias = configured_alias()
    if alias is None:
        return None
    return alias if replica_health(alias).usable else None


def replica_health(alias: str) -> ReplicaHealth:
    """Probes the replica when the last probe is older than REPLICA_PROBE_SECONDS."""
    now = time.monotonic()
    if now - _health.checked_at < REPLICA_PROBE_SECONDS:
        return _health
    with _health_lock:
        if now - _health.checked_at >= REPLICA_PROBE_SECONDS:
            _probe(alias, now)
    return _health


def _probe(alias: str, now: float) -> None:
    was_usable = _health.usable
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            (primary_lsn,) = cursor.fetchone()
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL, [primary_lsn])
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        connections[alias].close()
        _health.usable, _health.lag, _health.reason = False, None, f"unreachable: {error}"
    else:
        bound = settings.ASTRAL_REPLICA_LAG_SECONDS
        _health.usable, _health.lag = lag <= bound, lag
        _health.reason = "" if _health.usable else f"lags {lag:.1f} s (bound {bound} s)"
    _health.checked_at = now
    if was_usable != _health.usable:
        if _health.usable:
            log.warning("analytics reads back on the replica (lag %.2f s)", _health.lag or 0)
        else:
            log.warning("analytics reads on the primary: replica %s", _health.reason)


def replica_failed(alias: str, error: BaseException) -> None:
    """A read on the replica failed mid-request: the primary serves until the next probe
    finds the replica healthy again."""
    connections[alias].close()
    with _health_lock:
        _health.usable, _health.lag = False, None
        _health.reason = f"failed a read: {error}"
        _health.checked_at = time.monotonic()
    log.warning("analytics reads on the primary: replica %s", _health.reason)


def reset_replica_health() -> None:
    """Forget what was learned (tests switch replicas between them)."""
    with _health_lock:
        _health.usable, _health.lag, _health.reason = True, None, ""
        _health.checked_at = float("-inf")


def reading_from_replica_configured() -> bool:
    """Inside analytics reads, with a replica configured (whether or not it is healthy)."""
    return _analytics_reads.get() and configured_alias() is not None


class AnalyticsReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        # Never None: Django would then read related rows from wherever the instance came
        # from, and an instance read from the replica (or unpickled from the cache) would
        # keep sending reads to a replica that has stopped.
        if _analytics_reads.get():
            return analytics_alias() or "default"
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"


def fetch_rows(alias: str, sql: str, params: Any) -> list[tuple[Any, ...]]:
    """The rows of one statement, through Django's cursor (so query counts and logging see
    it), with timestamps decoded by psycopg's C loader: Django registers a Python one that
    also re-sets each value's zone, a third of a 20-row page's time. The values are the
    same instants, aware, in UTC."""
    from psycopg.types.datetime import TimestamptzLoader

    with connections[alias].cursor() as cursor:
        cursor.cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
        cursor.execute(sql, params)
        return cursor.fetchall()


@contextmanager
def generic_plans(alias: str) -> Iterator[Any]:
    """A cursor whose statements run their generic plans, in a transaction of their own.

    For statements whose every step is pinned to an index by its key (fenced so that no
    estimate can reorder them): PostgreSQL keeps choosing a custom plan for them, planned
    on every call, when its statistics hold many clubs, as the generic plan's estimate
    looks a little costlier; planning was 0.4-0.6 ms of a 0.2 ms statement (issue 36). The
    setting ends with the transaction (inside another one, with that one)."""
    with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        yield cursor
