from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

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
class ActivityAdmin(admin.ModelAdmin):
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
class HealthMetricAdmin(admin.ModelAdmin):
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
class GoalAdmin(admin.ModelAdmin):
    list_display = ("race_name", "user", "race_date", "distance", "goal_time")
    list_filter = ("race_date",)
    search_fields = ("race_name", "user__username", "user__email")
    raw_id_fields = ("user",)


class PlannedWorkoutInline(admin.TabularInline):
    model = PlannedWorkout
    extra = 0


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "total_weeks", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "public_id")
    inlines = [PlannedWorkoutInline]


@admin.register(PlanInstance)
class PlanInstanceAdmin(admin.ModelAdmin):
    list_display = ("public_id", "plan", "user", "start_date", "status")
    list_filter = ("status", "plan__organization")
    search_fields = ("user__username", "user__email", "plan__name")
    raw_id_fields = ("user",)


@admin.register(EmailVerification)
class EmailVerificationAdmin(admin.ModelAdmin):
    list_display = ("email", "created_at", "used_at")
    search_fields = ("email",)
    readonly_fields = ("token_hash",)
