"""Athlete snapshots ("cached fitness metrics"): computed in batches, stored in
PostgreSQL, read fresh.

A snapshot is fresh when it was computed from the athlete's current `data_version` for
their current local day. Readers refresh stale ones (in one batch) before using them, so a
write is visible at once even if the Celery worker is down; the worker keeps them fresh
ahead of readers so that reads are cheap.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from analytics import selectors
from analytics.models import AthleteSnapshot
from analytics.series import AthleteSeries, load_many
from analytics.standings import standings_refresh_for
from astral.localtime import local_today, utc_text
from athletes.duplicates import SPORT_WORDS
from athletes.models import User
from metrics import rolling
from metrics.attention import WeekOverWeek, attention_flags, attention_rank
from metrics.formatting import avg_pace
from metrics.insights import ActivityFacts, WeekFacts, write_insight
from metrics.quality import data_quality
from metrics.streaks import carried_streak, streaks

logger = logging.getLogger(__name__)

HISTORY_FIELDS = (
    ("vo2_max", "vo2_max_history"),
    ("hrv", "hrv_history"),
    ("recovery_score", "recovery_score_history"),
)


def _week_over_week(series: AthleteSeries, name: str) -> WeekOverWeek:
    today = series.today
    # The two weeks' readings only (the series holds 120 days of them).
    values = {
        d: (series.readings.get(d) or {}).get(name)
        for d in rolling.days_between(today - timedelta(days=13), today)
    }
    current, current_n = rolling.window_mean(values, today - timedelta(days=6), today)
    previous, previous_n = rolling.window_mean(
        values, today - timedelta(days=13), today - timedelta(days=7)
    )
    return WeekOverWeek(current, previous, current_n, previous_n)


def _histories(series: AthleteSeries) -> dict[str, list[dict[str, Any]]]:
    """Each reading's last 30 days (HISTORY_FIELDS), the days with a value."""
    out: dict[str, list[dict[str, Any]]] = {key: [] for _, key in HISTORY_FIELDS}
    today = series.today
    for day in rolling.days_between(today - timedelta(days=29), today):
        row = series.readings.get(day)
        if not row:
            continue
        text = day.isoformat()
        for reading, key in HISTORY_FIELDS:
            value = row.get(reading)
            if value is not None:
                out[key].append({"date": text, "value": value})
    return out


def _activity_facts(series: AthleteSeries) -> list[ActivityFacts]:
    """What the insights of the five latest activities say, whatever the units: each one
    against the four weeks of activities of its kind before its local day."""
    out = []
    for activity in series.recent[:5]:
        # "Longest run in 4 weeks" only when there are 4 weeks of history to compare with.
        longest = (
            activity.window_count > 0
            and activity.distance > (activity.window_longest or 0)
            and series.first_activity_day is not None
            and (activity.day - series.first_activity_day).days >= 28
        )
        out.append(
            ActivityFacts(
                activity_id=activity.public_id,
                day=activity.day,
                distance=activity.distance,
                duration=activity.duration,
                zone_times=list(activity.zone_times),
                longest_in_weeks=4 if longest else 0,
                four_week_avg_distance=activity.window_total / activity.window_count
                if activity.window_count
                else None,
                noun=SPORT_WORDS.get(activity.sport, "activity"),
            )
        )
    return out


def _activity_insights(facts: list[ActivityFacts], units: str) -> list[dict[str, Any]]:
    return [
        {"activity_id": f.activity_id, "summary": write_insight("activity", f, units)}
        for f in facts
    ]


