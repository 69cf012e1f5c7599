"""Builds a realistic demo club, deterministic from a seed."""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils import timezone

from analytics.demo_tracks import RunPlan, demo_tcx
from astral.localtime import local_today
from athletes.models import (
    RUNNING_SPORTS,
    Activity,
    Goal,
    HealthMetric,
    Integration,
    Plan,
    PlanInstance,
    PlannedWorkout,
    User,
)
from athletes.selectors import TrainingContext
from athletes.services import activities as activity_services
from athletes.services.activities import derived_fields
from athletes.services.changes import _refresh_deferred
from metrics.load import calories_estimate
from metrics.zones import default_hr_zones, effective_pace_zones
from organizations.models import (
    Group,
    Invitation,
    InvitationStatus,
    Label,
    Membership,
    Organization,
    Role,
)
from organizations.services import api_key_create

DEMO_PASSWORD = "astral-demo-2026"  # noqa: S105 - documented demo login
ADMIN_PASSWORD = "astral-admin-2026"  # noqa: S105

FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Harper",
    "Rowan",
    "Elliot",
    "Noa",
    "Mika",
    "Sasha",
    "Robin",
    "Kai",
    "Lena",
    "Tomas",
    "Ines",
    "Yuki",
    "Omar",
    "Priya",
    "Lars",
    "Chiara",
    "Mateo",
    "Freya",
    "Ravi",
    "Zoe",
    "Hugo",
    "Amara",
    "Felix",
    "Nadia",
    "Oskar",
    "Leah",
    "Ivan",
    "Maya",
    "Theo",
    "Sofia",
]
LAST = [
    "Keller",
    "Moreau",
    "Okafor",
    "Lindqvist",
    "Tanaka",
    "Rossi",
    "Novak",
    "Silva",
    "Brennan",
    "Haddad",
    "Fischer",
    "Kowalski",
    "Duarte",
    "Nguyen",
    "Larsen",
    "Ahmed",
    "Petrov",
    "Costa",
    "Meyer",
    "Oliveira",
]
TIMEZONES = [
    "America/Chicago",
    "America/New_York",
    "Europe/London",
    "Europe/Berlin",
    "",
    "America/Los_Angeles",
]
GROUPS = ["Marathon Squad", "5K/10K Speed", "Trail Crew"]
LABELS = ["5k-focus", "marathon", "masters", "returning-from-injury", "new"]
RACES = [
    ("Chicago Marathon", 42195),
    ("Berlin Half", 21097.5),
    ("Parkrun PB", 5000),
    ("City 10K", 10000),
]


TEMPO = [
    {"kind": "warmup", "duration": 900},
    {"kind": "work", "distance": 5000, "target": {"pace_zone": 3}},
    {"kind": "cooldown", "duration": 600},
]


# The last four weeks of every athlete's runs are recorded as watch files and stored by the
# upload's import (tracks, splits, laps, zones, best efforts, pace curves); older runs are
# summaries, as a history synced from another service is.
TRACK_DAYS = 28


@dataclass(frozen=True)
class DemoRun:
    user_id: int
    start: datetime
    name: str
    source: str
    seed: int
    plan: RunPlan


def _import_share(runs: list[DemoRun]) -> None:
    """One process's share of the demo's files, each stored as an upload is, then named as
    the athlete named it."""
    from django.db import connection

    deferred = _refresh_deferred.set(True)  # one snapshot refresh at the end, for everyone
    try:
        users = User.objects.in_bulk({run.user_id for run in runs})
        names: list[Activity] = []
        for run in runs:
            imported = activity_services.activity_import_file(
                user=users[run.user_id],
                filename=f"{run.start:%Y-%m-%d}-{run.seed}.tcx",
                content=demo_tcx(run.plan, run.start, run.seed),
                source=run.source,
            )
            names.append(Activity(pk=imported.first.pk, name=run.name))
        Activity.objects.bulk_update(names, ["name"], batch_size=1000)
    finally:
        _refresh_deferred.reset(deferred)
        if not connection.in_atomic_block:
            connection.close()  # a pool's process ends with its own connection


def import_demo_runs(runs: list[DemoRun]) -> None:
    """The demo's watch files, imported on every core (each process its own connection)."""
    from django.db import connection, connections

    workers = max(1, min(4, os.cpu_count() or 1))
    shares = [runs[i::workers] for i in range(workers)]
    # Other processes see only what is committed: inside a transaction (a test's) one does it.
    if workers == 1 or len(runs) < 50 or connection.in_atomic_block:
        _import_share(runs)
        return
    connections.close_all()  # a forked process must not share its parent's socket
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_import_share, shares)


