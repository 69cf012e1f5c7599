from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Coalesce, Collate, Concat, LPad, Mod, NullIf
from django.utils import timezone

from astral.ids import PublicIdField, new_public_id
from athletes.streams import RUNNING_SPORTS

__all__ = ["RUNNING_SPORTS"]  # re-exported: the sports whose speeds are running records


def new_event_id() -> str:
    return new_public_id("evt_")


class UnitSystem(models.TextChoices):
    METRIC = "metric"
    IMPERIAL = "imperial"


class Sex(models.TextChoices):
    MALE = "male"
    FEMALE = "female"
    OTHER = "other"


class User(AbstractUser):
    """A person: athlete, coach or both, depending on organization memberships."""

    public_id = PublicIdField("usr_")
    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=150, blank=True)
    profile_image_url = models.URLField(blank=True)
    # Blank means "not chosen": UTC and metric are used, and data quality says so.
    timezone = models.CharField(max_length=64, blank=True)
    unit_system = models.CharField(max_length=8, choices=UnitSystem.choices, blank=True)
    sex = models.CharField(max_length=8, choices=Sex.choices, null=True, blank=True)
    birth_date = models.DateField(null=True, blank=True)
    weight_kg = models.FloatField(null=True, blank=True)
    max_hr = models.PositiveSmallIntegerField(null=True, blank=True)
    resting_hr = models.PositiveSmallIntegerField(null=True, blank=True)
    vdot = models.FloatField(null=True, blank=True)
    hr_zones = models.JSONField(null=True, blank=True)
    pace_zones = models.JSONField(null=True, blank=True)
    privacy = models.JSONField(default=dict, blank=True)
    preferences = models.JSONField(default=dict, blank=True)
    push_token = models.CharField(max_length=255, blank=True)
    email_verified = models.BooleanField(default=False)
    # Bumped by every write to the athlete's data; snapshots and caches compare against it.
    data_version = models.PositiveIntegerField(default=0)
    # The secret of the athlete's iCalendar feed URL ("" until first shown); reset in settings.
    calendar_token = models.CharField(max_length=64, blank=True, default="", db_default="")

    objects = UserManager()

    class Meta:
        ordering = ["display_name", "username"]
        indexes = [
            # Athletes by the name pages show (the display name, else the username), bytewise:
            # a big club's first athletes by name are a walk from the top, each one's
            # membership probed (analytics/groups.py RESTING_SQL).
            models.Index(
                Collate(Coalesce(NullIf("display_name", models.Value("")), "username"), "C"),
                name="user_by_name",
            )
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar_token"],
                condition=~models.Q(calendar_token=""),
                name="user_calendar_token_unique",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def tz_name(self) -> str:
        return self.timezone or "UTC"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz_name)

    @property
    def units(self) -> str:
        return self.unit_system or UnitSystem.METRIC

    @property
    def has_push_token(self) -> bool:
        return bool(self.push_token)

    @property
    def name(self) -> str:
        return self.display_name or self.username


class Provider(models.TextChoices):
    STRAVA = "strava"
    GARMIN = "garmin"
    APPLE_HEALTH = "apple_health"


