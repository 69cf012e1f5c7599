"""The club totals behind group_overview and group_comparison (issue 18,
analytics/club_totals.py) are kept by PostgreSQL in the transaction of each write. After
random writes, edits, deletes, time-zone changes, joins, departures, role changes, group
changes and deactivated accounts they must equal a straight recomputation from the
activities and memberships, and so must what a coach reads from them: a club's distance,
activities and how many athletes were active over any span (API.md §4: each athlete's runs
count on their own local days; an athlete counts once however often they ran)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from analytics.club_totals import GAP_LIMIT, rebuild_club_totals
from analytics.groups import group_comparison, group_overview
from analytics.roster import RosterFilters, roster_page
from astral.api.pagination import Page
from athletes.models import Activity, User
from organizations.models import Group, Membership, Organization, Role
from tests.factories import add_member, make_activity, make_org, make_user

pytestmark = pytest.mark.django_db

ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", ""]
ORIGIN = datetime(2026, 1, 25, tzinfo=UTC)


def local_days() -> dict[int, dict[date, tuple[float, int]]]:
    """Per athlete, their local days with activities: (distance, activities)."""
    zones = dict(User.objects.values_list("pk", "timezone"))
    days: dict[int, dict[date, tuple[float, int]]] = defaultdict(dict)
    for user_id, start, distance in Activity.objects.values_list(
        "user_id", "start_time", "distance"
    ):
        day = start.astimezone(ZoneInfo(zones[user_id] or "UTC")).date()
        total, runs = days[user_id].get(day, (0.0, 0))
        days[user_id][day] = (total + distance, runs + 1)
    return days


def club_members() -> dict[tuple[str, int], set[int]]:
    """Who each club counts, from the memberships: an organization's active athletes, a
    group's members among them, and those of them in none of its groups."""
    active = set(User.objects.filter(is_active=True).values_list("pk", flat=True))
    athletes: dict[int, set[int]] = defaultdict(set)
    for org_id, user_id in Membership.objects.filter(role=Role.ATHLETE).values_list(
        "organization_id", "user_id"
    ):
        if user_id in active:
            athletes[org_id].add(user_id)
    clubs: dict[tuple[str, int], set[int]] = {}
    for org in Organization.objects.all():
        grouped: set[int] = set()
        for group in org.groups.all():
            members = set(group.members.values_list("pk", flat=True)) & athletes[org.pk]
            clubs[("group", group.pk)] = members
            grouped |= members
        clubs[("org", org.pk)] = athletes[org.pk]
        clubs[("none", org.pk)] = athletes[org.pk] - grouped
    return clubs


def expected_club_days() -> dict[tuple[str, int], dict[date, tuple[float, int, list[int]]]]:
    days = local_days()
    out: dict[tuple[str, int], dict[date, tuple[float, int, list[int]]]] = {}
    for club, members in club_members().items():
        per_day: dict[date, tuple[float, int, list[int]]] = {}
        for user_id in members:
            previous = None
            for day in sorted(days[user_id]):
                gap = min((day - previous).days, GAP_LIMIT) if previous else GAP_LIMIT
                previous = day
                distance, runs, active = per_day.get(day, (0.0, 0, [0] * GAP_LIMIT))
                distance_today, runs_today = days[user_id][day]
                per_day[day] = (
                    distance + distance_today,
                    runs + runs_today,
                    [n + (k <= gap) for k, n in enumerate(active, start=1)],
                )
        out[club] = per_day
    return out


def stored_club_days() -> dict[tuple[str, int], dict[date, tuple[float, int, list[int]]]]:
    out: dict[tuple[str, int], dict[date, tuple[float, int, list[int]]]] = defaultdict(dict)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.kind, c.ref, d.day, d.distance, d.runs, d.active FROM analytics_club c "
            "JOIN analytics_clubday d ON d.club_id = c.id"
        )
        for kind, ref, day, distance, runs, active in cursor.fetchall():
            if runs or any(active) or abs(distance) > 1e-6:  # days emptied may stay, as zeros
                out[(kind, ref)][day] = (distance, runs, active)
    return out