@dataclass(frozen=True)
class Carry:
    """What yesterday's snapshot hands on to today's (`AthleteSnapshot.carry`): the fitness,
    the streak and the first run's local day (unchanged while the data version is)."""

    fitness: rolling.FitnessState
    streak: int
    first_activity_day: date | None = None

    def as_json(self) -> dict[str, Any]:
        first = self.first_activity_day
        return {
            "day": self.fitness.day.isoformat(),
            "start": self.fitness.start.isoformat(),
            "ctl": self.fitness.ctl,
            "atl": self.fitness.atl,
            "streak": self.streak,
            "first": first.isoformat() if first else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Carry:
        state = rolling.FitnessState(
            day=date.fromisoformat(data["day"]),
            start=date.fromisoformat(data["start"]),
            ctl=float(data["ctl"]),
            atl=float(data["atl"]),
        )
        first = data.get("first")
        return cls(
            fitness=state,
            streak=int(data["streak"]),
            first_activity_day=date.fromisoformat(first) if first else None,
        )


def compute(
    user: User,
    series: AthleteSeries,
    integrations: int,
    carried: Carry | None = None,
    load_dropped: float = 0.0,
) -> tuple[dict[str, Any], Carry]:
    """The snapshot document of one athlete, from their series, and what tomorrow's carries
    forward. With `carried` (yesterday's, data unchanged since) the fitness and the streak
    go one day on from it, and the series need only its last five weeks; `load_dropped` is
    the load of yesterday's first day of the fitness window. Pure apart from settings."""
    today = series.today
    distance = series.daily_value("distance")
    duration = series.daily_value("duration")
    load = series.daily_value("training_load")
    weekly_distance, last_week_distance = rolling.this_and_last_week(distance, today)
    four_weeks = today - timedelta(days=27)
    acr = rolling.acute_chronic_ratio(load, today)
    first_day = series.first_activity_day or today
    runs = {d: row["runs"] for d, row in series.daily.items()}
    if carried is None:
        state, tsb = rolling.fitness_state(load, first_day, today)
        active_days = {d for d, n in runs.items() if n > 0}
        current_streak = streaks(active_days, today - timedelta(days=365), today).current
    else:
        state, tsb = rolling.carried_fitness(
            carried.fitness, first_day, load.get(today, 0.0), load_dropped
        )
        current_streak = carried_streak(
            carried.streak,
            ran_yesterday=runs.get(today - timedelta(days=1), 0) > 0,
            ran_today=runs.get(today, 0) > 0,
        )
    hrv, recovery, vo2 = (_week_over_week(series, n) for n in ("hrv", "recovery_score", "vo2_max"))
    history_days = (today - series.first_activity_day).days + 1 if series.first_activity_day else 0
    last_day = max((d for d, n in runs.items() if n > 0 and d <= today), default=None)
    flags = [
        f.as_dict()
        for f in attention_flags(
            hrv=hrv,
            recovery=recovery,
            vo2_max=vo2,
            acute_chronic_ratio=acr,
            history_days=history_days,
            activities_last_7_days=int(rolling.sum_days(runs, today - timedelta(days=6), today)),
            activities_prior_28_days=int(
                rolling.sum_days(runs, today - timedelta(days=34), today - timedelta(days=7))
            ),
            days_since_last_activity=(today - last_day).days if last_day else None,
            thresholds=settings.ASTRAL_ATTENTION,
        )
    ]
    current_load = rolling.current_week_load(load, today)
    last_week_load = round(rolling.this_and_last_week(load, today)[1], 1)
    quality = data_quality(
        has_pace_zones=bool(user.pace_zones),
        has_vdot=user.vdot is not None,
        has_hr_zones=bool(user.hr_zones),
        has_max_hr=user.max_hr is not None,
        connected_integrations=integrations,
        timezone_chosen=bool(user.timezone),
        unit_system_chosen=bool(user.unit_system),
    )
    week_facts = WeekFacts(
        distance=weekly_distance,
        last_week_distance=last_week_distance,
        load=current_load,
        last_week_load=last_week_load,
        acute_chronic_ratio=acr,
        acr_band=rolling.acr_band(acr),
        current_streak=current_streak,
        flags=flags,
    )
    facts = _activity_facts(series)
    insights = {
        system: {
            "recent_activities": _activity_insights(facts, system),
            "weekly_summary": write_insight("week", week_facts, system),
        }
        for system in ("metric", "imperial")
    }
    fitness_current: dict[str, Any] = {
        "vo2_max": vo2.current,
        "hrv_avg": hrv.current,
        "recovery_score": recovery.current,
        "vo2_max_prev": vo2.previous,
        "hrv_avg_prev": hrv.previous,
        "recovery_score_prev": recovery.previous,
    }
    fitness: dict[str, Any] = {"current": fitness_current}
    fitness.update(_histories(series))
    return {
        "running_analytics": {
            "weekly_distance_km": round(weekly_distance / 1000, 1),
            "weekly_distance": round(weekly_distance, 1),
            # The same days of last week (METRICS.md §8), what "vs last week" compares with.
            "last_week_same_days_distance": round(last_week_distance, 1),
            "avg_pace_per_km": avg_pace(
                rolling.sum_days(duration, four_weeks, today),
                rolling.sum_days(distance, four_weeks, today),
            ),
            "current_streak": current_streak,
        },
        "fitness": fitness,
        "training": {
            "current_week_load": current_load,
            "four_week_avg_load": rolling.four_week_avg_load(load, today),
            "acute_chronic_ratio": acr,
            "acr_band": rolling.acr_band(acr),
            "ctl": round(state.ctl, 1),
            "atl": round(state.atl, 1),
            "tsb": round(tsb, 1),
        },
        "attention_signals": {"flags": flags},
        "data_quality": quality,
        # The sentences in both unit systems: the API speaks the athlete's, a page its
        # viewer's (the athlete's once more as `insights` was a ninth of each document).
        "insights_by_units": insights,
        "last_activity_at": utc_text(series.last_activity_at) if series.last_activity_at else None,
        "as_of": today.isoformat(),
    }, Carry(fitness=state, streak=current_streak, first_activity_day=series.first_activity_day)


def roster_summary(data: dict[str, Any]) -> dict[str, Any]:
    """What one row of the coach's roster shows: small, so 200 rows decode fast."""
    return {
        "running_analytics": {
            "weekly_distance_km": data["running_analytics"]["weekly_distance_km"],
            "weekly_distance": data["running_analytics"]["weekly_distance"],
        },
        "fitness": {"current": data["fitness"]["current"]},
        "training": {
            key: data["training"][key]
            for key in (
                "current_week_load",
                "four_week_avg_load",
                "acute_chronic_ratio",
                "acr_band",
            )
        },
        "attention_signals": data["attention_signals"],
        "data_quality": {"score": data["data_quality"]["score"]},
        "last_activity_at": data.get("last_activity_at"),
        "last_updated": data.get("last_updated"),
    }


def _local_today(user: User) -> date:
    return local_today(user.tz)


# Each athlete's data version (read before their data: a write landing meanwhile leaves the
# snapshot stale, never wrong and fresh), previous snapshot (its flags, day, data version,
# what it carries) and connected integrations, in one read.
PREVIOUS_SQL = """
SELECT u.id, u.data_version, s.summary #> '{attention_signals,flags}', s.as_of,
       s.source_version, s.carry, s.last_activity_at,
       (SELECT count(*) FROM athletes_integration i WHERE i.user_id = u.id)
  FROM athletes_user u
  LEFT JOIN analytics_athletesnapshot s ON s.user_id = u.id
 WHERE u.id = ANY(%s::bigint[])
"""


def _json(value: Any) -> Any:
    """A jsonb value read by a plain cursor: Django's connections load it as text."""
    return json.loads(value) if isinstance(value, str) else value


def snapshots_compute(users: Sequence[User]) -> list[AthleteSnapshot]:
    """Computes and stores snapshots for these athletes in a constant number of queries."""
    if not users:
        return []
    users = list(users)
    todays = {u.pk: _local_today(u) for u in users}
    # Since when each flag has been raised: carried from the previous snapshot while the
    # flag stays, today for a new one. And what the previous snapshot carries forward, when
    # it is yesterday's and nothing changed since (the hour after each local midnight),
    # the bounds of the athlete's runs with it when it knows them.
    versions = {}
    previous_flags = {}
    carries = {}
    bounds = {}
    integrations = {}
    with connection.cursor() as cursor:
        cursor.execute(PREVIOUS_SQL, [[u.pk for u in users]])
        for row in cursor.fetchall():
            user_id, current, flags, as_of, version, carry, last_at, connected = row
            versions[user_id] = current
            integrations[user_id] = connected
            previous_flags[user_id] = _json(flags)
            carry = _json(carry)
            yesterday = todays[user_id] - timedelta(days=1)
            if carry and version == versions[user_id] and as_of == yesterday == _day_of(carry):
                carries[user_id] = Carry.from_json(carry)
                if "first" in carry:
                    bounds[user_id] = (carries[user_id].first_activity_day, last_at)
    users = [u for u in users if u.pk in versions]  # an account deleted meanwhile: none
    series = load_many(users, today_for=todays, recent_only=carries.keys(), bounds=bounds)
    dropped = _dropped_loads([u for u in users if u.pk in carries], carries)
    now = timezone.now()
    rows = []
    for user in users:
        data, carry = compute(
            user,
            series[user.pk],
            integrations.get(user.pk, 0),
            carries.get(user.pk),
            dropped.get(user.pk, 0.0),
        )
        data["last_updated"] = now.isoformat()
        since = flags_since(
            data["attention_signals"]["flags"], previous_flags.get(user.pk), todays[user.pk]
        )
        warnings, infos = attention_rank(data["attention_signals"]["flags"])
        rows.append(
            AthleteSnapshot(
                user=user,
                data=data,
                summary=roster_summary(data),
                source_version=versions[user.pk],
                as_of=todays[user.pk],
                computed_at=now,
                weekly_distance=data["running_analytics"]["weekly_distance"],
                last_activity_at=series[user.pk].last_activity_at,
                attention_warnings=warnings,
                attention_infos=infos,
                attention_since=since,
                carry=carry.as_json(),
            )
        )
    _store(rows)
    return rows


# A batch's snapshots as one JSON document of rows: the statement's text is the same for
# every batch (psycopg parses it once, where a VALUES list of 2,400 placeholders was parsed
# again each time), and no JSON document is escaped as an array element.
STORE_SQL = """
INSERT INTO analytics_athletesnapshot AS t (
    user_id, data, summary, source_version, as_of, computed_at, weekly_distance,
    last_activity_at, attention_warnings, attention_infos, attention_since, carry)
SELECT r.* FROM jsonb_to_recordset(%s::jsonb) AS r(
    user_id bigint, data jsonb, summary jsonb, source_version bigint, as_of date,
    computed_at timestamptz, weekly_distance float8, last_activity_at timestamptz,
    attention_warnings smallint, attention_infos smallint, attention_since date, carry jsonb)
 ORDER BY r.user_id  -- rows locked in one order by every writer
ON CONFLICT (user_id) DO UPDATE SET
    data = EXCLUDED.data, summary = EXCLUDED.summary,
    source_version = EXCLUDED.source_version, as_of = EXCLUDED.as_of,
    computed_at = EXCLUDED.computed_at, weekly_distance = EXCLUDED.weekly_distance,
    last_activity_at = EXCLUDED.last_activity_at,
    attention_warnings = EXCLUDED.attention_warnings,
    attention_infos = EXCLUDED.attention_infos, attention_since = EXCLUDED.attention_since,
    carry = EXCLUDED.carry
"""
STORED = (
    "user_id",
    "data",
    "summary",
    "source_version",
    "as_of",
    "computed_at",
    "weekly_distance",
    "last_activity_at",
    "attention_warnings",
    "attention_infos",
    "attention_since",
    "carry",
)


def _store(rows: list[AthleteSnapshot]) -> None:
    def text(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value  # datetimes too

    document = orjson.dumps(
        [{name: text(getattr(row, name)) for name in STORED} for row in rows],
        option=orjson.OPT_NON_STR_KEYS,
    ).decode()
    with connection.cursor() as cursor:
        cursor.execute(STORE_SQL, [document])


def _day_of(carry: dict[str, Any]) -> date | None:
    return date.fromisoformat(carry["day"]) if "day" in carry else None


def _dropped_loads(users: Sequence[User], carries: dict[int, Carry]) -> dict[int, float]:
    """The load of each carried athlete's first day of yesterday's fitness window (the day
    that leaves it today, when it is a year back): one read of those days."""
    if not users:
        return {}
    starts = [carries[u.pk].fitness.start for u in users]
    loads = selectors.daily_totals_by_user(
        users, first=min(starts), last=max(starts), fields=("training_load",)
    )
    return {
        u.pk: float(
            loads.get(u.pk, {}).get(carries[u.pk].fitness.start, {}).get("training_load", 0)
        )
        for u in users
    }


def flags_since(
    flags: list[dict[str, Any]], previous: list[dict[str, Any]] | None, today: date
) -> date | None:
    """Gives each flag its `since` (ISO date) and returns the earliest of the most severe
    flags' days, or None without flags."""
    before = {f.get("code"): f.get("since") for f in previous or [] if isinstance(f, dict)}
    for flag in flags:
        flag["since"] = before.get(flag["code"]) or today.isoformat()
    severe = [f for f in flags if f["severity"] == "warning"] or flags
    return min((date.fromisoformat(f["since"]) for f in severe), default=None)


REFRESH_BATCH = 200


def snapshots_refresh(user_ids: Iterable[int], *, force: bool = False) -> int:
    """Recomputes the snapshots of these athletes that are stale (all with `force`): a burst
    of writes enqueues a refresh per write, and the first to run leaves the others nothing
    to do. Returns how many were computed."""
    users = list(User.objects.filter(pk__in=list(user_ids)))
    known = {
        s.user_id: s
        for s in AthleteSnapshot.objects.filter(user_id__in=[u.pk for u in users]).only(
            "user_id", "source_version", "as_of"
        )
    }
    stale = [u for u in users if force or not is_fresh(known.get(u.pk), u)]
    # In batches the size the hourly task hands out: a whole club read stale at once (a
    # roster of 10,000 after a restore) stays within PostgreSQL's 65,535 parameters.
    return sum(
        len(snapshots_compute(stale[start : start + REFRESH_BATCH]))
        for start in range(0, len(stale), REFRESH_BATCH)
    )


# Athletes whose snapshot is missing, older than their data, or of another local day, and
# those with a plan whose kept standing is missing or stale (its plan changed): the only
# ones the hourly refresh recomputes (most of a club changes nothing in an hour).
STALE_ATHLETES_SQL = """
SELECT u.id
  FROM athletes_user u
  LEFT JOIN analytics_athletesnapshot s ON s.user_id = u.id
 WHERE EXISTS (SELECT 1 FROM organizations_membership m
                WHERE m.user_id = u.id AND m.role = 'athlete')
   AND (s.user_id IS NULL
        OR s.source_version <> u.data_version
        OR s.as_of <> (%s::timestamptz AT TIME ZONE COALESCE(NULLIF(u.timezone, ''), 'UTC'))::date)
UNION
SELECT user_id FROM analytics_planrow WHERE listed AND (fresh_until <= %s OR fresh_from > %s)
ORDER BY 1
"""


def snapshot_batches(batch_size: int = 200, *, only_stale: bool = True) -> list[list[int]]:
    """The athlete members of every organization whose snapshots need computing (every one
    with `only_stale=False`), in batches of ids."""
    if only_stale:
        with connection.cursor() as cursor:
            now = timezone.now()
            cursor.execute(STALE_ATHLETES_SQL, [now, now, now])
            ids = [row[0] for row in cursor.fetchall()]
    else:
        ids = list(
            User.objects.filter(memberships__role="athlete")
            .distinct()
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]


def snapshots_refresh_all(batch_size: int = 200) -> int:
    """Every athlete's snapshot and plan standings, batch after batch in this process (the
    demo seed; the hourly task hands the batches to the workers instead)."""
    batches = snapshot_batches(batch_size, only_stale=False)
    for batch in batches:
        standings_refresh_for(batch, force=True)
        snapshots_refresh(batch, force=True)
    return sum(len(batch) for batch in batches)


def is_fresh(snapshot: AthleteSnapshot | None, user: User, version: int | None = None) -> bool:
    """Computed from the athlete's current data (`version`, else the user's own) for their
    local today."""
    return (
        snapshot is not None
        and snapshot.source_version == (user.data_version if version is None else version)
        and snapshot.as_of == _local_today(user)
    )


def fresh_snapshots(users: Sequence[User], *, force: bool = False) -> dict[int, AthleteSnapshot]:
    """Snapshots for these users, recomputing (in one batch) only what is stale."""
    if force:  # every one is computed again: none is worth reading first
        return {row.user_id: row for row in snapshots_compute(users)}
    # Each with the athlete's current data version, read in the same statement: the athlete
    # a request resolved comes from the cache without it (organizations.access), and
    # reading it there was a query per athlete.
    snapshots = {
        s.user_id: s
        for s in AthleteSnapshot.objects.filter(user_id__in=[u.pk for u in users]).annotate(
            current_version=F("user__data_version")
        )
    }
    stale = [
        u
        for u in users
        if u.pk not in snapshots
        or not is_fresh(snapshots[u.pk], u, snapshots[u.pk].current_version)  # type: ignore[attr-defined]
    ]
    if stale:
        for row in snapshots_compute(stale):
            snapshots[row.user_id] = row
    return snapshots
