"""The admin for staff. Edits of an athlete's data here change cached answers and snapshots
exactly as the API's writes do (`athlete_data_changed`)."""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from athletes.models import (
    Activity,
    EmailVerification,
    Goal,
    HealthMetric,
    Integration,
    Plan,
    PlanInstance,
    PlannedWorkout,
    User,
)
from athletes.services.changes import athlete_data_changed


class AthleteDataAdmin(admin.ModelAdmin):
    """For models whose rows are an athlete's data (`user_id`); the admin runs each change
    in a transaction, so the invalidation commits with it."""

    def athletes_of(self, objects: Iterable[Any]) -> set[int]:
        return {obj.user_id for obj in objects}

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = self.athletes_of(type(obj).objects.filter(pk=obj.pk)) if change else set()
        super().save_model(request, obj, form, change)
        athlete_data_changed(before | self.athletes_of([obj]))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        athlete_data_changed(self.athletes_of([form.instance]))

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        athletes = self.athletes_of([obj])
        super().delete_model(request, obj)
        athlete_data_changed(athletes)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        athletes = self.athletes_of(queryset)
        super().delete_queryset(request, queryset)
        athlete_data_changed(athletes)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "display_name",
        "public_id",
        "timezone",
        "is_staff",
        "date_joined",
    )
    list_filter = (
        "is_staff",
        "is_active",
        "memberships__organization",
        "memberships__role",
        "unit_system",
    )
    search_fields = ("username", "email", "display_name", "public_id")
    readonly_fields = ("public_id", "data_version")
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            "Athlete profile",
            {
                "fields": (
                    "public_id",
                    "display_name",
                    "profile_image_url",
                    "timezone",
                    "unit_system",
                    "sex",
                    "birth_date",
                    "weight_kg",
                    "max_hr",
                    "resting_hr",
                    "vdot",
                    "hr_zones",
                    "pace_zones",
                    "privacy",
                    "preferences",
                    "email_verified",
                    "data_version",
                )
            },
        ),
    )


@admin.register(Activity)
class ActivityAdmin(AthleteDataAdmin):
    list_display = (
        "public_id",
        "user",
        "start_time",
        "sport",
        "distance",
        "duration",
        "training_load",
        "source",
    )
    list_filter = ("source", "sport", "start_time", "user__memberships__organization")
    search_fields = ("public_id", "user__username", "user__email", "name", "external_id")
    date_hierarchy = "start_time"
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("public_id", "content_hash", "created_at", "updated_at")


@admin.register(HealthMetric)
class HealthMetricAdmin(AthleteDataAdmin):
    list_display = ("user", "date", "resting_hr", "hrv", "vo2_max", "recovery_score")
    list_filter = ("date", "user__memberships__organization")
    search_fields = ("user__username", "user__email")
    date_hierarchy = "date"
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "connected_at", "last_sync_at")
    list_filter = ("provider",)
    search_fields = ("user__username", "user__email", "external_id")
    raw_id_fields = ("user",)


@admin.register(Goal)
class GoalAdmin(AthleteDataAdmin):
    list_display = ("race_name", "user", "race_date", "distance", "goal_time")
    list_filter = ("race_date",)
    search_fields = ("race_name", "user__username", "user__email")
    raw_id_fields = ("user",)


class PlannedWorkoutInline(admin.TabularInline):
    model = PlannedWorkout
    extra = 0
    # Steps are written through the one rule that checks them (the API, the plan editor and
    # the calendar: api.athletes.serializers.StepsField); here they are shown, not typed.
    readonly_fields = ("steps",)


@admin.register(Plan)
class PlanAdmin(AthleteDataAdmin):
    """A plan's weeks change the compliance and current week of everyone following it."""

    list_display = ("name", "organization", "total_weeks", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "public_id")
    inlines = [PlannedWorkoutInline]

    def athletes_of(self, objects: Iterable[Any]) -> set[int]:
        plans = [obj.pk for obj in objects if obj.pk]
        return set(PlanInstance.objects.filter(plan_id__in=plans).values_list("user_id", flat=True))


@admin.register(PlanInstance)
class PlanInstanceAdmin(AthleteDataAdmin):
    list_display = ("public_id", "plan", "user", "start_date", "status")
    list_filter = ("status", "plan__organization")
    search_fields = ("user__username", "user__email", "plan__name")
    raw_id_fields = ("user",)


@admin.register(EmailVerification)
class EmailVerificationAdmin(admin.ModelAdmin):
    list_display = ("email", "created_at", "used_at")
    search_fields = ("email",)
    readonly_fields = ("token_hash",)