def assert_equal_to_recomputation() -> None:
    days = local_days()
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, day, distance, runs, gap FROM analytics_athleteday")
        stored_days = {(u, d): (dist, runs, gap) for u, d, dist, runs, gap in cursor.fetchall()}
        cursor.execute("SELECT user_id, week, distance, runs FROM analytics_athleteweek")
        stored_weeks = {(u, w): (dist, runs) for u, w, dist, runs in cursor.fetchall()}
        cursor.execute("SELECT kind, ref, athletes FROM analytics_club")
        counts = {(kind, ref): n for kind, ref, n in cursor.fetchall()}
    expected_days, expected_weeks = {}, defaultdict(lambda: (0.0, 0))
    for user_id, per_day in days.items():
        previous = None
        for day in sorted(per_day):
            distance, runs = per_day[day]
            gap = min((day - previous).days, GAP_LIMIT) if previous else GAP_LIMIT
            expected_days[(user_id, day)] = (distance, runs, gap)
            previous = day
            week = (user_id, day - timedelta(days=day.weekday()))
            expected_weeks[week] = (
                expected_weeks[week][0] + distance,
                expected_weeks[week][1] + runs,
            )
    assert set(stored_days) == set(expected_days), "each local day with runs has one row"
    for key, (distance, runs, gap) in expected_days.items():
        assert stored_days[key][1:] == (runs, gap), key
        assert stored_days[key][0] == pytest.approx(distance, abs=1e-6), key
    assert set(stored_weeks) == set(expected_weeks)
    for key, (distance, runs) in expected_weeks.items():
        assert stored_weeks[key] == (pytest.approx(distance, abs=1e-6), runs), key

    members = club_members()
    for club, people in members.items():
        assert counts.get(club, 0) == len(people), club
    expected, actual = expected_club_days(), stored_club_days()
    for club in set(expected) | set(actual):
        want, got = expected.get(club, {}), actual.get(club, {})
        assert set(got) == set(want), club
        for day, (distance, runs, active) in want.items():
            assert got[day][1:] == (runs, active), (club, day)
            assert got[day][0] == pytest.approx(distance, abs=1e-6), (club, day)


def brute_force(members: set[int], first: date, last: date) -> tuple[float, int, int]:
    """Distance, activities and athletes with at least one run over local days first..last."""
    distance, runs, active = 0.0, 0, 0
    days = local_days()
    for user_id in members:
        inside = [v for d, v in days[user_id].items() if first <= d <= last]
        distance += sum(v[0] for v in inside)
        runs += sum(v[1] for v in inside)
        active += bool(inside)
    return round(distance, 1), runs, active


