"""Personal records and the pace curve, read from what each run stored at import
(`BestEffort`, `PaceCurve`): one indexed statement each, never a rescan of streams."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections

from analytics.metrics.efforts import BY_KEY, CURVE_SECONDS, STANDARD_DISTANCES
from analytics.metrics.formatting import format_duration
from analytics.metrics.vdot import vdot_from_race
from astral import cache
from astral.localtime import local_date, local_midnight
from athletes.models import Activity, BestEffort, PaceCurve, User

MARKS = {1: "PR", 2: "2nd", 3: "3rd"}
VDOT_WINDOW = timedelta(days=90)
VDOT_MIN_DISTANCE = BY_KEY["1mi"].meters  # shorter efforts overstate endurance


def _effort(row: dict[str, Any], tz: Any) -> dict[str, Any]:
    return {
        "activity_id": row["activity__public_id"],
        "activity_name": row["activity__name"],
        "start_time": row["start_time"],
        "date": local_date(row["start_time"], tz),
        "seconds": row["seconds"],
        "time": format_duration(row["seconds"]),
    }


def personal_records(athlete: User, *, today: date) -> dict[str, Any]:
    """For each standard distance: the best all time, the best this (local) year, and the
    history of records, each effort that beat every earlier one, oldest first."""
    tz = athlete.tz
    rows = list(
        BestEffort.objects.filter(user=athlete)
        .order_by("distance_key", "start_time", "seconds")
        .values("distance_key", "seconds", "start_time", "activity__public_id", "activity__name")
    )
    year_start = local_midnight(date(today.year, 1, 1), tz)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_key.setdefault(row["distance_key"], []).append(row)
    records = []
    for standard in STANDARD_DISTANCES:
        efforts = by_key.get(standard.key, [])
        history, best = [], None
        for row in efforts:  # in time order: a record is faster than all before it
            if best is None or row["seconds"] < best:
                best = row["seconds"]
                history.append(_effort(row, tz))
        this_year = [row for row in efforts if row["start_time"] >= year_start]
        records.append(
            {
                "distance": standard.key,
                "label": standard.label,
                "meters": standard.meters,
                "all_time": history[-1] if history else None,
                "this_year": _effort(min(this_year, key=lambda r: r["seconds"]), tz)
                if this_year
                else None,
                "efforts": len(efforts),
                "history": history,
            }
        )
    return {
        "user_id": athlete.public_id,
        "records": records,
        "vdot_estimate": vdot_estimate(rows, today=today, tz=tz),
    }


def vdot_estimate(rows: Iterable[dict[str, Any]], *, today: date, tz: Any) -> dict[str, Any] | None:
    """The highest VDOT among the last 90 days' efforts of a mile or more."""
    since = local_midnight(today, tz) - VDOT_WINDOW
    best: tuple[float, dict[str, Any]] | None = None
    for row in rows:
        meters = BY_KEY[row["distance_key"]].meters
        if meters < VDOT_MIN_DISTANCE or row["start_time"] < since:
            continue
        value = vdot_from_race(meters, row["seconds"])
        if best is None or value > best[0]:
            best = (value, row)
    if best is None:
        return None
    value, row = best
    return {
        "vdot": round(value, 1),
        "distance": row["distance_key"],
        "label": BY_KEY[row["distance_key"]].label,
        **_effort(row, tz),
    }


def cached_personal_records(athlete: User, *, today: date) -> dict[str, Any]:
    return cache.cached_value(
        cache.make_key("personal_records", athlete.public_id, today),
        cache.ANALYTICS_TTL,
        [cache.athlete(athlete.pk)],
        lambda: personal_records(athlete, today=today),
    )


