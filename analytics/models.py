from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q


class AthleteSnapshot(models.Model):
    """The cached metrics of one athlete ("cached fitness metrics"), refreshed by Celery.

    `source_version` is the athlete's `data_version` it was computed from, and `as_of`
    the local day it was computed for: a snapshot is fresh only when both still match.
    The denormalised columns let the roster filter and order in SQL.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="snapshot"
    )
    data = models.JSONField(default=dict)  # the full document (athlete profile)
    summary = models.JSONField(default=dict)  # the roster's compact subset of `data`
    source_version = models.PositiveIntegerField(default=0)
    as_of = models.DateField()
    computed_at = models.DateTimeField()
    weekly_distance = models.FloatField(default=0)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    attention_warnings = models.PositiveSmallIntegerField(default=0)
    attention_infos = models.PositiveSmallIntegerField(default=0)
    # The local day the longest-running of its flags began (the roster shows the athlete who
    # has needed attention longest first, among equals).
    attention_since = models.DateField(null=True, blank=True)
    # What the next local day's snapshot carries forward when nothing else changed (the
    # CTL/ATL recursion unrounded, the day it started from, the current streak), so the
    # hour after midnight reads five weeks of loads instead of a year (analytics.snapshots).
    carry = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"snapshot of {self.user_id} ({self.as_of})"


class PlanStanding(models.Model):
    """How one plan instance stands (compliance, the recent plan weeks, the distance planned
    to date), kept like a snapshot (analytics.standings): fresh while the athlete's data
    version, their local day, the plan's revision and weeks, and the instance's plan and
    start are those it was computed from."""

    # Removed with its instance by Django; no constraint, so a refresh that races with a
    # deletion leaves an unread row instead of failing the read that refreshed it.
    instance = models.OneToOneField(
        "athletes.PlanInstance",
        on_delete=models.CASCADE,
        db_constraint=False,
        primary_key=True,
        related_name="standing",
    )
    compliance = models.FloatField(null=True)
    # What the compliance is the mean of (METRICS.md §7): the workouts due and the sum of
    # their min(done ÷ planned, 1), so a group's figure is the same mean over all of theirs.
    due_workouts = models.PositiveIntegerField(default=0, db_default=0)
    score_sum = models.FloatField(default=0.0, db_default=0.0)
    current_week = models.PositiveSmallIntegerField()
    recent_weeks = models.JSONField(default=list)
    planned_distance_to_date = models.FloatField()
    # What it was computed from: the athlete's data version and local day, the instance's
    # plan (its revision and length) and start.
    source_version = models.PositiveIntegerField()
    as_of = models.DateField()
    source_plan = models.BigIntegerField()
    source_revision = models.PositiveIntegerField()
    source_weeks = models.PositiveSmallIntegerField()
    source_start = models.DateField()

    def __str__(self) -> str:
        return f"standing of plan instance {self.instance_id} ({self.as_of})"


class PlanRow(models.Model):
    """What the Plans tab orders, counts and checks for freshness, for each plan instance,
    kept by PostgreSQL in the transaction of every change to the instance, its plan, its
    athlete, their memberships or its standing (triggers in migration 0013): a page of the
    tab is an index range, not a reading of the club's plans. `listed`: an active plan of
    an athlete of the plan's organization. The standing is fresh from `fresh_from` until
    `fresh_until` (the athlete's local day it was computed for; an empty span once anything
    it was computed from changed)."""

    instance = models.OneToOneField(
        "athletes.PlanInstance",
        on_delete=models.DO_NOTHING,  # PostgreSQL cascades (migration 0013)
        db_constraint=False,
        primary_key=True,
        related_name="+",
    )
    organization_id = models.BigIntegerField()
    user_id = models.BigIntegerField()
    plan_id = models.BigIntegerField()
    listed = models.BooleanField()
    name = models.CharField(max_length=150)  # the athlete's display name
    start_date = models.DateField()
    compliance = models.FloatField(null=True)
    due_workouts = models.PositiveIntegerField(default=0, db_default=0)  # as the standing's
    score_sum = models.FloatField(default=0.0, db_default=0.0)
    progress = models.FloatField(null=True)  # plan week ÷ plan weeks; 0 before the start
    fresh_from = models.DateTimeField()
    fresh_until = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                F("organization_id"),
                F("compliance").asc(nulls_last=True),
                F("name"),
                F("start_date").desc(),
                F("instance_id"),
                name="planrow_by_compliance",
                condition=Q(listed=True),
            ),
            models.Index(
                F("organization_id"),
                F("name"),
                F("start_date").desc(),
                F("instance_id"),
                name="planrow_by_name",
                condition=Q(listed=True),
            ),
            models.Index(
                fields=["organization_id", "fresh_until"],
                name="planrow_fresh_until",
                condition=Q(listed=True),
            ),
            models.Index(
                fields=["organization_id", "fresh_from"],
                name="planrow_fresh_from",
                condition=Q(listed=True),
            ),
            models.Index(fields=["user_id"], name="planrow_user"),
        ]

    def __str__(self) -> str:
        return f"plan row of instance {self.instance_id}"


class MonthTotals(models.Model):
    """One athlete's activities in one local month, kept by PostgreSQL in the transaction of
    every write to the activities (triggers in migration 0006): `distance[d]` and `runs[d]`
    are the running totals from the 1st to day d (index 31 holds the month whatever its
    length), so any span of local days costs at most one row per month it touches. Days are
    the athlete's own (their time zone; a change of zone rebuilds their rows)."""

    # No Django foreign key: the rows follow the activities by trigger, and PostgreSQL
    # removes them with the athlete (ON DELETE CASCADE, in the migration).
    user_id = models.BigIntegerField()
    month = models.DateField()  # the 1st of the local month
    distance = ArrayField(models.FloatField(), size=31)  # meters, cumulative
    runs = ArrayField(models.IntegerField(), size=31)  # activities, cumulative

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user_id", "month"], name="monthtotals_user_month")
        ]
        # A club's month answered from the index alone (the rows of one month are spread
        # over as many pages as athletes in the table).
        indexes = [
            models.Index(
                fields=["month", "user_id"],
                include=["distance", "runs"],
                name="monthtotals_month_user",
            )
        ]

    def __str__(self) -> str:
        return f"totals of {self.user_id} for {self.month:%Y-%m}"