def test_random_changes_keep_the_club_totals_exact():
    rng = random.Random(20261128)
    athletes = [make_user(timezone=zone) for zone in ZONES] + [make_user(timezone="Europe/Berlin")]
    orgs = [make_org("Riverside"), make_org("Hilltop")]
    for athlete in athletes[:4]:
        add_member(orgs[0], athlete)
    for athlete in athletes[3:]:
        add_member(orgs[1], athlete)
    groups = [
        Group.objects.create(organization=orgs[0], name="Road"),
        Group.objects.create(organization=orgs[0], name="Track"),
        Group.objects.create(organization=orgs[1], name="Trail"),
    ]
    groups[0].members.add(*athletes[:2])
    groups[1].members.add(athletes[1])
    groups[2].members.add(athletes[4])

    def random_start() -> datetime:
        return ORIGIN + timedelta(minutes=rng.randrange(0, 70 * 24 * 60))

    for step in range(220):
        roll = rng.random()
        activities = list(Activity.objects.values_list("pk", flat=True))
        athlete = rng.choice(athletes)
        org = rng.choice(orgs)
        if roll < 0.3 or not activities:
            make_activity(athlete, random_start(), distance=rng.uniform(1000, 30000))
        elif roll < 0.36:  # a sync: several runs in one INSERT statement
            Activity.objects.bulk_create(
                Activity(
                    user=rng.choice(athletes),
                    start_time=random_start(),
                    duration=1800,
                    distance=rng.uniform(1000, 30000),
                )
                for _ in range(rng.randrange(2, 6))
            )
        elif roll < 0.46:  # an edit: the start moves a day or more, the distance too
            activity = Activity.objects.get(pk=rng.choice(activities))
            activity.start_time += timedelta(hours=rng.randrange(-72, 72))
            if rng.random() < 0.5:
                activity.distance = rng.uniform(1000, 30000)
            activity.save()
        elif roll < 0.49:  # an activity given to another athlete
            Activity.objects.filter(pk=rng.choice(activities)).update(user=athlete)
        elif roll < 0.52:  # one UPDATE statement over many rows
            Activity.objects.filter(pk__in=rng.sample(activities, min(5, len(activities)))).update(
                start_time=random_start()
            )
        elif roll < 0.6:
            Activity.objects.filter(
                pk__in=rng.sample(activities, min(rng.randrange(1, 4), len(activities)))
            ).delete()
        elif roll < 0.65:  # the athlete moves: every run of theirs is on a new local day
            athlete.timezone = rng.choice([z for z in ZONES if z != athlete.timezone])
            athlete.save(update_fields=["timezone"])
        elif roll < 0.71:  # joins the organization, or leaves it (and its groups)
            membership = Membership.objects.filter(organization=org, user=athlete).first()
            if membership:
                Group.members.through.objects.filter(group__organization=org, user=athlete).delete()
                membership.delete()
            else:
                add_member(org, athlete)
        elif roll < 0.75:  # becomes a coach there, or an athlete again
            Membership.objects.filter(organization=org, user=athlete).update(
                role=rng.choice([Role.COACH, Role.ATHLETE])
            )
        elif roll < 0.84:  # into a group, or out of it
            group = rng.choice(groups)
            if group.members.filter(pk=athlete.pk).exists():
                group.members.remove(athlete)
            elif Membership.objects.filter(organization=group.organization, user=athlete):
                group.members.add(athlete)  # only a club's member (PostgreSQL keeps it)
        elif roll < 0.88:  # the account deactivated, or back
            athlete.is_active = not athlete.is_active
            athlete.save(update_fields=["is_active"])
        elif roll < 0.9:  # a group deleted, another made
            group = rng.choice(groups)
            groups.remove(group)
            group.delete()
            groups.append(Group.objects.create(organization=org, name=f"Group {step}"))
        else:  # a write rolled back leaves no trace
            with pytest.raises(RuntimeError), transaction.atomic():
                make_activity(athlete, random_start(), distance=5000)
                groups[0].members.remove(*groups[0].members.all()[:1])
                Activity.objects.filter(pk=rng.choice(activities)).delete()
                raise RuntimeError("rolled back")
        if step % 20 == 19:
            assert_equal_to_recomputation()
    assert_equal_to_recomputation()

    # What a coach reads: every group's and the unassigned athletes' numbers over random
    # spans, and the organization's week, equal a count of the runs themselves.
    members = club_members()
    for _ in range(10):
        org = rng.choice(orgs)
        first = ORIGIN.date() + timedelta(days=rng.randrange(-5, 75))
        last = first + timedelta(days=rng.choice([0, 6, 13, 29, rng.randrange(0, 400)]))
        comparison = group_comparison(org, first=first, last=last)
        by_id = {g.public_id: g.pk for g in org.groups.all()}
        for row in comparison["groups"]:
            want = brute_force(members[("group", by_id[row["group_id"]])], first, last)
            got = (row["total_distance"], row["total_activities"], row["active_athletes"])
            assert got == want, (row["name"], first, last)
        unassigned = comparison["unassigned"]
        assert (
            unassigned["total_distance"],
            unassigned["total_activities"],
            unassigned["active_athletes"],
        ) == brute_force(members[("none", org.pk)], first, last)

        monday = first - timedelta(days=first.weekday())
        today = monday + timedelta(days=rng.randrange(0, 10))
        week = group_overview(org, week_start=monday, group=None, units="metric", today=today)
        assert week["athlete_count"] == len(members[("org", org.pk)])
        this_week = (week["total_distance"], week["total_activities"], week["active_athletes"])
        assert this_week == brute_force(
            members[("org", org.pk)], monday, monday + timedelta(days=6)
        )
        through = date.fromisoformat(str(week["last_week"]["to"]))
        distance, runs, _ = brute_force(
            members[("org", org.pk)], monday - timedelta(days=7), through
        )
        assert (week["last_week"]["total_distance"], week["last_week"]["total_activities"]) == (
            distance,
            runs,
        )

    # The roster counts each club without reading it: all, by group, and those in no group.
    for org in orgs:
        for filters, club in [
            (RosterFilters(), ("org", org.pk)),
            (RosterFilters(unassigned_only=True), ("none", org.pk)),
            *[(RosterFilters(group=g), ("group", g.pk)) for g in org.groups.all()],
        ]:
            assert roster_page(org, filters, Page(1, 2))["total_count"] == len(members[club])

    # Built from nothing (the migration's backfill, the benchmark's load), the same rows.
    rebuild_club_totals()
    assert_equal_to_recomputation()


def test_a_comparison_counts_an_athlete_once_however_often_they_ran():
    # METRICS.md §8, engagement: athletes with at least one activity in the period. Ana ran
    # on three days of the period, once the day before it (her first run inside still
    # counts her), and Ben only the day after it.
    org = make_org()
    ana, ben = make_user(timezone="UTC"), make_user(timezone="UTC")
    add_member(org, ana)
    add_member(org, ben)
    group = Group.objects.create(organization=org, name="Road")
    group.members.add(ana, ben)
    for day in (9, 10, 12, 15):
        make_activity(ana, datetime(2026, 3, day, 8, tzinfo=UTC), distance=5000)
    make_activity(ben, datetime(2026, 3, 16, 8, tzinfo=UTC), distance=8000)
    row = group_comparison(org, first=date(2026, 3, 10), last=date(2026, 3, 15))["groups"][0]
    assert (row["athlete_count"], row["active_athletes"], row["total_activities"]) == (2, 1, 3)
    assert row["total_distance"] == 15000
    assert row["engagement_rate"] == 0.5
    # Ben leaves the group: its history leaves with him, the unassigned gain it.
    group.members.remove(ben)
    comparison = group_comparison(org, first=date(2026, 3, 10), last=date(2026, 3, 16))
    assert comparison["groups"][0]["athlete_count"] == 1
    assert comparison["unassigned"]["total_distance"] == 8000
    assert comparison["unassigned"]["active_athletes"] == 1
