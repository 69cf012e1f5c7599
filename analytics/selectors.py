"""Aggregate SQL behind the analytics: sums per local day, week or month, done in the
database in the requested time zone. Returns plain dicts and dataclasses, not model rows."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, Protocol

from django.db import connections
from django.db.models import Avg, Count, DateField, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth, TruncWeek

from astral.localtime import local_midnight
from athletes.models import RUNNING_SPORTS, Activity, HealthMetric, User
from metrics.plans import Run as PlanRun

PACE_ZONES = [f"pace_z{i}_time" for i in range(1, 6)]
SUM_FIELDS = ["distance", "duration", "training_load", "calories", "elevation_gain", *PACE_ZONES]


def read_alias() -> str:
    """The connection analytics reads use: the replica inside `analytics_reads()` when one
    is configured (astral/db.py), else the primary."""
    return Activity.objects.db


def activity_buckets(
    user: User,
    *,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    granularity: str,
    sport: str | None = None,
) -> dict[date, dict[str, float]]:
    """Totals per local day/ISO week/month for activities starting in [start, end)."""
    rows = _activity_buckets_sql(
        user, start, end, tz, granularity, sport, SUM_FIELDS, rounded=False
    )
    names = [*SUM_FIELDS, "runs"]
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}


_TRUNC = {"day": "day", "week": "week", "month": "month"}


def _zone_sql(tz: tzinfo) -> tuple[str, str]:
    """`AT TIME ZONE` operand: an IANA name, or an interval for a fixed offset (ISO sign)."""
    if isinstance(tz, zoneinfo.ZoneInfo):
        return "%s", tz.key
    offset = tz.utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return "%s::interval", f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def bucket_points(
    user: User, *, start: datetime, end: datetime, tz: tzinfo, granularity: str, columns: list[str]
) -> dict[date, tuple[Any, ...]]:
    """Per bucket, the row a chart point is made of: (bucket, *sums of `columns` to one
    decimal, count), rounded by PostgreSQL (half to even, as its `round` of a double)."""
    rows = _activity_buckets_sql(user, start, end, tz, granularity, None, columns, rounded=True)
    return {row[0]: tuple(row) for row in rows}


def _activity_buckets_sql(
    user: User,
    start: datetime,
    end: datetime,
    tz: tzinfo,
    granularity: str,
    sport: str | None,
    columns: list[str],
    *,
    rounded: bool,
) -> list[tuple[Any, ...]]:
    """The bucket aggregate as one plain statement: the hottest query of the API, without
    the ORM's compilation and per-value conversion (half of its time at 400 buckets)."""
    zone, zone_param = _zone_sql(tz)
    template = "round(COALESCE(SUM({}), 0) * 10) / 10" if rounded else "COALESCE(SUM({}), 0)"
    # A zone time summed over activities none of which has it stays null (METRICS.md §2).
    unknown = "round(SUM({}) * 10) / 10" if rounded else "SUM({})"
    sums = ", ".join(
        (unknown if name in PACE_ZONES else template).format(_column(name)) for name in columns
    )
    sql = (
        f"SELECT date_trunc('{_TRUNC[granularity]}', start_time AT TIME ZONE {zone})::date, "  # noqa: S608
        f"{sums}, COUNT(*) FROM athletes_activity "
        "WHERE user_id = %s AND start_time >= %s AND start_time < %s"
        + (" AND sport = %s" if sport else "")
        + " GROUP BY 1"
    )
    params: list[Any] = [zone_param, user.pk, start, end, *([sport] if sport else [])]
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _column(name: str) -> str:
    if name not in SUM_FIELDS:  # the names are ours, never a caller's
        raise ValueError(f"not a summed column: {name}")
    return name


def activity_totals(user: User, *, start: datetime, end: datetime) -> dict[str, Any]:
    """Totals over [start, end), with a duration-weighted mean HR over activities with HR."""
    return Activity.objects.filter(user=user, start_time__gte=start, start_time__lt=end).aggregate(
        runs=Count("id"),
        total_distance=Coalesce(Sum("distance"), 0.0),
        total_duration=Coalesce(Sum("duration"), 0.0),
        hr_weighted=Sum(
            F("avg_heart_rate") * F("duration"), filter=Q(avg_heart_rate__isnull=False)
        ),
        hr_duration=Sum("duration", filter=Q(avg_heart_rate__isnull=False)),
    )


