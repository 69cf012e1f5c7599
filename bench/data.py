"""The benchmark's club, built set-based (no row-by-row inserts).

`data.sql` builds the organization, its people, groups, goals, plans and key; `bulk.sql`
the two big tables (runs and wellness rows), and `analytics.club_totals.BUILD_DAYS_SQL` and
`analytics.rollups.REBUILD_FROM_DAYS_SQL` the runs' local days and month totals, in shards on parallel connections, with the big tables' secondary indexes
and foreign keys dropped during the load and built once after it (a bulk load's usual shape: one sorted pass per index, one join per foreign key, instead of
millions of index insertions and per-row checks).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
from django.db import connection

from analytics.club_totals import BUILD_CLUB_DAYS_SQL, BUILD_DAYS_SQL, BUILD_WEEKS_SQL
from analytics.rollups import REBUILD_FROM_DAYS_SQL
from athletes.services.changes import CHANGES_KEPT

SQL = Path(__file__).with_name("data.sql")
CLUBS = Path(__file__).with_name("clubs.sql")
BULK = Path(__file__).with_name("bulk.sql")
BIG_TABLES = [
    "athletes_activity",
    "athletes_healthmetric",
    "analytics_monthtotals",
    "analytics_athleteday",
    "analytics_athleteweek",
]

# Their rows' triggers, off during the load (the tables' own upkeep is built set-based).
TRIGGERED_TABLES = ["athletes_activity", "athletes_healthmetric"]

# The log of changes (API.md §5) as the service would hold it after these years: the runs and
# wellness rows created in the last 30 days (athletes.services.changes prunes older ones),
# each logged as it came in (a run at its end, a day's readings that morning), in that order.
CHANGES_SQL = """
INSERT INTO athletes_datachange (kind, object_id, user_id, organization_id, change, at)
SELECT kind, object_id, user_id, NULL, 'created', at FROM (
  SELECT 'activity' AS kind, public_id AS object_id, user_id,
         start_time + duration * interval '1 second' AS at
    FROM athletes_activity WHERE start_time >= %(since)s
  UNION ALL
  SELECT 'health_metric', date::text, user_id, date + time '07:00'
    FROM athletes_healthmetric WHERE date >= %(since)s
) c
WHERE at <= now()
ORDER BY at
"""

# Foreign keys and unique constraints of the big tables (their primary keys stay: other
# tables' foreign keys point at them), as (drop, create) statements.
CONSTRAINTS_SQL = """
SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname),
       format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid))
