"""The roster reads its order, its filters' names and its freshness from rows PostgreSQL keeps
(analytics.models.RosterRow, issue 18), so a page of a club of 10,000 is an index range.
After random joins, role changes, departures, renames, deactivations, data changes, zone
changes and snapshot refreshes, those rows must equal what the memberships, the athletes
and their snapshots say, and a snapshot must count as fresh exactly when
`analytics.snapshots.is_fresh` says so, at any hour."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from analytics.models import AthleteSnapshot, RosterRow
from analytics.snapshots import is_fresh, snapshots_refresh
from athletes.models import User
from athletes.services.changes import athlete_data_changed
from organizations.models import Membership, Role
from tests.factories import add_member, make_activity, make_org, make_user

pytestmark = pytest.mark.django_db

ZONES = ["Pacific/Kiritimati", "America/St_Johns", "Asia/Kathmandu", "Europe/Berlin", ""]
START = datetime(2026, 11, 16, 9, tzinfo=UTC)


def expected_rows(now: datetime) -> dict[int, tuple]:
    snapshots = {s.user_id: s for s in AthleteSnapshot.objects.all()}
    out = {}
    for membership in Membership.objects.filter(role=Role.ATHLETE).select_related("user"):
        user, snapshot = membership.user, snapshots.get(membership.user_id)
        with time_machine.travel(now, tick=False):
            fresh = is_fresh(snapshot, user)
        out[membership.pk] = (
            membership.organization_id,
            user.pk,
            user.is_active,
            user.display_name,
            user.username,
            snapshot.last_activity_at if snapshot else None,
            snapshot.weekly_distance if snapshot else None,
            snapshot.attention_warnings if snapshot else None,
            snapshot.attention_infos if snapshot else None,
            snapshot.attention_since if snapshot else None,
            fresh,
        )
    return out


def kept_rows(now: datetime) -> dict[int, tuple]:
    return {
        row.membership_id: (
            row.organization_id,
            row.user_id,
            row.active,
            row.name,
            row.username,
            row.last_activity_at,
            row.weekly_distance,
            row.attention_warnings,
            row.attention_infos,
            row.attention_since,
            row.fresh_from <= now < row.fresh_until,
        )
        for row in RosterRow.objects.all()
    }


def assert_kept(now: datetime, hours: tuple[int, ...] = (0, 5, 11, 17, 23, 30)) -> None:
    # At the moment itself, and hours on, on both sides of every zone's next midnights.
    for offset in hours:
        moment = now + timedelta(hours=offset)
        assert kept_rows(moment) == expected_rows(moment), moment


def test_random_changes_keep_the_roster_rows_equal_to_their_sources():
    rng = random.Random(18)
    clubs = [make_org("North"), make_org("South")]
    people = [
        make_user(f"p{i}", display_name=f"Person {i}", timezone=rng.choice(ZONES)) for i in range(8)
    ]
    for person in people:
        add_member(clubs[0], person)
    now = START
    for step in range(90):
        roll = rng.random()
        person = rng.choice(people)
        person.refresh_from_db()
        held = list(Membership.objects.filter(user=person).order_by("pk"))
        membership = rng.choice(held) if held else None
        with time_machine.travel(now, tick=False):
            if roll < 0.25:
                club = rng.choice(clubs)
                if not Membership.objects.filter(user=person, organization=club).exists():
                    add_member(club, person, rng.choice([Role.ATHLETE, Role.ATHLETE, Role.COACH]))
            elif roll < 0.3 and membership:  # an athlete made coach, or back
                membership.role = Role.COACH if membership.role == Role.ATHLETE else Role.ATHLETE
                membership.save()
            elif roll < 0.33 and membership:
                membership.delete()
            elif roll < 0.42:
                person.display_name = f"Renamed {step}"
                person.save()
            elif roll < 0.47:
                person.username = f"user{step}"
                person.save()
            elif roll < 0.5:
                person.is_active = rng.random() < 0.7  # most accounts stay active
                person.save()
            elif roll < 0.65:  # a run: the data changes, the snapshot goes stale
                make_activity(person, now - timedelta(hours=rng.randrange(1, 200)))
                athlete_data_changed([person.pk])
            elif roll < 0.72:
                person.timezone = rng.choice(ZONES)
                person.save()
            elif roll < 0.92:  # the hourly refresh, or a roster read, recomputes some
                snapshots_refresh(rng.sample([p.pk for p in people], 4), force=rng.random() < 0.3)
            elif roll < 0.95:
                AthleteSnapshot.objects.filter(user=person).delete()
            else:
                now += timedelta(hours=rng.randrange(1, 40))
        assert_kept(now, (0, 13) if step % 10 else (0, 5, 11, 17, 23, 30))
    assert_kept(now)
    # The walk went through every kind of row (a run that ended with none would prove little).
    assert RosterRow.objects.filter(active=True).count() >= 3
    assert RosterRow.objects.filter(active=False).exists()
    assert AthleteSnapshot.objects.count() >= 3


def test_a_user_deleted_leaves_no_roster_row():
    club = make_org()
    athlete = make_user(timezone="Europe/Berlin")
    add_member(club, athlete)
    snapshots_refresh([athlete.pk])
    assert RosterRow.objects.filter(user=athlete).count() == 1
    User.objects.filter(pk=athlete.pk).delete()
    assert RosterRow.objects.count() == 0


def row_version(model, **key) -> int:
    """The transaction that last wrote the row (PostgreSQL's xmin): a row rewritten to the
    same values gets a new one, and a new entry in each of its indexes."""
    from django.db import connection

    table = model._meta.db_table
    where = " AND ".join(f"{name} = %s" for name in key)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT xmin::text::bigint FROM {table} WHERE {where}", list(key.values()))  # noqa: S608
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_refresh_to_the_same_figures_leaves_the_kept_rows_alone():
    """The hourly refresh recomputes snapshots and standings whose figures mostly come out
    the same: their roster and plan rows (eight indexes each) are not rewritten for that,
    and are as soon as a figure changes."""
    from analytics.models import PlanRow
    from analytics.standings import standings_refresh_for
    from athletes.models import Plan, PlannedWorkout
    from athletes.services import plans as plan_services

    club = make_org()
    athlete = make_user(timezone="Europe/Berlin")
    membership = add_member(club, athlete)
    make_activity(athlete, START - timedelta(days=1), distance=8000)
    plan = Plan.objects.create(organization=club, name="Four weeks", total_weeks=4)
    PlannedWorkout.objects.create(plan=plan, week=1, day=1, distance=10000)
    instance = plan_services.plan_assign(plan=plan, athletes=[athlete], start_date=START.date())[0]
    athlete_data_changed([athlete.pk])
    with time_machine.travel(START, tick=False):
        snapshots_refresh([athlete.pk])
        standings_refresh_for([athlete.pk])
        roster = row_version(RosterRow, membership_id=membership.pk)
        planned = row_version(PlanRow, instance_id=instance.pk)
        snapshots_refresh([athlete.pk], force=True)
        standings_refresh_for([athlete.pk], force=True)
        assert row_version(RosterRow, membership_id=membership.pk) == roster
        assert row_version(PlanRow, instance_id=instance.pk) == planned
        # A run of today changes the week's distance: the row follows at once.
        make_activity(athlete, START - timedelta(hours=1), distance=5000)
        athlete_data_changed([athlete.pk])
        snapshots_refresh([athlete.pk])
        assert row_version(RosterRow, membership_id=membership.pk) != roster
        assert RosterRow.objects.get(membership_id=membership.pk).weekly_distance == 5000