class Integration(models.Model):
    """A connected data source; a row exists while it is connected."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="integrations")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    external_id = models.CharField(max_length=128, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="integration_unique_provider")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.provider}"


class Source(models.TextChoices):
    MANUAL = "manual"
    STRAVA = "strava"
    GARMIN = "garmin"
    APPLE_HEALTH = "apple_health"
    FILE = "file"
    API = "api"


# The time-in-zone columns of an activity, zone 1 to 5 by pace then by heart rate.
ZONE_FIELDS = [f"pace_z{i}_time" for i in range(1, 6)] + [f"hr_z{i}_time" for i in range(1, 6)]


class Activity(models.Model):
    # Compared whole, never sorted for people: byte order ("C") makes its unique index three
    # times cheaper to build and to search than the database's linguistic default.
    public_id = PublicIdField("act_", db_collation="C")
    # Indexed first in `activity_user_start_sums`, which answers every lookup by athlete.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="activities", db_index=False
    )
    start_time = models.DateTimeField()
    name = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True, default="", db_default="")
    sport = models.CharField(max_length=32, default="run")
    distance = models.FloatField(help_text="meters")
    duration = models.FloatField(help_text="moving seconds")
    elapsed_time = models.FloatField(null=True, blank=True)
    avg_heart_rate = models.FloatField(null=True, blank=True)
    max_heart_rate = models.FloatField(null=True, blank=True)
    calories = models.FloatField(null=True, blank=True)
    elevation_gain = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    # The legs of one multisport file (swim, transition, ride, transition, run) share an
    # event id; `leg` is each one's place in it, from 1.
    multisport_id = models.CharField(max_length=24, null=True, blank=True)
    leg = models.PositiveSmallIntegerField(null=True, blank=True)
    external_id = models.CharField(max_length=128, null=True, blank=True)
    content_hash = models.CharField(max_length=64, null=True, blank=True)
    training_load = models.FloatField(default=0)
    # Seconds in each zone (METRICS.md §2): null, not 0, when the athlete has no pace zones
    # (no `pace_zones`, no VDOT), and the HR zones' when the activity has no heart rate.
    pace_z1_time = models.FloatField(null=True, blank=True)
    pace_z2_time = models.FloatField(null=True, blank=True)
    pace_z3_time = models.FloatField(null=True, blank=True)
    pace_z4_time = models.FloatField(null=True, blank=True)
    pace_z5_time = models.FloatField(null=True, blank=True)
    hr_z1_time = models.FloatField(null=True, blank=True)
    hr_z2_time = models.FloatField(null=True, blank=True)
    hr_z3_time = models.FloatField(null=True, blank=True)
    hr_z4_time = models.FloatField(null=True, blank=True)
    hr_z5_time = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_time"]
        verbose_name_plural = "activities"
        indexes = [
            # Covering the daily sums: one athlete's activities are scattered over the table
            # (they arrive among everyone else's), so a year of days read from the heap
            # touched ~300 pages; from this index it is one range (2.9 -> 0.6 ms measured,
            # see docs/benchmarks.md). PostgreSQL only; elsewhere a plain index.
            models.Index(
                fields=["user", "start_time"],
                name="activity_user_start_sums",
                include=[
                    "distance",
                    "duration",
                    "training_load",
                    "calories",
                    "elevation_gain",
                    *(f"pace_z{i}_time" for i in range(1, 6)),
                    "sport",
                ],
            ),
            # Group dashboards read one week or month of the whole club: without this index
            # PostgreSQL scans every activity (measured: 137 ms for 511k rows, see
            # docs/benchmarks.md).
            models.Index(fields=["start_time"], name="activity_start"),
            # An event's legs, by athlete: only the few runs that are legs are indexed.
            models.Index(
                fields=["user", "multisport_id"],
                condition=Q(multisport_id__isnull=False),
                name="activity_event_legs",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="activity_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["user", "content_hash"],
                condition=Q(content_hash__isnull=False),
                name="activity_unique_content_hash",
            ),
            # A kind of zone time is known for all five zones or for none.
            *(
                models.CheckConstraint(
                    condition=models.Q(**{f"{kind}_z{i}_time__isnull": True for i in range(1, 6)})
                    | models.Q(**{f"{kind}_z{i}_time__isnull": False for i in range(1, 6)}),
                    name=f"activity_{kind}_zones_all_or_none",
                )
                for kind in ("pace", "hr")
            ),
            models.CheckConstraint(condition=Q(distance__gte=0), name="activity_distance_gte_0"),
            models.CheckConstraint(condition=Q(duration__gt=0), name="activity_duration_gt_0"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.sport} {self.start_time:%Y-%m-%d}"


class ActivityStream(models.Model):
    """Sample streams of one activity, stored as one compressed JSON document."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="stream")
    data = models.BinaryField(help_text="zlib-compressed JSON of column arrays")
    sample_count = models.PositiveIntegerField(default=0)
    # The laps as the device recorded them: [{"start", "distance", "seconds", "elapsed",
    # "avg_heart_rate", "max_heart_rate"}], start in seconds from the activity's start.
    laps = models.JSONField(default=list, blank=True)
    # What the activity page reads, computed once from the samples (metrics/
    # streams.py): chart series reduced by LTTB, splits per km and mile, the route's points;
    # zlib-compressed JSON like `data` (a tenth of the bytes, and written in a tenth of the
    # time of a JSON column: it is stored with every imported file).
    views = models.BinaryField(default=b"", blank=True)

    def __str__(self) -> str:
        return f"stream of {self.activity_id}"


