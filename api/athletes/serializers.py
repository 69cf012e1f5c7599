"""Input validation for athletes' resources. Output is built by the `*_data` functions."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from astral.api.errors import ApiError, first_error
from astral.api.requests import FiniteFloatField, StrictSerializer
from astral.localtime import MAX_DATE, MIN_DATE, place_zone
from athletes.models import PlanStatus, Provider, Sex, Source, UnitSystem, User
from athletes.plausibility import activity_problem
from athletes.workouts import MAX_WORKOUT_DISTANCE, MAX_WORKOUT_DURATION, WORKOUT_TYPES
from metrics.formatting import parse_duration

MAX_SAMPLES = 100_000


def validate_timezone_name(value: str) -> str:
    if place_zone(value) is None:
        raise serializers.ValidationError("Unknown time zone; use an IANA name.")
    return value


class InstantField(serializers.DateTimeField):
    """A date and time with its offset; a year so far off that it has no UTC instant (year
    1 at +05:00, year 9999 at -05:00) is a 400, not an overflow."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss±hh:mm")


class CalendarDateField(serializers.DateField):
    """A date between 1900 and 2199: every date anyone enters, and none whose day
    boundaries overflow."""

    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not MIN_DATE <= day <= MAX_DATE:
            raise serializers.ValidationError(
                f"Date must be between {MIN_DATE.isoformat()} and {MAX_DATE.isoformat()}."
            )
        return day


