"""Input validation for athletes' resources. Output is built by the `*_data` functions."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from astral.api.errors import ApiError, first_error
from astral.api.requests import (
    EmailField,
    FiniteFloatField,
    RegexField,
    StrictSerializer,
    TextField,
    TimezoneField,
    URLField,
)
from astral.api.schema import DATE_SCHEMA
from astral.localtime import MAX_DATE, MIN_DATE
from athletes.models import PlanStatus, Provider, Sex, Source, UnitSystem, User
from athletes.plausibility import activity_problem
from athletes.workouts import (
    HR_LIMITS,
    MAX_REPEAT,
    MAX_STEP_DISTANCE,
    MAX_STEP_DURATION,
    MAX_STEPS,
    MAX_WORKOUT_DISTANCE,
    MAX_WORKOUT_DURATION,
    PACE_LIMITS,
    STEP_KINDS,
    WORKOUT_TYPES,
)
from metrics.formatting import parse_duration
from metrics.plans import expand, steps_totals

# A sport's name: `run`, `trail_run`, `ride`… (the API's one rule, the upload's too).
SPORT_PATTERN = r"^[a-z_]{2,32}$"

MAX_SAMPLES = 100_000


@extend_schema_field(
    {"type": "string", "pattern": "^(?=.*[1-9])[0-9]{1,6}(:[0-5][0-9]){1,2}$", "example": "3:29:59"}
)
class DurationTextField(TextField):
    """A positive duration typed as H:MM:SS (or M:SS); the value is its seconds."""

    def to_internal_value(self, data: Any) -> int:
        text = super().to_internal_value(data)
        if len(text) > 12:
            raise serializers.ValidationError("Use H:MM:SS.")
        try:
            seconds = parse_duration(text)
        except ValueError:
            raise serializers.ValidationError("Use H:MM:SS.") from None
        if seconds <= 0:
            raise serializers.ValidationError("Must be positive.")
        return seconds


class InstantField(serializers.DateTimeField):
    """A date and time with its offset; a year so far off that it has no UTC instant (year
    1 at +05:00, year 9999 at -05:00) is a 400, not an overflow."""

    def to_internal_value(self, value: Any) -> Any:
        try:
            return super().to_internal_value(value)
        except (OverflowError, ValueError):
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss±hh:mm")


@extend_schema_field(DATE_SCHEMA)
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
    email = EmailField()
    password = TextField(max_length=128, trim_whitespace=False)
    username = RegexField(r"^[\w.@+-]{3,150}$", max_length=150)
    display_name = TextField(max_length=150, required=False, allow_blank=True)
    timezone = TimezoneField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        candidate = User(email=attrs["email"], username=attrs["username"])
        try:
            validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from None
        return attrs


class UserUpdateSerializer(StrictSerializer):
    username = RegexField(r"^[\w.@+-]{3,150}$", max_length=150, required=False)
    display_name = TextField(max_length=150, required=False, allow_blank=True)
    profile_image_url = URLField(required=False, allow_blank=True, max_length=200)
    timezone = TimezoneField(required=False)
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
    push_token = TextField(max_length=255, required=False, allow_blank=True)

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
    password = TextField(max_length=128, trim_whitespace=False)


class IntegrationSerializer(StrictSerializer):
    external_id = TextField(max_length=128, required=False, allow_blank=True)


class SampleSerializer(StrictSerializer):
    t = FiniteFloatField(min_value=0)
    distance = FiniteFloatField(min_value=0, required=False, allow_null=True)
    heart_rate = FiniteFloatField(min_value=20, max_value=260, required=False, allow_null=True)
    lat = FiniteFloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = FiniteFloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    altitude = FiniteFloatField(min_value=-500, max_value=9000, required=False, allow_null=True)
    cadence = FiniteFloatField(min_value=0, max_value=300, required=False, allow_null=True)


class CommentSerializer(StrictSerializer):
    text = TextField(max_length=2000, allow_blank=False, trim_whitespace=True)


class ActivityWriteSerializer(StrictSerializer):
    user_id = TextField(max_length=32, required=False)
    start_time = InstantField()
    distance = FiniteFloatField(min_value=0, max_value=1_000_000)
    duration = FiniteFloatField(min_value=0.001, max_value=30 * 24 * 3600)
    elapsed_time = FiniteFloatField(
        min_value=0, max_value=30 * 24 * 3600, required=False, allow_null=True
    )
    name = TextField(max_length=200, required=False, allow_blank=True)
    notes = TextField(max_length=5000, required=False, allow_blank=True)
    sport = RegexField(SPORT_PATTERN, required=False)
    avg_heart_rate = FiniteFloatField(min_value=20, max_value=260, required=False, allow_null=True)
    max_heart_rate = FiniteFloatField(min_value=20, max_value=260, required=False, allow_null=True)
    calories = FiniteFloatField(min_value=0, max_value=100_000, required=False, allow_null=True)
    elevation_gain = FiniteFloatField(
        min_value=0, max_value=100_000, required=False, allow_null=True
    )
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    external_id = TextField(max_length=128, required=False, allow_null=True)
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


class ActivityPutSerializer(ActivityWriteSerializer):
    """`PUT /activities/by_external_id/{source}/{external_id}`: the path names those two."""

    source = None
    external_id = None


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
    user_id = TextField(max_length=32, required=False)
    resting_hr = FiniteFloatField(min_value=20, max_value=150, required=False, allow_null=True)
    hrv = FiniteFloatField(min_value=1, max_value=400, required=False, allow_null=True)
    vo2_max = FiniteFloatField(min_value=10, max_value=100, required=False, allow_null=True)
    recovery_score = FiniteFloatField(min_value=0, max_value=100, required=False, allow_null=True)
    sleep_seconds = serializers.IntegerField(
        min_value=0, max_value=86_400, required=False, allow_null=True
    )


class HealthEntriesSerializer(StrictSerializer):
    """For the schema: many entries at once (at most 1,000), each as one entry."""

    entries = HealthEntrySerializer(many=True, min_length=1, max_length=1000)


class GoalSerializer(StrictSerializer):
    user_id = TextField(max_length=32, required=False)
    race_name = TextField(max_length=200)
    race_date = CalendarDateField()
    distance = FiniteFloatField(min_value=100, max_value=500_000)
    goal_time = DurationTextField(required=False, allow_null=True)


class GoalPatchSerializer(GoalSerializer):
    race_name = TextField(max_length=200, required=False)
    race_date = CalendarDateField(required=False)
    distance = FiniteFloatField(min_value=100, max_value=500_000, required=False)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields.pop("user_id")
        return fields


class TargetSerializer(StrictSerializer):
    """One of: a pace zone, an HR zone, a pace range (s/km, fast then slow), an HR range."""

    pace_zone = serializers.IntegerField(min_value=1, max_value=5, required=False)
    hr_zone = serializers.IntegerField(min_value=1, max_value=5, required=False)
    pace = serializers.ListField(
        child=FiniteFloatField(min_value=PACE_LIMITS[0], max_value=PACE_LIMITS[1]),
        min_length=2,
        max_length=2,
        required=False,
    )
    hr = serializers.ListField(
        child=serializers.IntegerField(min_value=HR_LIMITS[0], max_value=HR_LIMITS[1]),
        min_length=2,
        max_length=2,
        required=False,
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if len(attrs) != 1:
            raise serializers.ValidationError("Give one target: pace_zone, hr_zone, pace or hr.")
        for name in ("pace", "hr"):
            if name in attrs and attrs[name][0] >= attrs[name][1]:
                order = "fast then slow" if name == "pace" else "low then high"
                raise serializers.ValidationError({name: [f"Give the range {order}."]})
        return attrs


class StepSerializer(StrictSerializer):
    """A step ends after its distance, its duration, or (neither) the lap button."""

    kind = serializers.ChoiceField(choices=STEP_KINDS)
    distance = FiniteFloatField(min_value=1, max_value=MAX_STEP_DISTANCE, required=False)
    duration = FiniteFloatField(min_value=1, max_value=MAX_STEP_DURATION, required=False)
    target = TargetSerializer(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "distance" in attrs and "duration" in attrs:
            raise serializers.ValidationError(
                {"duration": ["A step ends by distance or by time, not both."]}
            )
        return attrs


class RepeatSerializer(StrictSerializer):
    repeat = serializers.IntegerField(min_value=2, max_value=MAX_REPEAT)
    steps = StepSerializer(many=True, min_length=1, max_length=MAX_STEPS)


def _range(low: float, high: float, kind: str = "number") -> dict[str, Any]:
    item = {"type": kind, "minimum": low, "maximum": high}
    return {"type": "array", "items": item, "minItems": 2, "maxItems": 2}


def _one(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [name],
        "properties": {name: schema},
        "additionalProperties": False,
    }


ZONE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 5}
STEP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "enum": list(STEP_KINDS)},
        "distance": {"type": "number", "minimum": 1, "maximum": MAX_STEP_DISTANCE},
        "duration": {"type": "number", "minimum": 1, "maximum": MAX_STEP_DURATION},
        "target": {
            "oneOf": [
                _one("pace_zone", ZONE_SCHEMA),
                _one("hr_zone", ZONE_SCHEMA),
                _one("pace", _range(*PACE_LIMITS)),
                _one("hr", _range(*HR_LIMITS, kind="integer")),
            ],
            "description": "pace: [fast, slow] s/km; hr: [low, high] bpm",
        },
    },
    "description": "Ends after `distance` (m) or `duration` (s), not both; neither: the lap button",
}
REPEAT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["repeat", "steps"],
    "additionalProperties": False,
    "properties": {
        "repeat": {"type": "integer", "minimum": 2, "maximum": MAX_REPEAT},
        "steps": {"type": "array", "items": STEP_SCHEMA, "minItems": 1, "maxItems": MAX_STEPS},
    },
}


@extend_schema_field(
    {
        "type": "array",
        "maxItems": MAX_STEPS,
        "items": {"oneOf": [STEP_SCHEMA, REPEAT_SCHEMA]},
        "nullable": True,
        "description": f"At most {MAX_STEPS} steps once repeats are expanded",
    }
)
class StepsField(serializers.Field):
    """A structured workout: steps and repeats of steps, at most 50 steps once repeats are
    expanded; a bad step is named by its path (`steps[1].target`)."""

    def to_internal_value(self, data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of steps.")
        out, errors, failed = [], [], False
        for item in data:
            kind = (
                RepeatSerializer if isinstance(item, dict) and "repeat" in item else StepSerializer
            )
            each = kind(data=item)
            if each.is_valid():
                out.append(_plain(each.validated_data))
                errors.append({})
            else:
                errors.append(each.errors)
                failed = True
        if failed:
            raise serializers.ValidationError(errors)
        if len(expand(out)) > MAX_STEPS:
            raise serializers.ValidationError(
                f"At most {MAX_STEPS} steps once repeats are expanded."
            )
        return out

    def to_representation(self, value: Any) -> Any:
        return value


def _plain(value: Any) -> Any:
    """Validated data as plain JSON (OrderedDicts and ReturnDicts to dicts)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


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
    note = TextField(max_length=200, required=False, allow_blank=True)
    steps = StepsField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """On the plan, a workout with steps has their sums as its distance and duration."""
        if attrs.get("steps"):
            if attrs.get("type") == "rest":
                raise serializers.ValidationError({"steps": ["A rest day has no steps."]})
            attrs["distance"], attrs["duration"] = steps_totals(attrs["steps"])
        return attrs


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
    name = TextField(max_length=200)
    org_id = TextField(max_length=32)
    total_weeks = serializers.IntegerField(min_value=1, max_value=104)
    description = TextField(required=False, allow_blank=True, max_length=5000)
    workouts = WorkoutSerializer(many=True, required=False, max_length=104 * 7 * 3)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for index, workout in enumerate(attrs.get("workouts", [])):
            if workout["week"] > attrs["total_weeks"]:
                raise serializers.ValidationError(
                    {"workouts": [{}] * index + [{"week": ["week is past total_weeks."]}]}
                )
        return attrs


class AssignSerializer(StrictSerializer):
    user_ids = serializers.ListField(child=TextField(max_length=32), min_length=1, max_length=1000)
    start_date = CalendarDateField()


class PlanInstancePatchSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    start_date = CalendarDateField(required=False)


PROVIDERS = [p.value for p in Provider]
