"""Aggregate SQL behind the analytics: sums per local day, week or month, done in the
database in the requested time zone. Returns plain dicts and dataclasses, not model rows."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Protocol

from django.db import connections
from django.db.models import Avg, Count, DateField, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek

from athletes.models import Activity, HealthMetric, User

PACE_ZONES = [f"pace_z{i}_time" for i in range(1, 6)]
SUM_FIELDS = ["distance", "duration", "training_load", "calories", "elevation_gain", *PACE_ZONES]


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant a local day starts (DST-safe: a local day may last 23 or 25 hours)."""
    return datetime.combine(day, time.min, tzinfo=tz)


def _bucket(granularity: str, tz: tzinfo) -> Any:
    if granularity == "day":
        return TruncDate("start_time", tzinfo=tz)
    if granularity == "week":
        return TruncWeek("start_time", tzinfo=tz, output_field=DateField())
    return TruncMonth("start_time", tzinfo=tz, output_field=DateField())


def _sums() -> dict[str, Any]:
    sums = {name: Coalesce(Sum(name), 0.0) for name in SUM_FIELDS}
    sums["runs"] = Count("id")
    return sums


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
    alias = Activity.objects.all().db
    if connections[alias].vendor == "postgresql":
        rows = _activity_buckets_sql(
            alias, user, start, end, tz, granularity, sport, SUM_FIELDS, rounded=False
        )
        names = [*SUM_FIELDS, "runs"]
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}
    return _activity_buckets_orm(user, start, end, tz, granularity, sport)


