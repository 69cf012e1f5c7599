"""The Plans tab and `plans_overview` read kept plan standings (issue 18,
analytics/standings.py) instead of computing every plan of the club on each read. After
random runs, edits, deletes and time-zone changes, plans, workouts and instances edited by any
path, and days passing, what they show must equal a straight recomputation from the
activities (METRICS.md §7: "Plan compliance: over planned workout days up to today,
Σ min(done distance, planned) ÷ Σ planned distance; null before the first planned day"),
and a write must leave every other athlete's standing as it was."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.groups import plans_overview
from analytics.models import PlanRow, PlanStanding
from analytics.plans import plan_instances_data, with_plan
from analytics.snapshots import snapshot_batches
from analytics.standings import stale_instances
from analytics.tasks import refresh_snapshot
from astral.localtime import local_today
from athletes.models import Activity, Plan, PlanInstance, PlannedWorkout, PlanStatus
from athletes.services.accounts import user_update
from athletes.services.activities import activity_create, activity_delete, activity_update
from organizations.models import Group, Membership, Role
from tests.conftest import signed_in
from tests.factories import add_member, make_org, make_user

pytestmark = pytest.mark.django_db

# Zones whose local days differ most from UTC's, and the empty zone (read as UTC).
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu", "America/St_Johns", ""]
NOW = datetime(2026, 11, 20, 15, tzinfo=UTC)


def recomputed(org) -> dict:
    """Every active plan of the organization's athletes computed now from the activities,
    with no kept row read, and the per-group rollups averaged here."""
    instances = list(
        with_plan(
            PlanInstance.objects.filter(
                status=PlanStatus.ACTIVE,
                plan__organization=org,
                user__memberships__organization=org,
                user__memberships__role=Role.ATHLETE,
            )
        )
    )
    rows = plan_instances_data(instances, with_sums=True)
    users = {i.public_id: i.user.public_id for i in instances}
    today = {i.public_id: local_today(i.user.tz) for i in instances}
    members = {
        g.public_id: {u.public_id for u in g.members.all()}
        for g in Group.objects.filter(organization=org)
    }
    grouped = set().union(*members.values()) if members else set()

    def progress(r: dict) -> float:
        # A plan not started yet has made no progress.
        started = r["start_date"] <= today[r["plan_instance_id"]]
        return r["current_week"] / r["total_weeks"] if started else 0.0

    def rollup(chosen: list[dict]) -> dict:
        # METRICS.md §7: "Group and week figures are the same mean over their workouts."
        due = sum(r["due_workouts"] for r in chosen)
        return {
            "active_plans": len(chosen),
            "avg_progress": sum(map(progress, chosen)) / len(chosen) if chosen else None,
            "avg_compliance": sum(r["score_sum"] for r in chosen) / due if due else None,
            "plans": sorted({r["name"] for r in chosen}),
        }

    by_group = {
        group_id: rollup([r for r in rows if users[r["plan_instance_id"]] in ids])
        for group_id, ids in members.items()
    }
    by_group[None] = rollup([r for r in rows if users[r["plan_instance_id"]] not in grouped])
    return {"rows": {r["plan_instance_id"]: r for r in rows}, "by_group": by_group}


FIELDS = (
    "plan_id",
    "user_id",
    "name",
    "status",
    "start_date",
    "current_week",
    "total_weeks",
    "compliance",
    "recent_weeks",
    "planned_distance_to_date",
)


def assert_equal_to_recomputation(org, step: str) -> None:
    expected = recomputed(org)
    shown = plans_overview(org)
    rows = {r["plan_instance_id"]: r for r in shown["athletes"]}
    assert set(rows) == set(expected["rows"]), step
    assert shown["active_plans"] == len(expected["rows"]), step
    for key, row in expected["rows"].items():
        assert {f: rows[key][f] for f in FIELDS} == {f: row[f] for f in FIELDS}, (step, key)
    groups = {g["group_id"]: g for g in shown["by_group"]}
    assert set(groups) == set(expected["by_group"]), step
    for group_id, rollup in expected["by_group"].items():
        got = groups[group_id]
        assert got["active_plans"] == rollup["active_plans"], (step, group_id)
        assert got["plans"] == rollup["plans"], (step, group_id)
        for name in ("avg_progress", "avg_compliance"):
            if rollup[name] is None:
                assert got[name] is None, (step, group_id, name)
            else:  # rounded to 3 places for display
                assert got[name] == pytest.approx(rollup[name], abs=0.0005 + 1e-9), (step, name)


def stale_by_hand(org) -> set[int]:
    """The listed plans (active, of an athlete of the plan's club) whose kept standing is
    missing or no longer computed from what its instance, plan and athlete are now."""
    stale = set()
    for instance in PlanInstance.objects.filter(
        status=PlanStatus.ACTIVE,
        plan__organization=org,
        user__memberships__organization=org,
        user__memberships__role=Role.ATHLETE,
    ).select_related("plan", "user"):
        standing = PlanStanding.objects.filter(instance=instance).first()
        today = datetime.now(UTC).astimezone(instance.user.tz).date()
        if standing is None or (
            standing.source_version,
            standing.as_of,
            standing.source_plan,
            standing.source_revision,
            standing.source_weeks,
            standing.source_start,
        ) != (
            instance.user.data_version,
            today,
            instance.plan_id,
            instance.plan.revision,
            instance.plan.total_weeks,
            instance.start_date,
        ):
            stale.add(instance.pk)
    return stale


def build_club(rng: random.Random) -> dict:
    org = make_org("Standings Club")
    athletes = []
    for n in range(8):
        user = make_user(f"st{n}", timezone=ZONES[n % len(ZONES)])
        add_member(org, user)
        athletes.append(user)
    outsider = make_user("outsider")  # a plan of the club, but no longer its athlete
    fast, slow = (Group.objects.create(organization=org, name=n) for n in ("Fast", "Slow"))
    fast.members.add(*athletes[:4])
    slow.members.add(*athletes[3:6])  # one in both, two in none
    plans = []
    for name, weeks in (("Base", 4), ("Build", 6), ("Taper", 3)):
        plan = Plan.objects.create(organization=org, name=name, total_weeks=weeks)
        PlannedWorkout.objects.bulk_create(
            PlannedWorkout(plan=plan, week=w, day=d, distance=rng.choice([5000, 8000, 12000]))
            for w in range(1, weeks + 1)
            for d in (2, 4, 6)
        )
        plans.append(plan)
    today = NOW.date()
    for user in [*athletes, outsider]:
        for plan in rng.sample(plans, 2):
            PlanInstance.objects.create(
                plan=plan, user=user, start_date=today - timedelta(days=rng.randint(-3, 30))
            )
    return {"org": org, "athletes": athletes, "plans": plans}


ACTIONS = (
    *("run", "run", "edit", "delete", "zone", "rename", "time"),  # the athlete's side
    *("workouts", "instance", "weeks"),  # the coach's side, straight to the tables
    *("member", "group"),  # the club's side
)


def a_run(rng: random.Random, user) -> Activity:
    started = datetime.now(UTC) - timedelta(days=rng.randint(0, 34), hours=rng.randint(1, 20))
    distance = rng.choice([3000, 6000, 8000, 13000])
    return activity_create(
        user=user,
        fields={"start_time": started, "distance": distance, "duration": distance * 0.3},
        allow_overlap=True,
    )


def test_kept_standings_equal_a_recomputation_after_random_changes():
    rng = random.Random(18)
    with time_machine.travel(NOW, tick=False) as traveller:
        club = build_club(rng)
        org, athletes, plans = club["org"], club["athletes"], club["plans"]
        for user in athletes:
            for _ in range(3):
                a_run(rng, user)
        assert_equal_to_recomputation(org, "first read")
        for step in range(80):
            action = rng.choice(ACTIONS)
            user = rng.choice(athletes)
            runs = list(Activity.objects.filter(user__in=athletes))
            if action == "run":
                a_run(rng, user)
            elif action == "edit" and runs:
                run = rng.choice(runs)
                activity_update(
                    activity=run,
                    fields={
                        "distance": rng.choice([2000, 9000, 15000]),
                        "start_time": run.start_time + timedelta(hours=rng.randint(-30, 30)),
                    },
                )
            elif action == "delete" and runs:
                activity_delete(activity=rng.choice(runs))
            elif action == "zone":
                user_update(user=user, changes={"timezone": rng.choice(ZONES)})
            elif action == "workouts":  # straight to the table, as the admin or a shell would
                plan = rng.choice(plans)
                kind = rng.choice(["add", "change", "remove"])
                if kind == "add":
                    PlannedWorkout.objects.create(
                        plan=plan, week=rng.randint(1, plan.total_weeks), day=1, distance=7000
                    )
                elif kind == "change":
                    plan.workouts.filter(week=rng.randint(1, plan.total_weeks)).update(
                        distance=rng.choice([4000, 10000])
                    )
                else:
                    plan.workouts.filter(day=rng.choice([2, 4, 6]), week=1).delete()
            elif action == "instance":
                instance = rng.choice(list(PlanInstance.objects.filter(plan__in=plans)))
                change = rng.choice(["start", "status", "plan"])
                if change == "start":
                    instance.start_date += timedelta(days=rng.randint(-9, 9))
                elif change == "status":
                    instance.status = rng.choice([PlanStatus.ACTIVE, PlanStatus.COMPLETED])
                else:
                    instance.plan = rng.choice(plans)
                instance.save()
            elif action == "weeks":
                plan = rng.choice(plans)
                plan.total_weeks = rng.randint(2, 8)
                plan.save()
            elif action == "member":  # leaves the club, comes back, or coaches it
                membership = Membership.objects.filter(organization=org, user=user).first()
                if membership is None:
                    add_member(org, user)
                elif rng.random() < 0.5:
                    membership.delete()
                else:
                    membership.role = rng.choice([Role.COACH, Role.ATHLETE])
                    membership.save()
            elif action == "group":
                group = rng.choice(list(Group.objects.filter(organization=org)))
                if group.members.filter(pk=user.pk).exists():
                    group.members.remove(user)
                else:
                    group.members.add(user)
            elif action == "rename":
                user_update(user=user, changes={"display_name": rng.choice(["Ann", "Zed", ""])})
            else:  # hours pass: local days turn over in some zones, not others
                traveller.shift(timedelta(hours=rng.randint(3, 30)))
            # What PostgreSQL keeps says exactly which standings a read must recompute.
            assert set(stale_instances(organization_id=org.pk)) == stale_by_hand(org), step
            assert_equal_to_recomputation(org, f"step {step}: {action}")


@time_machine.travel(NOW, tick=False)
def test_a_run_leaves_every_other_standing_as_it_was():
    """After a run only its athlete's plans are recomputed; after a plan's workouts change
    only its followers'; when midnight passes in one zone only the athletes there."""
    rng = random.Random(7)
    club = build_club(rng)
    org, athletes = club["org"], club["athletes"]
    plans_overview(org)
    assert stale_instances(organization_id=org.pk) == []
    runner = athletes[1]
    a_run(rng, runner)
    runners_plans = sorted(
        PlanInstance.objects.filter(user=runner, status="active").values_list("pk", flat=True)
    )
    assert stale_instances(organization_id=org.pk) == runners_plans
    plans_overview(org)
    plan = club["plans"][0]
    PlannedWorkout.objects.filter(plan=plan, week=1).update(distance=1000)
    followers = sorted(
        PlanInstance.objects.filter(
            plan=plan, status="active", user__memberships__organization=org
        ).values_list("pk", flat=True)
    )
    assert followers and stale_instances(organization_id=org.pk) == followers
    plans_overview(org)
    # Midnight in Kathmandu (UTC+5:45) is 18:15 UTC: four hours on, its athletes have a new
    # local day, while it is still the 20th in St John's, Pago Pago and UTC, and already
    # was the 21st in Kiritimati (UTC+14) before.
    with time_machine.travel(NOW + timedelta(hours=4), tick=False):
        kathmandu = sorted(
            PlanInstance.objects.filter(
                user__timezone="Asia/Kathmandu", plan__organization=org, status="active"
            ).values_list("pk", flat=True)
        )
        assert kathmandu and stale_instances(organization_id=org.pk) == kathmandu


@time_machine.travel(NOW, tick=False)
def test_the_hourly_refresh_recomputes_the_followers_of_a_changed_plan():
    """A plan edited with nobody looking (no read of the Plans tab) is recomputed by the
    hourly refresh, which takes its followers even though their snapshots are fresh."""
    rng = random.Random(3)
    club = build_club(rng)
    org = club["org"]
    plans_overview(org)
    for batch in snapshot_batches():
        refresh_snapshot(batch)
    assert snapshot_batches() == []
    plan = club["plans"][1]
    PlannedWorkout.objects.filter(plan=plan).delete()
    followers = set(
        PlanInstance.objects.filter(
            plan=plan, status="active", user__memberships__organization=org
        ).values_list("user_id", flat=True)
    )
    batches = snapshot_batches()
    assert {pk for batch in batches for pk in batch} == followers
    for batch in batches:
        refresh_snapshot(batch)
    assert stale_instances(organization_id=org.pk) == []
    standing = PlanStanding.objects.filter(instance__plan=plan, instance__status="active").first()
    assert standing.compliance is None  # nothing planned any more: no compliance
    assert standing.planned_distance_to_date == 0


def plan_table(html: str) -> list[tuple[str, str]]:
    """(athlete, compliance) of each row of the Plans tab's athlete table."""
    body = html.split('data-testid="plans-by-athlete"')[1].split("</table>")[0]
    names = re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', body)
    values = re.findall(r'<span class="compliance[^"]*">([^<]*)</span>', body)
    return list(zip(names, values, strict=True))


@time_machine.travel(NOW, tick=False)
def test_the_plans_tab_pages_the_club_by_lowest_compliance_in_a_constant_number_of_queries(
    django_assert_max_num_queries,
):
    """A coach sees who is furthest behind their plan first, fifty to a page; a club of 55
    plans costs the page the same queries as a club of 5."""
    org = make_org("Paging Club")
    coach = make_user("pcoach")
    add_member(org, coach, role=Role.OWNER)
    Group.objects.create(organization=org, name="All")
    plan = Plan.objects.create(organization=org, name="Ten weeks", total_weeks=10)
    PlannedWorkout.objects.create(plan=plan, week=1, day=1, distance=10000)
    monday = date(2026, 11, 16)  # NOW is Friday the 20th; week 1's Monday is the 16th
    client = signed_in(coach)

    def add_athletes(first: int, last: int) -> None:
        for n in range(first, last):
            user = make_user(f"p{n:02d}", display_name=f"Runner {n:02d}")
            add_member(org, user)
            PlanInstance.objects.create(plan=plan, user=user, start_date=monday)
            # Runner n ran n × 100 m of the 10 km on Monday: compliance n %.
            activity_create(
                user=user,
                fields={
                    "start_time": datetime(2026, 11, 16, 12, tzinfo=UTC),
                    "distance": n * 100,
                    "duration": 600,
                },
            )

    add_athletes(1, 6)
    client.get("/analytics?tab=plans")  # the standings are computed once
    with django_assert_max_num_queries(20) as few:
        small = client.get("/analytics?tab=plans")
    add_athletes(6, 56)
    client.get("/analytics?tab=plans")
    with CaptureQueriesContext(connection) as many:
        first = client.get("/analytics?tab=plans")
    assert len(many.captured_queries) == len(few.captured_queries)
    assert plan_table(small.content.decode())[0] == ("Runner 01", "1%")
    rows = plan_table(first.content.decode())
    assert len(rows) == 50
    assert rows[0] == ("Runner 01", "1%") and rows[-1] == ("Runner 50", "50%")
    assert "55 active" in first.content.decode()
    second = plan_table(client.get("/analytics?tab=plans&page=2").content.decode())
    assert second == [(f"Runner {n}", f"{n}%") for n in range(51, 56)]
    past_the_end = plan_table(client.get("/analytics?tab=plans&page=9").content.decode())
    assert past_the_end == second  # the last page
    assert plan_table(client.get("/analytics?tab=plans&page=x").content.decode()) == rows
    by_name = plan_table(client.get("/analytics?tab=plans&sort=name").content.decode())
    assert by_name[0][0] == "Runner 01" and by_name[1][0] == "Runner 02"
    reversed_club = plan_table(client.get("/analytics?tab=plans&sort=bogus").content.decode())
    assert reversed_club == rows  # an unknown order is the default one


@time_machine.travel(NOW, tick=False)
def test_the_refresh_a_write_enqueues_checks_the_sources_not_the_kept_span():
    """A refresh that commits just after a concurrent write can leave that athlete's kept
    span saying fresh (the write's trigger ran before the refresh's standing existed). The
    refresh the write itself enqueues checks the standing against the sources, so it is
    put right within seconds."""
    rng = random.Random(11)
    club = build_club(rng)
    org, runner = club["org"], club["athletes"][2]
    plans_overview(org)
    a_run(rng, runner)  # the version moves on...
    PlanRow.objects.filter(user_id=runner.pk).update(  # ...but the span says fresh
        fresh_from=NOW - timedelta(days=1), fresh_until=NOW + timedelta(days=1)
    )
    mine = sorted(
        PlanInstance.objects.filter(user=runner, status="active").values_list("pk", flat=True)
    )
    assert not set(mine) & set(stale_instances(organization_id=org.pk))
    assert stale_instances(user_ids=[runner.pk]) == mine
    refresh_snapshot([runner.pk])
    assert stale_instances(user_ids=[runner.pk]) == []
    assert_equal_to_recomputation(org, "after the enqueued refresh")


def test_a_plans_figures_do_not_depend_on_its_weeks_after_the_current_one(monkeypatch):
    """The refresh matches each plan's workouts through the Sunday of its current plan week
    only (issue 36: most of a plan's workouts are ahead of it, matched again at every
    midnight). What a plan instance shows (compliance, the workouts due and their scores,
    its recent weeks, the distance planned to date) is what matching every workout of the
    plan gives (METRICS.md §7), for plans begun, not begun yet and over, across time zones,
    with runs on every day around the week's end."""
    import analytics.plans as plans_module

    rng = random.Random(36)
    with time_machine.travel(NOW, tick=False) as traveller:
        club = build_club(rng)
        for user in club["athletes"]:
            for _ in range(12):
                a_run(rng, user)
        # A plan over before today and one that starts next week.
        for user in club["athletes"][:2]:
            PlanInstance.objects.create(
                plan=club["plans"][2], user=user, start_date=NOW.date() - timedelta(days=40)
            )
            PlanInstance.objects.create(
                plan=club["plans"][0], user=user, start_date=NOW.date() + timedelta(days=8)
            )
        every_workout = plans_module.standings_of

        def all_of_them(instances, **kwargs):
            kwargs.pop("through", None)
            return every_workout(instances, **kwargs)

        for _ in range(7):  # a week of days, Sunday's end included
            instances = list(
                with_plan(PlanInstance.objects.filter(user__in=club["athletes"]).order_by("pk"))
            )
            kept = plan_instances_data(instances, with_sums=True)
            with monkeypatch.context() as patched:
                patched.setattr(plans_module, "standings_of", all_of_them)
                everything = plan_instances_data(instances, with_sums=True)
            assert len(kept) == 20  # two plans of each of 8 athletes, two more of 2
            assert kept == everything
            assert any(row["compliance"] is not None for row in kept)
            traveller.shift(timedelta(hours=23))
