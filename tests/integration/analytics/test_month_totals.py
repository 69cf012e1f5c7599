"""The month totals behind the club-wide answers (issue 18, analytics/rollups.py) are kept by
PostgreSQL in the transaction of each write. After random writes, edits, deletes, bulk
statements and time-zone changes they must equal a straight recomputation from the
activities, each run on its athlete's own local day, and so must every span of days read
from them (API.md §4: each athlete's runs count on their own local days)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction

from analytics.groups import group_stats
from analytics.models import MonthTotals
from analytics.rollups import rebuild_month_totals
from athletes.models import Activity, User
from organizations.models import Group
from tests.factories import add_member, make_activity, make_org, make_user

pytestmark = pytest.mark.django_db

# Zones whose local days differ most from UTC's, and the empty zone (read as UTC).
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", ""]
ORIGIN = datetime(2026, 1, 25, tzinfo=UTC)  # runs fall across month ends and a leap-free Feb


def local_day(activity: Activity, zones: dict[int, str]) -> date:
    return activity.start_time.astimezone(ZoneInfo(zones[activity.user_id] or "UTC")).date()


def recomputed() -> dict[tuple[int, date], tuple[list[float], list[int]]]:
    """Per athlete and month, the running totals from the 1st to each day (31 of them),
    summed here in Python from every activity on its athlete's local day."""
    zones = dict(User.objects.values_list("pk", "timezone"))
    per_day: dict[tuple[int, date], dict[int, tuple[float, int]]] = defaultdict(dict)
    for activity in Activity.objects.all():
        day = local_day(activity, zones)
        days = per_day[(activity.user_id, day.replace(day=1))]
        distance, runs = days.get(day.day, (0.0, 0))
        days[day.day] = (distance + activity.distance, runs + 1)
    out = {}
    for key, days in per_day.items():
        distance, runs, distances, counts = 0.0, 0, [], []
        for dom in range(1, 32):
            day_distance, day_runs = days.get(dom, (0.0, 0))
            distance += day_distance
            runs += day_runs
            distances.append(distance)
            counts.append(runs)
        out[key] = (distances, counts)
    return out


def stored() -> dict[tuple[int, date], tuple[list[float], list[int]]]:
    return {(m.user_id, m.month): (m.distance, m.runs) for m in MonthTotals.objects.all()}


def assert_equal_to_recomputation() -> None:
    expected, actual = recomputed(), stored()
    assert set(actual) == set(expected), "months with activities, and only those, have a row"
    for key, (distances, runs) in expected.items():
        assert actual[key][1] == runs, key
        assert actual[key][0] == pytest.approx(distances, abs=1e-6), key


def span_totals(org, user_ids: list[int], first: date, last: date) -> dict[int, tuple[float, int]]:
    """(distance to 0.1 m, activities) per athlete over local days first..last, as the
    group stats read them from the month totals."""
    group = Group.objects.create(organization=org, name=f"g{first}{last}")
    group.members.add(*user_ids)
    stats = group_stats(group, first=first, last=last)
    group.delete()
    ids = dict(User.objects.values_list("public_id", "pk"))
    return {
        ids[row["user_id"]]: (row["total_distance"], row["total_activities"])
        for row in stats["members"]
    }