def health_buckets(
    user: User, *, first: date, last: date, granularity: str
) -> dict[date, dict[str, Any]]:
    """Means of the daily readings per day/ISO week/month (dates are already local days)."""
    queryset = HealthMetric.objects.filter(user=user, date__gte=first, date__lte=last)
    # API.md: `samples` counts the days with a reading of a metric the series shows (a day
    # with only its sleep logged is not one).
    read = (
        Q(resting_hr__isnull=False)
        | Q(hrv__isnull=False)
        | Q(vo2_max__isnull=False)
        | Q(recovery_score__isnull=False)
    )
    if granularity == "day":
        rows = queryset.filter(read).values(
            "date", "resting_hr", "hrv", "vo2_max", "recovery_score"
        )
        return {row.pop("date"): {**row, "samples": 1} for row in rows}
    trunc = TruncWeek if granularity == "week" else TruncMonth
    rows = (
        queryset.annotate(bucket=trunc("date", output_field=DateField()))
        .values("bucket")
        .annotate(samples=Count("id", filter=read))  # before the means take the fields' names
        .annotate(
            resting_hr=Avg("resting_hr"),
            hrv=Avg("hrv"),
            vo2_max=Avg("vo2_max"),
            recovery_score=Avg("recovery_score"),
        )
        .order_by()
    )
    return {row.pop("bucket"): row for row in rows}


def daily_readings(user: User, *, first: date, last: date) -> dict[date, dict[str, float | None]]:
    rows = HealthMetric.objects.filter(user=user, date__gte=first, date__lte=last).values(
        "date", "resting_hr", "hrv", "vo2_max", "recovery_score"
    )
    return {row.pop("date"): row for row in rows}


def daily_loads_and_distance(
    user: User, *, first: date, last: date, tz: tzinfo
) -> dict[date, dict[str, float]]:
    return activity_buckets(
        user,
        start=local_midnight(first, tz),
        end=local_midnight(last + timedelta(days=1), tz),
        tz=tz,
        granularity="day",
    )


def activity_bounds(user: User) -> tuple[datetime | None, datetime | None]:
    """The first and the last activity start of the athlete."""
    row = Activity.objects.filter(user=user).aggregate(
        first=Min("start_time"), last=Max("start_time")
    )
    return row["first"], row["last"]


class Timezoned(Protocol):
    """A user model instance, or any lighter record of one."""

    @property
    def pk(self) -> Any: ...

    @property
    def tz_name(self) -> str: ...


def users_by_timezone(users: Iterable[Timezoned]) -> dict[str, list[int]]:
    by_tz: dict[str, list[int]] = defaultdict(list)
    for user in users:
        by_tz[user.tz_name].append(user.pk)
    return by_tz


def daily_totals_by_user(
    users: Iterable[Timezoned],
    *,
    first: date,
    last: date,
    fields: tuple[str, ...] = tuple(SUM_FIELDS),
) -> dict[int, dict[date, dict[str, float]]]:
    """Sums per user per local day in each user's own time zone.

    One query per distinct time zone among the users (a club has few), never per user.
    """
    for name in fields:
        if name not in SUM_FIELDS:
            raise ValueError(f"not a summable activity column: {name}")
    sums = ", ".join(f"COALESCE(SUM({name}), 0)" for name in fields)
    sql = (
        f"SELECT user_id, (start_time AT TIME ZONE %s)::date, {sums}, COUNT(*) "  # noqa: S608
        "FROM athletes_activity WHERE user_id = ANY(%s) AND start_time >= %s AND start_time < %s "
        "GROUP BY 1, 2"
    )
    names = [*fields, "runs"]
    out: dict[int, dict[date, dict[str, float]]] = defaultdict(dict)
    with connections[read_alias()].cursor() as cursor:
        for tz_name, ids in users_by_timezone(users).items():
            tz = zoneinfo.ZoneInfo(tz_name)
            start = local_midnight(first, tz)
            end = local_midnight(last + timedelta(days=1), tz)
            cursor.execute(sql, [tz_name, ids, start, end])
            for user_id, day, *values in cursor.fetchall():
                out[user_id][day] = dict(zip(names, values, strict=True))
    return out


def runs_by_user(
    users: Iterable[Timezoned], *, first: date, last: date
) -> dict[int, list[PlanRun]]:
    """Each user's runs (running sports) on their local days first..last, as METRICS.md §7
    matches them to planned workouts: one query per distinct time zone."""
    sql = (
        "SELECT user_id, id, (start_time AT TIME ZONE %s)::date, distance, duration "
        "FROM athletes_activity WHERE user_id = ANY(%s) AND sport = ANY(%s) "
        "AND start_time >= %s AND start_time < %s ORDER BY start_time, id"
    )
    out: dict[int, list[PlanRun]] = defaultdict(list)
    with connections[read_alias()].cursor() as cursor:
        for tz_name, ids in users_by_timezone(users).items():
            tz = zoneinfo.ZoneInfo(tz_name)
            start = local_midnight(first, tz)
            end = local_midnight(last + timedelta(days=1), tz)
            cursor.execute(sql, [tz_name, ids, list(RUNNING_SPORTS), start, end])
            for user_id, pk, day, distance, duration in cursor.fetchall():
                out[user_id].append(PlanRun(pk, day, distance or 0.0, duration or 0.0))
    return out