FROM pg_constraint c
WHERE c.conrelid::regclass::text = ANY(%s) AND c.contype IN ('f', 'u')
ORDER BY c.contype DESC  -- unique constraints back before the foreign keys
"""
# Their other indexes.
INDEXES_SQL = """
SELECT format('DROP INDEX %%s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid::regclass::text = ANY(%s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


def _settings(cursor: Any, values: dict[str, str]) -> None:
    for name, value in values.items():
        cursor.execute("SELECT set_config(%s, %s, false)", [name, value])


def _phase(name: str, started: float) -> float:
    print(f"[bench data] {name}: {time.perf_counter() - started:.1f} s", flush=True)
    return time.perf_counter()


def _load_shard(dsn: str, values: dict[str, str]) -> None:
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        _settings(cursor, values)
        cursor.execute("SET synchronous_commit = off")
        # Room to sort and group a shard's runs by athlete and day in memory.
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute(BULK.read_text())
        started = _phase(f"shard {values['astral.shard']}: runs and health rows", started)
        # The shard's local days, then its weeks and month totals from those, set-based (the
        # triggers that keep them are off).
        shard = f"WHERE user_id % {int(values['astral.shards'])} = {int(values['astral.shard'])}"
        cursor.execute(BUILD_DAYS_SQL.replace("{where}", shard.replace("user_id", "x.user_id")))
        started = _phase(f"shard {values['astral.shard']}: athlete days", started)
        cursor.execute(BUILD_WEEKS_SQL.replace("{where}", shard))
        cursor.execute(REBUILD_FROM_DAYS_SQL.replace("{where}", shard))
        _phase(f"shard {values['astral.shard']}: weeks and month totals", started)


def club_halves() -> list[str]:
    """The clubs in two halves of about the same work, for two parallel connections: each
    club, largest first, to the half with fewer athletes so far (one club of 10,000 and its
    twenty groups split 10,000 to 10,000; 2,000 small clubs' 8,000 split evenly)."""
    halves: list[tuple[int, list[int]]] = [(0, []), (0, [])]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, athletes FROM analytics_club ORDER BY athletes DESC, id")
        for club_id, athletes in cursor.fetchall():
            lighter = min(range(2), key=lambda n: halves[n][0])
            total, ids = halves[lighter]
            halves[lighter] = (total + athletes, [*ids, club_id])
    return [f"WHERE c.id = ANY('{{{','.join(map(str, ids))}}}'::bigint[])" for _, ids in halves]


def _load_club_days(dsn: str, where: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute(BUILD_CLUB_DAYS_SQL.replace("{where}", where))


def load_club(
    *,
    today: date,
    athletes: int,
    days: int,
    api_key: str,
    shards: int = 2,
    clubs: int = 0,
    club_size: int = 20,
    club_days: int = 365,
) -> None:
    """One organization with `athletes` athletes, two coaches, `days` days of runs and
    health rows ending `today`, groups, goals, plans and an API key `api_key`, into an
    empty database; beside it, `clubs` small clubs of `club_size` athletes with
    `club_days` days each (bench/clubs.sql)."""
    if connection.in_atomic_block:
        # The shards' connections would wait forever on this transaction's locks.
        raise RuntimeError("load_club commits as it goes: call it outside a transaction")
    values = {
        "astral.today": today.isoformat(),
        "astral.athletes": str(athletes),
        "astral.days": str(days),
        "astral.api_key": api_key,
        "astral.clubs": str(clubs),
        "astral.club_size": str(club_size),
        "astral.club_days": str(club_days),
    }
    started = time.perf_counter()
    with connection.cursor() as cursor:
        _settings(cursor, values)
        cursor.execute(SQL.read_text())
        if clubs:
            cursor.execute(CLUBS.read_text())
        started = _phase(
            "club, people, groups, plans" + (f"; {clubs:,} small clubs" if clubs else ""), started
        )
        cursor.execute(CONSTRAINTS_SQL, [BIG_TABLES])
        constraints = cursor.fetchall()
        cursor.execute(INDEXES_SQL, [BIG_TABLES])
        indexes = cursor.fetchall()
        for drop, _ in [*reversed(constraints), *indexes]:
            cursor.execute(drop)
        # Row-by-row upkeep of the month totals and of the log of changes is for the
        # application's writes; the shards build the totals in one pass each
        # (analytics/rollups.py), and the log holds what it would hold: its last 30 days
        # (CHANGES_SQL; with the trigger on, every one of the 22 M wellness rows of the many
        # clubs' service was logged, row by row through three indexes, half of the build).
        for table in TRIGGERED_TABLES:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        # No autovacuum worker on a table still being loaded (a third process on two cores);
        # the benchmark vacuums and analyzes once the load is done.
        for table in BIG_TABLES:
            cursor.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
    params = connection.get_connection_params()
    dsn = psycopg.conninfo.make_conninfo(
        **{k: v for k, v in params.items() if k in ("host", "port", "dbname", "user", "password")}
    )
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(shards) as pool:
            shard_values = [
                {**values, "astral.shard": str(n), "astral.shards": str(shards)}
                for n in range(shards)
            ]
            list(pool.map(lambda v: _load_shard(dsn, v), shard_values))
    finally:
        with connection.cursor() as cursor:
            for table in TRIGGERED_TABLES:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    started = _phase("shards", started)
    with connection.cursor() as cursor:
        cursor.execute(CHANGES_SQL, {"since": today - CHANGES_KEPT})
    started = _phase("the last 30 days' log of changes", started)
    # The clubs' days from the athletes' days (the clubs' members were kept by the triggers
    # as data.sql made the memberships).
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda where: _load_club_days(dsn, where), club_halves()))
    started = _phase("club days", started)
    # The indexes on two connections at once, largest tables first, each build on one core
    # (a parallel build leaves the second core idle while its leader merges and writes);
    # then the constraints, a table's own after its indexes.
    creates = [create for _, create in indexes]
    creates.sort(key=lambda sql: BIG_TABLES.index(_table_of(sql)))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda sql: _build(dsn, sql), creates))
    with ThreadPoolExecutor(2) as pool:
        by_table: dict[str, list[str]] = {}
        for _, create in constraints:
            by_table.setdefault(_table_of(create), []).append(create)
        list(pool.map(lambda group: [_build(dsn, sql) for sql in group], by_table.values()))
    started = _phase("indexes and foreign keys", started)
    with connection.cursor() as cursor:
        for table in BIG_TABLES:
            cursor.execute(f"ALTER TABLE {table} RESET (autovacuum_enabled)")
        cursor.execute("ANALYZE")
        _phase("analyze", started)


def _table_of(create: str) -> str:
    """The table of a CREATE INDEX or ALTER TABLE statement (as pg_get_*def spell them)."""
    words = create.replace("ONLY ", "").split()
    name = words[words.index("ON") + 1] if words[0] == "CREATE" else words[2]
    return name.removeprefix("public.")


def _build(dsn: str, sql: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 0")
        cursor.execute(sql)