class Command(BaseCommand):
    help = "Loads the demo club (2 coaches, 3 groups, ~40 athletes, 6 months of training)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--athletes", type=int, default=40)
        parser.add_argument("--days", type=int, default=183)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when users exist")
        parser.add_argument(
            "--track-days",
            type=int,
            default=TRACK_DAYS,
            help="the runs of this many last days are recorded as watch files (0: none)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("Database already has users; demo not loaded.")
            return
        self.tracks: list[DemoRun] = []
        self.track_days = options["track_days"]
        with transaction.atomic():
            self.build(options["seed"], options["athletes"], options["days"])
        self.stdout.write(f"Recording {len(self.tracks)} recent runs as watch files…")
        import_demo_runs(self.tracks)
        from analytics.snapshots import snapshots_refresh_all

        snapshots_refresh_all()
        self.stdout.write(self.style.SUCCESS("Demo club loaded. Logins (password in brackets):"))
        self.stdout.write(f"  head coach  maria@riverside.example  [{DEMO_PASSWORD}]")
        self.stdout.write(f"  coach       theo@riverside.example   [{DEMO_PASSWORD}]")
        self.stdout.write(f"  athlete     alex@riverside.example   [{DEMO_PASSWORD}]")
        self.stdout.write(f"  admin       admin@astral.example     [{ADMIN_PASSWORD}]  -> /admin/")

    def build(self, seed: int, athlete_count: int, days: int) -> None:
        rng = random.Random(seed)
        today = local_today(UTC)
        org = Organization.objects.create(name="Riverside Running Club")
        maria = User.objects.create_user(
            username="maria.coach",
            email="maria@riverside.example",
            password=DEMO_PASSWORD,
            display_name="Maria Keller",
            timezone="America/Chicago",
            unit_system="metric",
        )
        theo = User.objects.create_user(
            username="theo.coach",
            email="theo@riverside.example",
            password=DEMO_PASSWORD,
            display_name="Theo Brennan",
            timezone="Europe/London",
            unit_system="metric",
        )
        User.objects.create_superuser(
            username="admin",
            email="admin@astral.example",
            password=ADMIN_PASSWORD,
            display_name="Astral Support",
        )
        Membership.objects.create(organization=org, user=maria, role=Role.OWNER)
        Membership.objects.create(organization=org, user=theo, role=Role.COACH)
        joined: list[tuple[User, str]] = [(theo, Role.COACH)]
        api_key_create(organization=org, name="Demo integration", created_by=maria)
        groups = [Group.objects.create(organization=org, name=name) for name in GROUPS]
        labels = [Label.objects.create(organization=org, name=name) for name in LABELS]

        activities: list[Activity] = []
        health: list[HealthMetric] = []
        for index in range(athlete_count):
            first = FIRST[index % len(FIRST)]
            last = LAST[(index * 7) % len(LAST)]
            username = "alex.runner" if index == 0 else f"{first.lower()}.{last.lower()}{index}"
            email = "alex@riverside.example" if index == 0 else f"{username}@riverside.example"
            configured = rng.random() > 0.25  # a quarter of athletes left their set-up half done
            vdot = round(rng.uniform(34, 60), 1) if configured else None
            max_hr = rng.randint(172, 200) if configured and rng.random() > 0.3 else None
            athlete = User.objects.create_user(
                username=username,
                email=email,
                password=DEMO_PASSWORD,
                display_name=f"{first} {last}",
                timezone=TIMEZONES[index % len(TIMEZONES)] if configured or index % 2 else "",
                unit_system=("imperial" if index % 5 == 0 else "metric") if configured else "",
                sex=rng.choice(["male", "female", "female", "male", "other"]),
                birth_date=date(rng.randint(1965, 2004), rng.randint(1, 12), rng.randint(1, 28)),
                weight_kg=round(rng.uniform(50, 85), 1),
                max_hr=max_hr,
                resting_hr=rng.randint(42, 62),
                vdot=vdot,
            )
            membership = Membership.objects.create(
                organization=org,
                user=athlete,
                role=Role.ATHLETE,
                assigned_coach=(maria, theo, None)[index % 3],
            )
            membership.labels.set(rng.sample(labels, k=rng.choice([0, 1, 1, 2])))
            joined.append((athlete, Role.ATHLETE))
            if index % 8 != 7:  # some athletes are in no group
                groups[index % 3].members.add(athlete)
            if configured and rng.random() > 0.2:
                for provider in rng.sample(
                    ["garmin", "strava", "apple_health"], k=rng.randint(1, 2)
                ):
                    Integration.objects.create(
                        user=athlete,
                        provider=provider,
                        external_id=f"{provider[:2]}-{index}",
                        last_sync_at=timezone.now() - timedelta(hours=rng.randint(1, 30)),
                    )
            activities += self.training(rng, athlete, index, today, days)
            health += self.wellness(rng, athlete, index, today, days)
            if rng.random() > 0.4:
                race, distance = rng.choice(RACES)
                race_seconds = distance / 1000 * (300 + (60 - (vdot or 45)) * 8)
                Goal.objects.create(
                    user=athlete,
                    race_name=race,
                    race_date=today + timedelta(days=rng.randint(20, 160)),
                    distance=distance,
                    goal_time=int(race_seconds),
                )
        Activity.objects.bulk_create(activities, batch_size=2000)
        HealthMetric.objects.bulk_create(health, batch_size=2000)
        # Hand-entered runs of a standard distance are efforts too (races, parkruns).
        activity_services.efforts_rebuild(
            activities=[a for a in activities if a.sport in RUNNING_SPORTS]
        )
        self.invitations(org, maria, joined)
        self.plans(rng, org, maria, today)

    def invitations(self, org: Organization, owner: User, joined: list[tuple[User, str]]) -> None:
        """Everyone in the demo club joined by accepting an invitation (nobody joins without
        one); one more runner has been invited and has not answered yet."""
        now = timezone.now()
        sent = now - timedelta(days=180)
        Invitation.objects.bulk_create(
            [
                Invitation(
                    organization=org,
                    email=user.email,
                    role=role,
                    invited_by=owner,
                    token_hash=secrets.token_hex(32),
                    status=InvitationStatus.ACCEPTED,
                    sent_at=sent,
                    expires_at=sent + timedelta(days=7),
                    answered_at=sent + timedelta(days=1),
                    answered_by=user,
                )
                for user, role in joined
            ]
        )
        Invitation.objects.create(
            organization=org,
            email="sam.newcomer@riverside.example",
            role=Role.ATHLETE,
            invited_by=owner,
            token_hash=secrets.token_hex(32),
            sent_at=now - timedelta(days=2),
            expires_at=now + timedelta(days=5),
        )

    def training(
        self, rng: random.Random, athlete: User, index: int, today: date, days: int
    ) -> list[Activity]:
        tz = athlete.tz
        vdot = athlete.vdot or rng.uniform(36, 52)
        easy_pace = 1000 / (3.0 + (vdot - 35) * 0.045)  # s/km: ~5:33 at VDOT 35, ~3:55 at 60
        weekly_runs = rng.choice([3, 4, 4, 5, 5, 6])
        context = TrainingContext(
            resting_hr=float(athlete.resting_hr or 60),
            max_hr=float(athlete.max_hr or 190),
            vdot=athlete.vdot,
            sex=athlete.sex,
            pace_zones=effective_pace_zones(None, athlete.vdot),
            hr_zones=[float(z) for z in default_hr_zones(athlete.max_hr or 190)],
            weight_kg=athlete.weight_kg,
        )
        gap_start = rng.randint(10, days - 20) if rng.random() < 0.3 else None
        if index == 0:
            # Alex, whose login the demo hands out, has no break: a break over the last ten
            # days left them without a recorded run on some dates, and a visitor's first
            # run page without a route or charts.
            gap_start = None
        stops_recently = index % 11 == 5  # a few athletes went quiet this week
        out: list[Activity] = []
        for offset in range(days, -1, -1):
            day = today - timedelta(days=offset)
            week_number = offset // 7
            if gap_start is not None and gap_start >= offset > gap_start - 10:
                continue
            if stops_recently and offset < 8:
                continue
            weekday = day.weekday()
            rest_week = week_number % 4 == 3
            long_run = weekday == 6
            chance = weekly_runs / 7 * (0.65 if rest_week else 1.0)
            if not long_run and rng.random() > chance:
                continue
            if long_run and rng.random() < 0.15:
                continue
            km = rng.uniform(16, 28) if long_run else rng.uniform(5, 12)
            if rest_week:
                km *= 0.7
            kind = (
                "Long run"
                if long_run
                else rng.choice(["Easy run", "Easy run", "Tempo", "Intervals", "Recovery jog"])
            )
            pace = (
                easy_pace
                * (0.88 if kind in ("Tempo", "Intervals") else 1.0)
                * rng.uniform(0.96, 1.05)
            )
            duration = km * pace
            hr_fraction = 0.82 if kind in ("Tempo", "Intervals") else 0.72
            avg_hr = round((athlete.max_hr or 190) * hr_fraction * rng.uniform(0.96, 1.04))
            has_hr = athlete.max_hr is not None or index % 3 != 0
            hour = 18 if weekday < 5 else 8
            start = datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=tz)
            if start > timezone.now():
                continue
            distance = round(km * 1000)
            if offset < self.track_days:  # recent runs come from a watch file, as uploads do
                self.tracks.append(
                    DemoRun(
                        user_id=athlete.pk,
                        start=start,
                        name=kind,
                        source=rng.choice(["garmin", "strava"]),
                        seed=index * 1000 + offset,
                        plan=RunPlan(
                            distance=distance,
                            pace=pace,
                            kind=kind,
                            resting_hr=float(athlete.resting_hr or 55),
                            max_hr=float(athlete.max_hr or 190),
                            has_hr=has_hr,
                        ),
                    )
                )
                continue
            activity = Activity(
                user=athlete,
                start_time=start,
                name=kind,
                distance=distance,
                duration=round(duration),
                elapsed_time=round(duration * rng.uniform(1.0, 1.06)),
                avg_heart_rate=avg_hr if has_hr else None,
                max_heart_rate=round(avg_hr * 1.1) if has_hr else None,
                elevation_gain=round(rng.uniform(10, 250)),
                source=rng.choice(["garmin", "strava", "manual"]),
                calories=calories_estimate(distance, athlete.weight_kg),
            )
            for name, value in derived_fields(
                context=context,
                distance=distance,
                duration=activity.duration,
                avg_heart_rate=activity.avg_heart_rate,
                samples=[],
            ).items():
                setattr(activity, name, value)
            out.append(activity)
        return out

    def wellness(
        self, rng: random.Random, athlete: User, index: int, today: date, days: int
    ) -> list[HealthMetric]:
        base_hrv = rng.uniform(45, 95)
        base_rhr = float(athlete.resting_hr or 55)
        base_vo2 = (athlete.vdot or 45) * rng.uniform(0.95, 1.08)
        falling = index % 9 == 4  # a few athletes whose HRV falls this week
        out: list[HealthMetric] = []
        for offset in range(days, -1, -1):
            if rng.random() < 0.08:
                continue  # the watch was on the charger
            day = today - timedelta(days=offset)
            hrv = base_hrv * (1 + 0.06 * math.sin(offset / 5)) * rng.uniform(0.92, 1.08)
            if falling and offset < 7:
                hrv *= 0.78
            out.append(
                HealthMetric(
                    user=athlete,
                    date=day,
                    resting_hr=round(
                        base_rhr * rng.uniform(0.95, 1.06) + (3 if falling and offset < 7 else 0), 1
                    ),
                    hrv=round(hrv, 1),
                    vo2_max=round(base_vo2 + 0.004 * (days - offset) + rng.uniform(-0.3, 0.3), 1),
                    recovery_score=round(
                        min(100, max(5, 70 * hrv / base_hrv + rng.uniform(-8, 8)))
                    ),
                    sleep_seconds=int(rng.uniform(5.5, 8.8) * 3600),
                )
            )
        return out

    def plans(self, rng: random.Random, org: Organization, coach: User, today: date) -> None:
        blocks = [
            ("Marathon Block A", 16, 12000),
            ("10K Sharpening", 8, 8000),
            ("Base Building", 6, 7000),
        ]
        for (name, weeks, km), group in zip(blocks, org.groups.order_by("name"), strict=False):
            plan = Plan.objects.create(
                organization=org,
                name=name,
                total_weeks=weeks,
                created_by=coach,
                description=f"{weeks}-week block",
            )
            PlannedWorkout.objects.bulk_create(
                PlannedWorkout(plan=plan, week=w, day=d, type=t, distance=km * f, pace_zone=z)
                for w in range(1, weeks + 1)
                for d, t, f, z in ((2, "easy", 1.0, 1), (7, "long", 2.0, 2))
            )
            # Thursdays: a structured tempo (its distance and time are its steps' sums).
            PlannedWorkout.objects.bulk_create(
                PlannedWorkout(plan=plan, week=w, day=4, type="tempo", steps=TEMPO,
                               distance=5000.0, duration=1500.0)
                for w in range(1, weeks + 1)
            )  # fmt: skip
            start = today - timedelta(days=rng.randint(14, 40))
            PlanInstance.objects.bulk_create(
                PlanInstance(plan=plan, user=member, start_date=start)
                for member in group.members.all()
            )