def _activity_buckets_orm(
    user: User, start: datetime, end: datetime, tz: tzinfo, granularity: str, sport: str | None
) -> dict[date, dict[str, float]]:
    """`activity_buckets` through the ORM, for databases other than PostgreSQL."""
    queryset = Activity.objects.filter(user=user, start_time__gte=start, start_time__lt=end)
    if sport:
        queryset = queryset.filter(sport=sport)
    rows = (
        queryset.annotate(bucket=_bucket(granularity, tz))
        .values("bucket")
        .annotate(**_sums())
        .order_by()
    )
    return {row.pop("bucket"): row for row in rows}


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
    decimal, count). The rounding is `round(x * 10) / 10` in both paths (half to even, as
    PostgreSQL's `round` of a double), done by PostgreSQL where it is much cheaper."""
    alias = Activity.objects.db_manager().db
    if connections[alias].vendor == "postgresql":
        rows = _activity_buckets_sql(
            alias, user, start, end, tz, granularity, None, columns, rounded=True
        )
        return {row[0]: tuple(row) for row in rows}
    return _bucket_points_orm(user, start, end, tz, granularity, columns)


def _bucket_points_orm(
    user: User, start: datetime, end: datetime, tz: tzinfo, granularity: str, columns: list[str]
) -> dict[date, tuple[Any, ...]]:
    """`bucket_points` through the ORM, for databases other than PostgreSQL."""
    buckets = _activity_buckets_orm(user, start, end, tz, granularity, None)
    return {
        day: (day, *(round(row[c] * 10) / 10 for c in columns), int(row["runs"]))
        for day, row in buckets.items()
    }


def _activity_buckets_sql(
    alias: str,
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
    sums = ", ".join(template.format(_column(name)) for name in columns)
    sql = (
        f"SELECT date_trunc('{_TRUNC[granularity]}', start_time AT TIME ZONE {zone})::date, "  # noqa: S608
        f"{sums}, COUNT(*) FROM athletes_activity "
        "WHERE user_id = %s AND start_time >= %s AND start_time < %s"
        + (" AND sport = %s" if sport else "")
        + " GROUP BY 1"
    )
    params: list[Any] = [zone_param, user.pk, start, end, *([sport] if sport else [])]
    with connections[alias].cursor() as cursor:
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
    if granularity == "day":
        rows = queryset.values("date", "resting_hr", "hrv", "vo2_max", "recovery_score")
        return {row.pop("date"): {**row, "samples": 1} for row in rows}
    trunc = TruncWeek if granularity == "week" else TruncMonth
    rows = (
        queryset.annotate(bucket=trunc("date", output_field=DateField()))
        .values("bucket")
        .annotate(
            resting_hr=Avg("resting_hr"),
            hrv=Avg("hrv"),
            vo2_max=Avg("vo2_max"),
            recovery_score=Avg("recovery_score"),
            samples=Count("id"),
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


def _between_local_days(ids: list[int], tz: tzinfo, first: date, last: date) -> Any:
    """These athletes' activities from local midnight of `first` to the end of `last`."""
    return Activity.objects.filter(
        user_id__in=ids,
        start_time__gte=local_midnight(first, tz),
        start_time__lt=local_midnight(last + timedelta(days=1), tz),
    )


class Timezoned(Protocol):
    """A user model instance, or any lighter record of one (analytics.groups.Athlete)."""

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
    by_tz = users_by_timezone(users)
    alias = Activity.objects.all().db
    if connections[alias].vendor == "postgresql":
        return _daily_totals_sql(alias, by_tz, first, last, fields)
    return _daily_totals_orm(by_tz, first, last, fields)


def _daily_totals_orm(
    by_tz: dict[str, list[int]], first: date, last: date, fields: tuple[str, ...]
) -> dict[int, dict[date, dict[str, float]]]:
    """`daily_totals_by_user` through the ORM, for databases other than PostgreSQL: one
    query per time zone."""
    out: dict[int, dict[date, dict[str, float]]] = defaultdict(dict)
    sums: dict[str, Any] = {name: Coalesce(Sum(name), 0.0) for name in fields}
    sums["runs"] = Count("id")
    for tz_name, ids in by_tz.items():
        tz = zoneinfo.ZoneInfo(tz_name)
        rows = (
            _between_local_days(ids, tz, first, last)
            .annotate(day=TruncDate("start_time", tzinfo=tz))
            .values("user_id", "day")
            .annotate(**sums)
            .order_by()
        )
        for row in rows:
            out[row.pop("user_id")][row.pop("day")] = row
    return out


def _daily_totals_sql(
    alias: str, by_tz: dict[str, list[int]], first: date, last: date, fields: tuple[str, ...]
) -> dict[int, dict[date, dict[str, float]]]:
    """`daily_totals_by_user` as plain statements: the snapshot refresh reads a year of days
    for every athlete, and the ORM's per-value conversion was most of its time."""
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
    with connections[alias].cursor() as cursor:
        for tz_name, ids in by_tz.items():
            tz = zoneinfo.ZoneInfo(tz_name)
            start = local_midnight(first, tz)
            end = local_midnight(last + timedelta(days=1), tz)
            cursor.execute(sql, [tz_name, ids, start, end])
            for user_id, day, *values in cursor.fetchall():
                out[user_id][day] = dict(zip(names, values, strict=True))
    return out


def readings_by_user(
    user_ids: Iterable[int], *, first: date, last: date
) -> dict[int, dict[date, dict[str, float | None]]]:
    rows = HealthMetric.objects.filter(
        user_id__in=list(user_ids), date__gte=first, date__lte=last
    ).values("user_id", "date", "resting_hr", "hrv", "vo2_max", "recovery_score")
    out: dict[int, dict[date, dict[str, float | None]]] = defaultdict(dict)
    for row in rows:
        out[row.pop("user_id")][row.pop("date")] = row
    return out


def activity_bounds_by_user(
    user_ids: Iterable[int],
) -> dict[int, tuple[datetime | None, datetime | None]]:
    rows = (
        Activity.objects.filter(user_id__in=list(user_ids))
        .values("user_id")
        .annotate(first=Min("start_time"), last=Max("start_time"))
        .order_by()
    )
    return {row["user_id"]: (row["first"], row["last"]) for row in rows}


@dataclass(frozen=True)
class RecentActivity:
    public_id: str
    start_time: datetime
    distance: float
    duration: float
    zone_times: tuple[float, ...]  # pace Z1..Z5 seconds


def recent_activities_by_user(
    user_ids: Iterable[int], *, since: datetime
) -> dict[int, list[RecentActivity]]:
    """Activities since a moment, newest first, for insights (a few weeks of rows)."""
    out: dict[int, list[RecentActivity]] = defaultdict(list)
    rows = (
        Activity.objects.filter(user_id__in=list(user_ids), start_time__gte=since)
        .order_by("user_id", "-start_time")
        .values_list("user_id", "public_id", "start_time", "distance", "duration", *PACE_ZONES)
    )
    for user_id, public_id, start_time, distance, duration, *zones in rows:
        out[user_id].append(RecentActivity(public_id, start_time, distance, duration, tuple(zones)))
    return out


def period_totals_by_user(
    users: Iterable[Timezoned], *, first: date, last: date
) -> dict[int, tuple[float, int]]:
    """(distance, runs) per user over local days first..last: one row per user, one query
    per distinct time zone."""
    return periods_totals_by_user(users, [(first, last)])[0]


def periods_totals_by_user(
    users: Iterable[Timezoned], periods: Sequence[tuple[date, date]]
) -> list[dict[int, tuple[float, int]]]:
    """The same for several periods of local days at once (this week and last), each summed
    with a FILTER: one row per user; on PostgreSQL one query whatever the time zones (each
    athlete's local bounds computed once per athlete), elsewhere one per time zone."""
    alias = Activity.objects.all().db
    if connections[alias].vendor == "postgresql":
        return _periods_totals_sql(alias, list(users), periods)
    return _periods_totals_orm(users, periods)


def _periods_totals_orm(
    users: Iterable[Timezoned], periods: Sequence[tuple[date, date]]
) -> list[dict[int, tuple[float, int]]]:
    """`periods_totals_by_user` through the ORM, for databases other than PostgreSQL: one
    query per time zone."""
    out: list[dict[int, tuple[float, int]]] = [{} for _ in periods]
    for tz_name, ids in users_by_timezone(users).items():
        tz = zoneinfo.ZoneInfo(tz_name)
        sums: dict[str, Any] = {}
        for index, (first, last) in enumerate(periods):
            inside = Q(
                start_time__gte=local_midnight(first, tz),
                start_time__lt=local_midnight(last + timedelta(days=1), tz),
            )
            sums[f"total_{index}"] = Sum("distance", filter=inside)
            sums[f"runs_{index}"] = Count("id", filter=inside)
        rows = (
            _between_local_days(
                ids, tz, min(f for f, _ in periods), max(last for _, last in periods)
            )
            .values("user_id")
            .annotate(**sums)
            .order_by()
        )
        for row in rows:
            for index, totals in enumerate(out):
                runs = row[f"runs_{index}"]
                if runs:
                    totals[row["user_id"]] = (row[f"total_{index}"] or 0.0, runs)
    return out


def _periods_totals_sql(
    alias: str, users: list[Timezoned], periods: Sequence[tuple[date, date]]
) -> list[dict[int, tuple[float, int]]]:
    """One scan of the activities in the widest window for a whole club (it was one scan
    per time zone, four for the benchmark's club), bounded per athlete by local midnights."""
    out: list[dict[int, tuple[float, int]]] = [{} for _ in periods]
    if not users:
        return out
    bounds = ", ".join(
        f"(%s::timestamp AT TIME ZONE t.tz) AS lo{i}, (%s::timestamp AT TIME ZONE t.tz) AS hi{i}"
        for i in range(len(periods))
    )
    inside = "a.start_time >= b.lo{0} AND a.start_time < b.hi{0}"
    sums = ", ".join(
        f"COALESCE(SUM(a.distance) FILTER (WHERE {inside.format(i)}), 0), "
        f"COUNT(*) FILTER (WHERE {inside.format(i)})"
        for i in range(len(periods))
    )
    sql = (
        f"WITH b AS (SELECT t.id, {bounds} FROM unnest(%s::bigint[], %s::text[]) AS t(id, tz)) "  # noqa: S608
        f"SELECT a.user_id, {sums} FROM athletes_activity a JOIN b ON b.id = a.user_id "
        "WHERE a.start_time >= %s AND a.start_time < %s GROUP BY a.user_id"
    )
    params: list[Any] = []
    for first, last in periods:
        params += [
            datetime.combine(first, time.min),
            datetime.combine(last + timedelta(days=1), time.min),
        ]
    params += [[u.pk for u in users], [u.tz_name for u in users]]
    # Wide enough for every time zone (UTC-12 to UTC+14); the FILTERs are exact.
    earliest = min(first for first, _ in periods) - timedelta(days=1)
    latest = max(last for _, last in periods) + timedelta(days=2)
    params += [local_midnight(earliest, UTC), local_midnight(latest, UTC)]
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        for user_id, *values in cursor.fetchall():
            for index, totals in enumerate(out):
                distance, runs = values[2 * index], values[2 * index + 1]
                if runs:
                    totals[user_id] = (distance, runs)
    return out