class RosterRow(models.Model):
    """What the roster orders and filters by, for each athlete membership, kept by PostgreSQL
    in the transaction of every change to the membership, the athlete or their snapshot
    (triggers in migration 0007): a page of the roster is an index range, not a ranking of
    the whole club. The snapshot is fresh from `fresh_from` until `fresh_until` (the
    athlete's local day it was computed for; an empty span once their data changed)."""

    membership = models.OneToOneField(
        "organizations.Membership",
        on_delete=models.DO_NOTHING,  # PostgreSQL cascades (migration 0007)
        db_constraint=False,
        primary_key=True,
        related_name="roster_row",
    )
    organization_id = models.BigIntegerField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    active = models.BooleanField()  # the athlete's account is active
    name = models.CharField(max_length=150)  # their display name
    username = models.CharField(max_length=150)
    last_activity_at = models.DateTimeField(null=True)
    weekly_distance = models.FloatField(null=True)
    attention_warnings = models.PositiveSmallIntegerField(null=True)
    attention_infos = models.PositiveSmallIntegerField(null=True)
    attention_since = models.DateField(null=True)
    fresh_from = models.DateTimeField()
    fresh_until = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(
                F("organization_id"),
                F("name"),
                F("username"),
                F("membership_id"),
                name="rosterrow_by_name",
                condition=Q(active=True),
            ),
            # The Club page's members, inactive accounts too: a page of the club's athletes
            # by name is an index range (pages.club.ClubMembers).
            models.Index(
                F("organization_id"),
                F("name"),
                F("username"),
                F("membership_id"),
                name="rosterrow_members",
            ),
            models.Index(
                F("organization_id"),
                F("last_activity_at").desc(nulls_last=True),
                F("name"),
                F("membership_id"),
                name="rosterrow_by_last_activity",
                condition=Q(active=True),
            ),
            models.Index(
                F("organization_id"),
                F("weekly_distance").desc(nulls_last=True),
                F("name"),
                F("membership_id"),
                name="rosterrow_by_distance",
                condition=Q(active=True),
            ),
            models.Index(
                F("organization_id"),
                F("attention_warnings").desc(nulls_last=True),
                F("attention_infos").desc(nulls_last=True),
                F("attention_since").asc(nulls_last=True),
                F("name"),
                F("membership_id"),
                name="rosterrow_by_attention",
                condition=Q(active=True),
            ),
            models.Index(fields=["organization_id", "fresh_until"], name="rosterrow_fresh_until"),
            models.Index(fields=["organization_id", "fresh_from"], name="rosterrow_fresh_from"),
        ]

    def __str__(self) -> str:
        return f"roster row of membership {self.membership_id}"