class ActivityFile(models.Model):
    """The file a run came from, kept as the athlete sent it (gzip-compressed): downloadable
    from the activity page and the API, and part of the athlete's export. A multisport file
    is kept once, with its first leg."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, related_name="original_file", primary_key=True
    )
    filename = models.CharField(max_length=255)
    kind = models.CharField(max_length=4, help_text=".fit, .gpx or .tcx")
    size = models.PositiveIntegerField(help_text="bytes, uncompressed")
    data = models.BinaryField(help_text="gzip of the file's bytes")

    def __str__(self) -> str:
        return self.filename


class BestEffort(models.Model):
    """The fastest window of one standard distance inside one run, found at import
    (metrics/efforts.py). Rebuilt whenever the run's distance or samples change."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="best_efforts")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="best_efforts")
    distance_key = models.CharField(max_length=16)
    seconds = models.FloatField()
    start_offset = models.FloatField(default=0)
    start_time = models.DateTimeField(help_text="the activity's start, for date ranges")
    # Its place among the athlete's efforts at this distance (1 + how many were faster) while
    # that is 1-3, else NULL: kept by PostgreSQL in the transaction of every write of efforts
    # (analytics/records.py), so a page of runs reads its marks ("PR 5 km") without counting.
    place = models.SmallIntegerField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "distance_key", "seconds"],
                name="best_effort_rank",
                include=["start_time", "activity"],
            ),
            models.Index(
                fields=["user", "distance_key"],
                name="best_effort_placed",
                condition=models.Q(place__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "distance_key"], name="best_effort_one_per_distance"
            )
        ]

    def __str__(self) -> str:
        return f"{self.distance_key} in {self.seconds:.0f} s"


class PaceCurve(models.Model):
    """One run's mean-maximal speeds (m/s) at the durations of `efforts.CURVE_SECONDS`, so
    an athlete's curve is one aggregate over these rows, never a rescan of streams."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="pace_curve")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="pace_curves")
    start_time = models.DateTimeField()
    speeds = ArrayField(models.FloatField(null=True))

    class Meta:
        indexes = [models.Index(fields=["user", "start_time"], name="pace_curve_user_start")]

    def __str__(self) -> str:
        return f"pace curve of {self.activity_id}"


class ActivityComment(models.Model):
    """A short thread under a run: the athlete and their coaches, newest last."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["activity", "created_at"], name="comment_activity_at")]

    def __str__(self) -> str:
        return self.text[:40]


class HealthMetric(models.Model):
    """One day of wellness readings; unique per user and local day."""

    # Indexed first in `health_unique_user_date`.
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="health_metrics", db_index=False
    )
    date = models.DateField()
    resting_hr = models.FloatField(null=True, blank=True)
    hrv = models.FloatField(null=True, blank=True)
    vo2_max = models.FloatField(null=True, blank=True)
    recovery_score = models.FloatField(null=True, blank=True)
    sleep_seconds = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="health_unique_user_date")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.date}"


def clock_text(field: str) -> models.Case:
    """Seconds as H:MM:SS from an hour on, M:SS below it; null for none or zero."""
    seconds = models.F(field)

    def two_digits(value: Any) -> Any:
        return LPad(Cast(value, models.CharField()), 2, models.Value("0"))

    def text(value: Any) -> Any:
        return Cast(value, models.CharField())

    colon = models.Value(":")
    return models.Case(
        models.When(
            models.Q(**{f"{field}__isnull": True}) | models.Q(**{field: 0}),
            then=models.Value(None, output_field=models.CharField()),
        ),
        models.When(
            **{f"{field}__gte": 3600},
            then=Concat(
                text(seconds / 3600),
                colon,
                two_digits(Mod(seconds, 3600) / 60),
                colon,
                two_digits(Mod(seconds, 60)),
                output_field=models.CharField(),
            ),
        ),
        default=Concat(
            text(seconds / 60), colon, two_digits(Mod(seconds, 60)), output_field=models.CharField()
        ),
        output_field=models.CharField(),
    )