# Each effort's place among its athlete's efforts at its distance (1 + how many were faster)
# is stored while it is 1-3 (`BestEffort.place`), kept by PostgreSQL in the transaction of
# every write of efforts. A place depends only on the three fastest times of its athlete and
# distance, so a statement that leaves those three as they were (most runs are no record)
# places only the rows it wrote; where they changed, `astral_effort_places(users, keys)`
# ranks that distance's fastest efforts again (ties share a place) and clears the places of
# the others. The trigger first takes the athletes' row locks, as every write to their runs
# does (athletes.services.lock_athlete), so two writes of one athlete's efforts place one
# after the other, the second seeing the first's rows.
# `tests/integration/analytics/test_effort_places.py` compares the places with a count.
PLACES_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION astral_effort_places(users bigint[], keys text[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  WITH k AS (SELECT DISTINCT * FROM unnest(users, keys) AS t(user_id, distance_key)),
  placed AS (
    SELECT r.id, r.place, r.stored
    FROM k CROSS JOIN LATERAL (
      SELECT f.id, f.place AS stored, (rank() OVER (ORDER BY f.seconds))::smallint AS place
      FROM athletes_besteffort f
      WHERE f.user_id = k.user_id AND f.distance_key = k.distance_key
        AND f.seconds <= COALESCE((SELECT g.seconds FROM athletes_besteffort g
                                   WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
                                   ORDER BY g.seconds OFFSET 2 LIMIT 1), 'infinity')
    ) r
  ),
  wanted AS (
    SELECT id, place FROM placed WHERE stored IS DISTINCT FROM place
    UNION ALL
    SELECT f.id, NULL FROM k JOIN athletes_besteffort f USING (user_id, distance_key)
    WHERE f.place IS NOT NULL AND f.id NOT IN (SELECT id FROM placed)
  )
  UPDATE athletes_besteffort f SET place = w.place FROM wanted w WHERE f.id = w.id;
END $$;

CREATE OR REPLACE FUNCTION astral_effort_places_written() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  written bigint[];  -- rows inserted, or updated in what decides a place
  gone_users bigint[];  -- and the rows as they were before (updated or deleted)
  gone_keys text[];
  gone_seconds float8[];
  users bigint[];
  keys text[];
  moved_users bigint[];
  moved_keys text[];
BEGIN
  IF TG_OP = 'UPDATE' THEN
    -- Only what moves a place: the update of places below changes none of these.
    SELECT array_agg(n.id), array_agg(o.user_id), array_agg(o.distance_key::text),
           array_agg(o.seconds)
      INTO written, gone_users, gone_keys, gone_seconds
    FROM new_rows n JOIN old_rows o USING (id)
    WHERE (n.user_id, n.distance_key, n.seconds) IS DISTINCT FROM
          (o.user_id, o.distance_key, o.seconds);
    IF written IS NULL THEN
      RETURN NULL;
    END IF;
    SELECT array_agg(user_id), array_agg(distance_key::text) INTO users, keys
    FROM new_rows WHERE id = ANY(written);
  ELSIF TG_OP = 'INSERT' THEN
    SELECT array_agg(id), array_agg(user_id), array_agg(distance_key::text)
      INTO written, users, keys FROM new_rows;
  ELSE
    SELECT array_agg(user_id), array_agg(distance_key::text), array_agg(seconds)
      INTO gone_users, gone_keys, gone_seconds FROM old_rows;
  END IF;
  users := COALESCE(users, '{}') || COALESCE(gone_users, '{}');
  keys := COALESCE(keys, '{}') || COALESCE(gone_keys, '{}');
  IF cardinality(users) = 0 THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM athletes_user WHERE id = ANY(users) ORDER BY id FOR NO KEY UPDATE;
  -- The distances whose three fastest times this statement changed: the fastest three now,
  -- against the fastest three of the rows there were before it.
  SELECT array_agg(t.user_id), array_agg(t.distance_key) INTO moved_users, moved_keys
  FROM (SELECT DISTINCT * FROM unnest(users, keys) AS x(user_id, distance_key)) k
  CROSS JOIN LATERAL (
    SELECT k.user_id, k.distance_key,
      ARRAY(SELECT g.seconds FROM athletes_besteffort g
            WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
            ORDER BY g.seconds LIMIT 3) AS now,
      ARRAY(SELECT b.seconds FROM (
              (SELECT g.seconds FROM athletes_besteffort g
               WHERE g.user_id = k.user_id AND g.distance_key = k.distance_key
                 AND g.id <> ALL(COALESCE(written, '{}'))
               ORDER BY g.seconds LIMIT 3)
              UNION ALL
              SELECT o.seconds FROM unnest(gone_users, gone_keys, gone_seconds)
                AS o(user_id, distance_key, seconds)
              WHERE o.user_id = k.user_id AND o.distance_key = k.distance_key
            ) b ORDER BY b.seconds LIMIT 3) AS before
  ) t
  WHERE t.now IS DISTINCT FROM t.before;
  IF moved_users IS NOT NULL THEN
    PERFORM astral_effort_places(moved_users, moved_keys);
  END IF;
  -- Elsewhere every other place stands: the written rows take theirs from the three.
  UPDATE athletes_besteffort f SET place = p.place
  FROM (
    SELECT w.id, CASE WHEN w.seconds <= t.top[3]
      THEN (1 + (SELECT count(*) FROM unnest(t.top) s WHERE s < w.seconds))::smallint END AS place
    FROM athletes_besteffort w
    CROSS JOIN LATERAL (
      SELECT ARRAY(SELECT g.seconds FROM athletes_besteffort g
                   WHERE g.user_id = w.user_id AND g.distance_key = w.distance_key
                   ORDER BY g.seconds LIMIT 3) AS top
    ) t
    WHERE w.id = ANY(written)
      AND NOT EXISTS (SELECT 1 FROM unnest(moved_users, moved_keys) AS m(user_id, distance_key)
                      WHERE m.user_id = w.user_id AND m.distance_key = w.distance_key)
  ) p
  WHERE f.id = p.id AND f.place IS DISTINCT FROM p.place;
  RETURN NULL;
END $$;
"""
PLACES_TRIGGERS_SQL = """
CREATE TRIGGER effort_places_insert AFTER INSERT ON athletes_besteffort
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_effort_places_written();
CREATE TRIGGER effort_places_update AFTER UPDATE ON athletes_besteffort
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_effort_places_written();
CREATE TRIGGER effort_places_delete AFTER DELETE ON athletes_besteffort
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION astral_effort_places_written();
"""
PLACES_BACKFILL_SQL = """
SELECT astral_effort_places(array_agg(user_id), array_agg(distance_key::text))
FROM (SELECT DISTINCT user_id, distance_key FROM athletes_besteffort) e
HAVING count(*) > 0
"""
PLACES_DROP_SQL = """
DROP TRIGGER IF EXISTS effort_places_insert ON athletes_besteffort;
DROP TRIGGER IF EXISTS effort_places_update ON athletes_besteffort;
DROP TRIGGER IF EXISTS effort_places_delete ON athletes_besteffort;
DROP FUNCTION IF EXISTS astral_effort_places_written();
DROP FUNCTION IF EXISTS astral_effort_places(bigint[], text[]);
"""

# The placed efforts of the listed runs (a run without a top-3 effort reads no row).
MARKS_SQL = """
SELECT activity_id, distance_key, place FROM athletes_besteffort
WHERE activity_id = ANY(%s) AND place IS NOT NULL
"""


def marks_for(activity_ids: Iterable[int]) -> dict[int, list[str]]:
    """Each listed activity's places among its athlete's efforts of every distance, all
    time: {activity pk: ["PR 5 km", "2nd 1 km"]}, records first."""
    wanted = list(set(activity_ids))
    if not wanted:
        return {}
    with connections[BestEffort.objects.db].cursor() as cursor:
        cursor.execute(MARKS_SQL, [wanted])
        rows = cursor.fetchall()
    marks: dict[int, list[tuple[str, int]]] = {}
    for activity_id, key, place in rows:
        marks.setdefault(activity_id, []).append((key, place))
    return {pk: mark_labels(found) for pk, found in marks.items()}


MARK_ORDER = {d.key: i for i, d in enumerate(STANDARD_DISTANCES)}


def mark_labels(places: Iterable[tuple[str, int]]) -> list[str]:
    """["PR 5 km", "2nd 1 km"] from an activity's efforts as (distance key, place among its
    athlete's efforts at that distance), records first."""
    found = [
        (place, MARK_ORDER[key], f"{MARKS[place]} {BY_KEY[key].label}")
        for key, place in places
        if place in MARKS
    ]
    return [label for *_, label in sorted(found)]


CURVE_SQL = """
SELECT point.n,
       max(point.speed) FILTER (WHERE curve.start_time >= %(since)s) AS recent,
       max(point.speed) AS all_time
  FROM athletes_pacecurve curve
 CROSS JOIN LATERAL unnest(curve.speeds) WITH ORDINALITY AS point(speed, n)
 WHERE curve.user_id = %(user)s
 GROUP BY point.n
"""


def pace_curve(athlete: User, *, days: int, now: datetime) -> dict[str, Any]:
    """The athlete's best average speed for every duration of the curve, over the last
    `days` and all time: one aggregate over the runs' stored curves."""
    with connections[PaceCurve.objects.db].cursor() as cursor:
        cursor.execute(CURVE_SQL, {"since": now - timedelta(days=days), "user": athlete.pk})
        found = {n: (recent, all_time) for n, recent, all_time in cursor.fetchall()}
    points = []
    for n, seconds in enumerate(CURVE_SECONDS, start=1):
        recent, all_time = found.get(n, (None, None))
        points.append(
            {
                "seconds": seconds,
                "recent_speed": recent,
                "recent_pace": round(1000 / recent, 1) if recent else None,
                "all_time_speed": all_time,
                "all_time_pace": round(1000 / all_time, 1) if all_time else None,
            }
        )
    return {"user_id": athlete.public_id, "days": days, "points": points}


def cached_pace_curve(athlete: User, *, days: int, now: datetime) -> dict[str, Any]:
    hour = now.replace(minute=0, second=0, microsecond=0)  # the window moves with the clock
    return cache.cached_value(
        cache.make_key("pace_curve", athlete.public_id, days, hour),
        cache.ANALYTICS_TTL,
        [cache.athlete(athlete.pk)],
        lambda: pace_curve(athlete, days=days, now=hour),
    )


def marks_by_public_id(athlete: User, public_ids: Iterable[str]) -> dict[str, list[str]]:
    """`marks_for` keyed by the activities' public ids (what pages and lists carry)."""
    pks = dict(
        Activity.objects.filter(user=athlete, public_id__in=list(public_ids)).values_list(
            "pk", "public_id"
        )
    )
    return {pks[pk]: marks for pk, marks in marks_for(pks).items()}