# The club totals (analytics/club_totals.py), kept by PostgreSQL in the transaction of every
# write to the activities, memberships, groups or accounts (triggers in migration 0008).
# No Django foreign keys: the rows follow those tables by trigger.


class AthleteDay(models.Model):
    """One athlete's activities on one of their local days (only days with activities), and
    `gap`: the days since their previous such day (at most `GAP_LIMIT`, which also stands
    for "none before"). A run-day counts an athlete once in a span [a, b] exactly when it
    lies in the span and its gap reaches back before a."""

    pk = models.CompositePrimaryKey("user_id", "day")
    user_id = models.BigIntegerField()
    day = models.DateField()
    distance = models.FloatField()  # meters
    runs = models.IntegerField()
    gap = models.SmallIntegerField()

    def __str__(self) -> str:
        return f"day {self.day} of {self.user_id}"


class AthleteWeek(models.Model):
    """One athlete's activities in one local ISO week (Monday `week`), indexed by distance
    for a club's top of the week."""

    pk = models.CompositePrimaryKey("user_id", "week")
    user_id = models.BigIntegerField()
    week = models.DateField()
    distance = models.FloatField()
    runs = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(
                F("week"), F("distance").desc(), F("user_id"), name="athleteweek_by_distance"
            )
        ]

    def __str__(self) -> str:
        return f"week {self.week} of {self.user_id}"


class Club(models.Model):
    """A set of athletes whose totals are kept: an organization's active athletes (`org`),
    a group's (`group`), or an organization's athletes in none of its groups (`none`)."""

    kind = models.CharField(max_length=5)
    ref = models.BigIntegerField()  # the organization's or the group's id
    athletes = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="club_kind_ref")]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref}"


class ClubMember(models.Model):
    """An athlete counted in a club's totals."""

    pk = models.CompositePrimaryKey("user_id", "club_id")
    user_id = models.BigIntegerField()
    club_id = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["club_id"], name="clubmember_club")]

    def __str__(self) -> str:
        return f"{self.user_id} in club {self.club_id}"


class ClubDay(models.Model):
    """A club's day: its athletes' distance and activities on their local day `day`, and
    `active[k]`: how many of them ran that day with a gap of at least k days (k = 1..401).
    How many athletes were active in a span [a, b] of up to 401 days is then the sum over
    its days of `active[day - a + 1]` (METRICS.md §8's counts without reading the club)."""

    pk = models.CompositePrimaryKey("club_id", "day")
    club_id = models.BigIntegerField()
    day = models.DateField()
    distance = models.FloatField()
    runs = models.IntegerField()
    active = ArrayField(models.IntegerField(), size=401)

    def __str__(self) -> str:
        return f"club {self.club_id} on {self.day}"