class Goal(models.Model):
    public_id = PublicIdField("gol_")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="goals")
    race_name = models.CharField(max_length=200)
    race_date = models.DateField()
    distance = models.FloatField(help_text="meters")
    goal_time = models.PositiveIntegerField(help_text="seconds", null=True, blank=True)
    # The goal time as people write it ("3:05:00", "45:30"): formatted here once, by the
    # database, for every reader (the API's goals, the profile, the roster's statement).
    goal_time_text = models.GeneratedField(
        expression=clock_text("goal_time"),
        output_field=models.CharField(max_length=16),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by PostgreSQL on every change, whatever the path (migration 0025).
    updated_at = models.DateTimeField(db_default=models.functions.Now(), editable=False)

    class Meta:
        ordering = ["race_date"]
        indexes = [models.Index(fields=["user", "race_date"], name="goal_user_date")]

    def __str__(self) -> str:
        return self.race_name


class Plan(models.Model):
    """A plan template written by a coach of an organization."""

    public_id = PublicIdField("pln_")
    organization = models.ForeignKey(
        "organizations.Organization", on_delete=models.CASCADE, related_name="plans"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    total_weeks = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by PostgreSQL on every change, a workout's too (migration 0025).
    updated_at = models.DateTimeField(db_default=models.functions.Now(), editable=False)
    # Counted up by PostgreSQL in the transaction of every change to the plan's workouts
    # (trigger in migration 0016): a kept plan standing (analytics.standings) computed from
    # another revision is stale, whichever path wrote the workouts.
    revision = models.PositiveIntegerField(default=0, db_default=0, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PlannedWorkout(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="workouts")
    week = models.PositiveSmallIntegerField()
    day = models.PositiveSmallIntegerField(help_text="1 = Monday … 7 = Sunday")
    type = models.CharField(max_length=32, default="easy")
    distance = models.FloatField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    pace_zone = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True, default="", db_default="")
    # Structured workout (API.md "Goals and plans"): warm-up, repeats of work and recovery,
    # cool-down; validated by api.athletes.serializers.StepsField, read by metrics.plans.
    steps = models.JSONField(null=True, blank=True)
    # The athlete's word on the day ("ill", "travelling"), shown to the coach by its status.
    athlete_note = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        ordering = ["week", "day"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(day__gte=1, day__lte=7, week__gte=1),
                name="plannedworkout_day_monday_to_sunday",
            )
        ]

    def __str__(self) -> str:
        return f"W{self.week}D{self.day} {self.type}"


class PlanStatus(models.TextChoices):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class PlanInstance(models.Model):
    public_id = PublicIdField("pi_")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="instances")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="plan_instances")
    start_date = models.DateField()
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by PostgreSQL on every change (migration 0025).
    updated_at = models.DateTimeField(db_default=models.functions.Now(), editable=False)

    class Meta:
        ordering = ["-start_date"]
        indexes = [models.Index(fields=["user", "status"], name="plan_instance_user_status")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.user}"


class EmailVerification(models.Model):
    """A verification e-mail sent; also the ledger behind the 3-per-hour limit."""

    email = models.EmailField(db_index=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class FailedSignIn(models.Model):
    """One failed sign-in, by a hash of the login tried: the ledger behind the lockout (10 in
    15 minutes). In PostgreSQL, so the lockout holds when the cache is away."""

    login_hash = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["login_hash", "at"], name="failed_signin_login_at")]

    def __str__(self) -> str:
        return f"failed sign-in at {self.at:%Y-%m-%d %H:%M}"


class ImportBatch(models.Model):
    """A bulk import (a folder or a zip of a Strava or Garmin export): its files go to every
    worker process, each counted here as it ends, so anyone can follow the progress."""

    public_id = PublicIdField("imp_")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="import_batches")
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    duplicate = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When its count last moved: a batch that stops moving is ended (imports.STALL).
    touched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["touched_at"], condition=Q(done__lt=F("total")), name="importbatch_open"
            )
        ]

    def __str__(self) -> str:
        return f"import {self.public_id}: {self.done} of {self.total}"


class ImportChunk(models.Model):
    """A whole export's zip while its task unpacks it, in pieces of 8 MB (PostgreSQL keeps it
    where every worker on every machine reads it); gone once unpacked."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "seq"], name="importchunk_batch_seq")
        ]

    def __str__(self) -> str:
        return f"piece {self.seq} of import {self.batch_id}"


class DataChange(models.Model):
    """Every write to the data an integration reads (API.md §5, `GET /api/v1/changes`),
    recorded by PostgreSQL's own triggers (migration 0024), so no path, the admin, a shell
    or raw SQL included, can change a row without it appearing here. Its id is the feed's
    cursor; rows older than 30 days are pruned (`athletes.tasks.prune_changes`)."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16)
    object_id = models.CharField(max_length=40, null=True)
    user_id = models.BigIntegerField(null=True)
    organization_id = models.BigIntegerField(null=True)
    change = models.CharField(max_length=8)
    at = models.DateTimeField(db_default=models.functions.Now())

    class Meta:
        indexes = [
            models.Index(fields=["user_id", "id"], name="datachange_user_id"),
            models.Index(fields=["organization_id", "id"], name="datachange_org_id"),
            models.Index(fields=["at"], name="datachange_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.change}"
