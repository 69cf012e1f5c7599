"""The admin for staff. It keeps the API's rules: an athlete's data is written through the
same services (an activity's zones, load and records follow its edit), derived numbers are
read-only, no page shows a token, key or secret, a password set here ends the person's other
sessions, and deleting a person is the account deletion the person would do."""

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserCreationForm
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from astral.api.errors import ApiError
from athletes.backends import lockout_clear, lockout_of
from athletes.models import (
    ZONE_FIELDS,
    Activity,
    ActivityComment,
    EmailVerification,
    Goal,
    HealthMetric,
    ImportBatch,
    Integration,
    Plan,
    PlanInstance,
    PlannedWorkout,
    User,
)
from athletes.services import accounts
from athletes.services.activities import activity_delete, activity_update, comment_delete
from athletes.services.changes import athlete_data_changed

# simplejwt's pages list every live refresh token in full: anyone with staff rights could
# copy one and become that person. Sessions are revoked through the services, not browsed.
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)


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


class StaffUserCreationForm(UserCreationForm):
    """A person added by staff has an address, unique in any case, as sign-up requires."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    email = forms.EmailField(required=True)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail exists.")
        return email


class StaffPasswordForm(AdminPasswordChangeForm):
    """A password set by staff ends every session of the person (as their own change does)."""

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            accounts.sessions_revoke(user=user)
        return user


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = StaffUserCreationForm
    change_password_form = StaffPasswordForm
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )
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
    readonly_fields = ("public_id", "data_version", "sign_in_lockout", "last_login", "date_joined")
    actions = ["clear_sign_in_lockout"]
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
        ("Sign-in", {"fields": ("sign_in_lockout",)}),
    )

    @admin.display(description="Sign-in lockout")
    def sign_in_lockout(self, user: User) -> str:
        if user.pk is None:
            return "-"
        until = lockout_of(user)
        if until is None:
            return "Not locked"
        return f"Locked after 10 failed sign-ins, until {until:%H:%M} (see the actions)"

    @admin.action(description="Clear the sign-in lockout of the selected people")
    def clear_sign_in_lockout(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            lockout_clear(user)
        self.message_user(request, f"Cleared the sign-in lockout of {queryset.count()} people.")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            athlete_data_changed([obj.pk])  # zones, units, time zone change derived numbers

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        """What the account deletion would refuse shows as protected (nothing deleted)."""
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        from organizations.models import Membership, Role

        for user in objs:
            for owned in Membership.objects.filter(user=user, role=Role.OWNER):
                others = Membership.objects.filter(organization_id=owned.organization_id)
                others = others.exclude(user=user)
                if others.exists() and not others.filter(role=Role.OWNER).exists():
                    protected.append(
                        f"{user} is the only owner of {owned.organization}, which has other "
                        "members: make one of them owner first"
                    )
        return deleted, counts, perms, protected

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        accounts.user_delete(user=obj)  # as the person's own deletion: nothing left behind

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for user in queryset:
            try:
                accounts.user_delete(user=user)
            except ApiError as refused:
                self.message_user(request, refused.message, messages.ERROR)


@admin.register(Activity)
class ActivityAdmin(AthleteDataAdmin):
    """Runs come from the API, a file or a watch (no "Add" here); an edit goes through the
    API's `activity_update`, so zones, load, best efforts and records follow it, for the
    athlete it leaves as for the one it reaches."""

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
    readonly_fields = (
        "public_id",
        "content_hash",
        "created_at",
        "updated_at",
        "training_load",
        *ZONE_FIELDS,
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        stored = Activity.objects.select_related("user").get(pk=obj.pk)
        left = stored.user_id
        activity_update(
            activity=stored, fields={name: form.cleaned_data[name] for name in form.changed_data}
        )
        if stored.user_id != left:
            athlete_data_changed([left])
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        activity_delete(activity=obj)


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
    """The e-mails sent, for support; the token's hash is never shown."""

    list_display = ("email", "created_at", "used_at")
    search_fields = ("email",)
    exclude = ("token_hash",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ActivityComment)
class ActivityCommentAdmin(admin.ModelAdmin):
    """Comments are the athlete's and their coaches' words: staff read and remove, not write."""

    list_display = ("activity", "author", "created_at", "text")
    search_fields = ("text", "author__username", "activity__public_id")
    list_select_related = ("activity", "author")
    readonly_fields = ("activity", "author", "text", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        comment_delete(comment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for comment in queryset.select_related("activity"):
            comment_delete(comment=comment)


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Bulk imports, to answer "where are my runs?": counts and each refused file's reason."""

    list_display = ("public_id", "user", "created_at", "total", "done", "imported", "rejected")
    search_fields = ("public_id", "user__username", "user__email")
    list_select_related = ("user",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