def test_random_writes_edits_deletes_and_zone_changes_keep_the_totals_exact():
    rng = random.Random(20261128)
    athletes = [make_user(timezone=zone) for zone in ZONES]
    org = make_org()
    for athlete in athletes:
        add_member(org, athlete)

    def random_start() -> datetime:
        return ORIGIN + timedelta(minutes=rng.randrange(0, 70 * 24 * 60))

    for step in range(160):
        roll = rng.random()
        activities = list(Activity.objects.values_list("pk", flat=True))
        if roll < 0.35 or not activities:
            make_activity(rng.choice(athletes), random_start(), distance=rng.uniform(1000, 30000))
        elif roll < 0.45:  # a sync: several runs in one INSERT statement
            Activity.objects.bulk_create(
                Activity(
                    user=rng.choice(athletes),
                    start_time=random_start(),
                    distance=rng.uniform(1000, 30000),
                    duration=1800,
                )
                for _ in range(rng.randrange(2, 6))
            )
        elif roll < 0.6:  # an edit: the start moves (maybe across a month), the distance too
            activity = Activity.objects.get(pk=rng.choice(activities))
            activity.start_time += timedelta(hours=rng.randrange(-72, 72))
            if rng.random() < 0.5:
                activity.distance = rng.uniform(1000, 30000)
            activity.save()
        elif roll < 0.65:  # an edit that changes nothing counted
            Activity.objects.filter(pk=rng.choice(activities)).update(name="Renamed")
        elif roll < 0.7:  # an activity given to another athlete
            Activity.objects.filter(pk=rng.choice(activities)).update(user=rng.choice(athletes))
        elif roll < 0.75:  # one UPDATE statement over many rows
            Activity.objects.filter(pk__in=rng.sample(activities, min(5, len(activities)))).update(
                start_time=random_start()
            )
        elif roll < 0.85:
            Activity.objects.filter(pk=rng.choice(activities)).delete()
        elif roll < 0.88:  # one DELETE statement over many rows
            Activity.objects.filter(pk__in=rng.sample(activities, min(4, len(activities)))).delete()
        elif roll < 0.95:  # the athlete moves: every run of theirs is on a new local day
            athlete = rng.choice(athletes)
            athlete.timezone = rng.choice([z for z in ZONES if z != athlete.timezone])
            athlete.save(update_fields=["timezone"])
        else:  # a write rolled back leaves no trace
            with pytest.raises(RuntimeError), transaction.atomic():
                make_activity(rng.choice(athletes), random_start(), distance=5000)
                Activity.objects.filter(pk=rng.choice(activities)).delete()
                raise RuntimeError("rolled back")
        if step % 40 == 39:
            assert_equal_to_recomputation()
    assert_equal_to_recomputation()
    assert MonthTotals.objects.count() > 5

    # Any span of local days read from the totals equals the activities on those days.
    zones = dict(User.objects.values_list("pk", "timezone"))
    ids = [a.pk for a in athletes]
    for _ in range(12):
        first = ORIGIN.date() + timedelta(days=rng.randrange(-5, 75))
        last = first + timedelta(days=rng.choice([0, 6, 13, 29, rng.randrange(0, 80)]))
        expected: dict[int, tuple[float, int]] = {}
        for activity in Activity.objects.all():
            if first <= local_day(activity, zones) <= last:
                distance, runs = expected.get(activity.user_id, (0.0, 0))
                expected[activity.user_id] = (distance + activity.distance, runs + 1)
        actual = span_totals(org, ids, first, last)
        assert set(actual) == set(ids)
        for user_id in ids:
            distance, runs = expected.get(user_id, (0.0, 0))
            assert actual[user_id] == (round(distance, 1), runs), (first, last, user_id)

    # A rebuild from the activities (the migration's backfill, the benchmark's load) agrees.
    before = stored()
    rebuild_month_totals()
    after = stored()
    assert set(after) == set(before)
    for key, (distances, runs) in before.items():
        assert after[key][1] == runs
        assert after[key][0] == pytest.approx(distances, abs=1e-6)


def test_an_athlete_deleted_takes_their_totals_along():
    athlete = make_user(timezone="Europe/Berlin")
    make_activity(athlete, datetime(2026, 3, 31, 23, 30, tzinfo=UTC), distance=7000)
    # 01:30 on 1 April in Berlin (summer time): April's row, not March's.
    assert stored() == {(athlete.pk, date(2026, 4, 1)): ([7000.0] * 31, [1] * 31)}
    athlete.delete()
    assert MonthTotals.objects.count() == 0