READINGS = ("resting_hr", "hrv", "vo2_max", "recovery_score")


def readings_by_user(
    user_ids: Iterable[int], *, first: date, last: date
) -> dict[int, dict[date, dict[str, float | None]]]:
    out: dict[int, dict[date, dict[str, float | None]]] = defaultdict(dict)
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            "SELECT user_id, date, resting_hr, hrv, vo2_max, recovery_score "
            "FROM athletes_healthmetric WHERE user_id = ANY(%s) AND date BETWEEN %s AND %s",
            [list(user_ids), first, last],
        )
        for user_id, day, *values in cursor.fetchall():
            out[user_id][day] = dict(zip(READINGS, values, strict=True))
    return out


def activity_bounds_by_user(
    user_ids: Iterable[int],
) -> dict[int, tuple[datetime | None, datetime | None]]:
    """Each athlete's first and last start: two probes of the (user, start) index each, not a
    pass over their runs."""
    ids = list(user_ids)
    if not ids:
        return {}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(
            "SELECT u.id, (SELECT min(start_time) FROM athletes_activity WHERE user_id = u.id),"
            " (SELECT max(start_time) FROM athletes_activity WHERE user_id = u.id)"
            " FROM unnest(%s::bigint[]) AS u(id)",
            [ids],
        )
        return {user_id: (first, last) for user_id, first, last in cursor.fetchall() if first}


@dataclass(frozen=True)
class RecentActivity:
    public_id: str
    start_time: datetime
    day: date  # its local day
    sport: str
    distance: float
    duration: float
    zone_times: tuple[float, ...]  # pace Z1..Z5 seconds
    # The activities of the four weeks before its local day (METRICS.md §8's comparison):
    # the longest's distance, the total and how many (0: none).
    window_longest: float | None
    window_total: float
    window_count: int


# Each athlete's five latest activities since their local day `first` (newest first), each
# with the four weeks of activities of its kind before its local day (runs of any running
# sport together, any other sport with itself: a long ride says nothing of a run), read
# whole: a run twenty days back is compared with the 28 days before it, not with what a
# five-week read happened to hold.
RECENT_SQL = """
SELECT u.id, a.public_id, a.start_time, a.day, a.sport, a.distance, a.duration,
       a.pace_z1_time, a.pace_z2_time, a.pace_z3_time, a.pace_z4_time, a.pace_z5_time,
       w.longest, COALESCE(w.total, 0), w.n
  FROM unnest(%(ids)s::bigint[], %(firsts)s::date[]) AS u(id, first)
  JOIN athletes_user au ON au.id = u.id
 CROSS JOIN LATERAL (SELECT COALESCE(NULLIF(au.timezone, ''), 'UTC') AS name) tz
 CROSS JOIN LATERAL (
       SELECT x.public_id, x.start_time, (x.start_time AT TIME ZONE tz.name)::date AS day,
              x.sport, x.distance, x.duration, x.pace_z1_time, x.pace_z2_time,
              x.pace_z3_time, x.pace_z4_time, x.pace_z5_time
         FROM athletes_activity x
        WHERE x.user_id = u.id AND x.start_time >= (u.first::timestamp AT TIME ZONE tz.name)
        ORDER BY x.start_time DESC LIMIT 5) a
 CROSS JOIN LATERAL (
       SELECT max(y.distance) AS longest, sum(y.distance) AS total, count(*)::int AS n
         FROM athletes_activity y
        WHERE y.user_id = u.id
          AND y.start_time >= ((a.day - 28)::timestamp AT TIME ZONE tz.name)
          AND y.start_time < (a.day::timestamp AT TIME ZONE tz.name)
          AND CASE WHEN a.sport = ANY(%(running)s) THEN y.sport = ANY(%(running)s)
                   ELSE y.sport = a.sport END) w
 ORDER BY u.id, a.start_time DESC
"""


def recent_activities_by_user(firsts: dict[int, date]) -> dict[int, list[RecentActivity]]:
    """Each athlete's five latest activities on or after their local day `firsts[id]`,
    newest first, with the four weeks of its kind before each (what a snapshot's insights
    compare)."""
    out: dict[int, list[RecentActivity]] = defaultdict(list)
    if not firsts:
        return out
    params = {"ids": list(firsts), "firsts": list(firsts.values()), "running": list(RUNNING_SPORTS)}
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(RECENT_SQL, params)
        for user_id, public_id, start, day, sport, distance, duration, *rest in cursor.fetchall():
            *zones, longest, total, count = rest
            out[user_id].append(
                RecentActivity(
                    public_id,
                    start,
                    day,
                    sport,
                    distance,
                    duration,
                    tuple(zones),
                    longest,
                    total,
                    count,
                )
            )
    return out