class RegisterSerializer(StrictSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    timezone = serializers.CharField(
        max_length=64, required=False, validators=[validate_timezone_name]
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(email=attrs["email"], username=attrs["username"])
        try:
            validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class UserUpdateSerializer(StrictSerializer):
    username = serializers.RegexField(r"^[\w.@+-]{3,150}$", max_length=150, required=False)
    display_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    profile_image_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    timezone = serializers.CharField(
        max_length=64, required=False, validators=[validate_timezone_name]
    )
    unit_system = serializers.ChoiceField(choices=UnitSystem.choices, required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_null=True)
    birth_date = CalendarDateField(required=False, allow_null=True)
    weight_kg = FiniteFloatField(required=False, allow_null=True, min_value=20, max_value=300)
    max_hr = serializers.IntegerField(required=False, allow_null=True, min_value=100, max_value=240)
    resting_hr = serializers.IntegerField(
        required=False, allow_null=True, min_value=25, max_value=120
    )
    vdot = FiniteFloatField(required=False, allow_null=True, min_value=15, max_value=90)
    hr_zones = serializers.ListField(
        child=serializers.IntegerField(min_value=40, max_value=250),
        required=False,
        allow_null=True,
        min_length=5,
        max_length=5,
    )
    pace_zones = serializers.ListField(
        child=serializers.IntegerField(min_value=120, max_value=1200),
        required=False,
        allow_null=True,
        min_length=4,
        max_length=4,
    )
    privacy = serializers.DictField(required=False)
    preferences = serializers.DictField(required=False)
    push_token = serializers.CharField(max_length=255, required=False, allow_blank=True)

    def validate_hr_zones(self, value: list[int] | None) -> list[int] | None:
        if value and any(b <= a for a, b in pairwise(value)):
            raise serializers.ValidationError("HR zone upper bounds must be strictly ascending.")
        return value

    def validate_pace_zones(self, value: list[int] | None) -> list[int] | None:
        if value and any(b >= a for a, b in pairwise(value)):
            raise serializers.ValidationError(
                "Pace zone boundaries (seconds per km) must be strictly decreasing."
            )
        return value

    def validate_privacy(self, value: dict[str, Any]) -> dict[str, Any]:
        allowed = {"organization", "coaches_only"}
        if set(value) - {"profile_visibility"}:
            raise serializers.ValidationError("Only profile_visibility can be set.")
        if "profile_visibility" in value and value["profile_visibility"] not in allowed:
            raise serializers.ValidationError("profile_visibility: organization or coaches_only.")
        return value

    def validate_preferences(self, value: dict[str, Any]) -> dict[str, Any]:
        if set(value) - {"week_start"}:
            raise serializers.ValidationError("Only week_start can be set.")
        if "week_start" in value and value["week_start"] != "monday":
            raise serializers.ValidationError("week_start must be monday (ISO weeks).")
        return value


class PasswordSerializer(StrictSerializer):
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class IntegrationSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=128, required=False, allow_blank=True)


class SampleSerializer(StrictSerializer):
    t = FiniteFloatField(min_value=0)
    distance = FiniteFloatField(min_value=0, required=False, allow_null=True)
    heart_rate = FiniteFloatField(min_value=20, max_value=260, required=False, allow_null=True)
    lat = FiniteFloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = FiniteFloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    altitude = FiniteFloatField(min_value=-500, max_value=9000, required=False, allow_null=True)
    cadence = FiniteFloatField(min_value=0, max_value=300, required=False, allow_null=True)


class CommentSerializer(StrictSerializer):
    text = serializers.CharField(max_length=2000, allow_blank=False, trim_whitespace=True)


class ActivityWriteSerializer(StrictSerializer):
    user_id = serializers.CharField(max_length=32, required=False)
    start_time = InstantField()
    distance = FiniteFloatField(min_value=0, max_value=1_000_000)
    duration = FiniteFloatField(min_value=0.001, max_value=30 * 24 * 3600)
    elapsed_time = FiniteFloatField(
        min_value=0, max_value=30 * 24 * 3600, required=False, allow_null=True
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    sport = serializers.RegexField(r"^[a-z_]{2,32}$", required=False)
    avg_heart_rate = FiniteFloatField(min_value=20, max_value=260, required=False, allow_null=True)
    max_heart_rate = FiniteFloatField(min_value=20, max_value=260, required=False, allow_null=True)
    calories = FiniteFloatField(min_value=0, max_value=100_000, required=False, allow_null=True)
    elevation_gain = FiniteFloatField(
        min_value=0, max_value=100_000, required=False, allow_null=True
    )
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    external_id = serializers.CharField(max_length=128, required=False, allow_null=True)
    samples = SampleSerializer(many=True, required=False, max_length=MAX_SAMPLES)
    allow_overlap = serializers.BooleanField(required=False, default=False)

    def validate_start_time(self, value: Any) -> Any:
        raw = self.initial_data.get("start_time") if isinstance(self.initial_data, dict) else None
        if isinstance(raw, str) and not _has_offset(raw):
            raise serializers.ValidationError(
                "start_time needs a UTC offset, e.g. 2025-04-22T07:00:00Z."
            )
        return value

    def validate_samples(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        times = [s["t"] for s in value]
        if any(b < a for a, b in pairwise(times)):
            raise serializers.ValidationError("Sample times must not decrease.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problem = activity_problem(
            start_time=attrs.get("start_time"),
            distance=attrs.get("distance"),
            duration=attrs.get("duration"),
            avg_heart_rate=attrs.get("avg_heart_rate"),
            max_heart_rate=attrs.get("max_heart_rate"),
        )
        if problem is not None:
            raise serializers.ValidationError({problem[0]: [problem[1]]})
        avg, peak = attrs.get("avg_heart_rate"), attrs.get("max_heart_rate")
        if avg is not None and peak is not None and peak < avg:
            raise serializers.ValidationError(
                {"max_heart_rate": ["max_heart_rate must not be below avg_heart_rate."]}
            )
        elapsed = attrs.get("elapsed_time")
        if elapsed is not None and "duration" in attrs and elapsed < attrs["duration"]:
            raise serializers.ValidationError(
                {"elapsed_time": ["elapsed_time must not be shorter than the moving duration."]}
            )
        return attrs


class ActivityPatchSerializer(ActivityWriteSerializer):
    start_time = InstantField(required=False)
    distance = FiniteFloatField(min_value=0, max_value=1_000_000, required=False)
    duration = FiniteFloatField(min_value=0.001, max_value=30 * 24 * 3600, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        for name in ("user_id", "samples", "source", "external_id"):
            fields.pop(name)
        return fields


def _has_offset(text: str) -> bool:
    tail = text.strip()[10:]
    return tail.endswith(("Z", "z")) or "+" in tail or "-" in tail


class HealthEntrySerializer(StrictSerializer):
    date = CalendarDateField()
    user_id = serializers.CharField(max_length=32, required=False)
    resting_hr = FiniteFloatField(min_value=20, max_value=150, required=False, allow_null=True)
    hrv = FiniteFloatField(min_value=1, max_value=400, required=False, allow_null=True)
    vo2_max = FiniteFloatField(min_value=10, max_value=100, required=False, allow_null=True)
    recovery_score = FiniteFloatField(min_value=0, max_value=100, required=False, allow_null=True)
    sleep_seconds = serializers.IntegerField(
        min_value=0, max_value=86_400, required=False, allow_null=True
    )


class HealthMetricsRequestSerializer(HealthEntrySerializer):
    """For the schema: one entry, or `{"entries": [...]}` (at most 1,000)."""

    date = CalendarDateField(required=False)
    entries = HealthEntrySerializer(many=True, required=False, max_length=1000)


class GoalSerializer(StrictSerializer):
    user_id = serializers.CharField(max_length=32, required=False)
    race_name = serializers.CharField(max_length=200)
    race_date = CalendarDateField()
    distance = FiniteFloatField(min_value=100, max_value=500_000)
    goal_time = serializers.CharField(max_length=12, required=False, allow_null=True)

    def validate_goal_time(self, value: str | None) -> int | None:
        if value is None:
            return None
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise serializers.ValidationError("goal_time must be H:MM:SS.") from None
        if seconds <= 0:
            raise serializers.ValidationError("goal_time must be positive.")
        return seconds


class GoalPatchSerializer(GoalSerializer):
    race_name = serializers.CharField(max_length=200, required=False)
    race_date = CalendarDateField(required=False)
    distance = FiniteFloatField(min_value=100, max_value=500_000, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields.pop("user_id")
        return fields


class WorkoutFieldsSerializer(StrictSerializer):
    """What a planned workout is: the one rule for the API, the plan editor and the calendar's
    day (pages validate through `workout_fields`)."""

    type = serializers.ChoiceField(choices=WORKOUT_TYPES, required=False, default="easy")
    distance = FiniteFloatField(
        min_value=0, max_value=MAX_WORKOUT_DISTANCE, required=False, allow_null=True
    )
    duration = FiniteFloatField(
        min_value=0, max_value=MAX_WORKOUT_DURATION, required=False, allow_null=True
    )
    pace_zone = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WorkoutSerializer(WorkoutFieldsSerializer):
    week = serializers.IntegerField(min_value=1, max_value=104)
    day = serializers.IntegerField(min_value=1, max_value=7)


def workout_fields(data: dict[str, Any], **context: Any) -> dict[str, Any]:
    """A page's workout checked by the API's own rule; the first bad field is an ApiError
    naming it (the page marks that cell or field and keeps what was typed)."""
    serializer = (WorkoutSerializer if "week" in data else WorkoutFieldsSerializer)(data=data)
    if not serializer.is_valid():
        field, message = first_error(serializer.errors)
        raise ApiError(message, field=field)
    return dict(serializer.validated_data)


class PlanSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    org_id = serializers.CharField(max_length=32)
    total_weeks = serializers.IntegerField(min_value=1, max_value=104)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    workouts = WorkoutSerializer(many=True, required=False, max_length=104 * 7 * 3)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for index, workout in enumerate(attrs.get("workouts", [])):
            if workout["week"] > attrs["total_weeks"]:
                raise serializers.ValidationError(
                    {"workouts": [{}] * index + [{"week": ["week is past total_weeks."]}]}
                )
        return attrs


class AssignSerializer(StrictSerializer):
    user_ids = serializers.ListField(
        child=serializers.CharField(max_length=32), min_length=1, max_length=1000
    )
    start_date = CalendarDateField()


class PlanInstancePatchSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    start_date = CalendarDateField(required=False)


PROVIDERS = [p.value for p in Provider]
