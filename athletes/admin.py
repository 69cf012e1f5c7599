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
from athletes.backends import FAILED_LOGIN_LIMIT, lockout_clear, lockout_of
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
from athletes.services.health import HEALTH_FIELDS, health_metrics_upsert
from athletes.services.plans import (
    WORKOUT_FIELDS,
    goal_create,
    goal_delete,
    goal_update,
    plan_assign,
    plan_create,
    plan_instance_update,
    plan_update,
    plan_workouts_set,
)
from metrics.formatting import format_duration, parse_duration

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
        return f"Locked after {FAILED_LOGIN_LIMIT} failed sign-ins, until {until:%H:%M} (see the actions)"

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
    """A day's reading is written as the API writes it (`health_metrics_upsert`); the person
    and the day name the row, so they are fixed once it exists."""

    list_display = ("user", "date", "resting_hr", "hrv", "vo2_max", "recovery_score")
    list_filter = ("date", "user__memberships__organization")
    search_fields = ("user__username", "user__email")
    date_hierarchy = "date"
    list_select_related = ("user",)
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user", "date") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        sent = {
            name: form.cleaned_data[name] for name in HEALTH_FIELDS if name in form.changed_data
        }
        (stored,) = health_metrics_upsert(entries=[(obj.user, {"date": obj.date, **sent})])
        obj.pk = stored.pk


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "connected_at", "last_sync_at")
    list_filter = ("provider",)
    search_fields = ("user__username", "user__email", "external_id")
    raw_id_fields = ("user",)


class GoalTimeField(forms.CharField):
    """A goal time as people write it (`3:05:00`, `45:30`), stored in seconds."""

    def prepare_value(self, value: Any) -> Any:
        return format_duration(value) if isinstance(value, int) else value

    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_duration(text)
        except ValueError:
            raise forms.ValidationError("Write the time as H:MM:SS, for example 3:05:00.") from None


class GoalForm(forms.ModelForm):
    goal_time = GoalTimeField(required=False, help_text="H:MM:SS")

    class Meta:
        model = Goal
        fields = ("user", "race_name", "race_date", "distance", "goal_time")


@admin.register(Goal)
class GoalAdmin(AthleteDataAdmin):
    """Goals are written through the API's services (the goal time is formatted by the
    database, the athlete's predictions follow)."""

    form = GoalForm
    list_display = ("race_name", "user", "race_date", "distance", "goal_time_text")
    list_filter = ("race_date",)
    search_fields = ("race_name", "user__username", "user__email")
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("user",) if obj is not None else ()  # a goal is its athlete's

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            stored = Goal.objects.get(pk=obj.pk)
            goal_update(goal=stored, changes={k: form.cleaned_data[k] for k in form.changed_data})
        else:
            fields = {k: v for k, v in form.cleaned_data.items() if k != "user"}
            stored = goal_create(athlete=obj.user, fields=fields)
        obj.pk = stored.pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        goal_delete(goal=obj)


class PlannedWorkoutFormSet(forms.BaseInlineFormSet):
    """A plan's weeks as the API checks them: no workout past the plan's last week."""

    def clean(self) -> None:
        super().clean()
        weeks = self.instance.total_weeks
        for form in self.forms:
            week = form.cleaned_data.get("week")
            if week and weeks and week > weeks and not form.cleaned_data.get("DELETE"):
                form.add_error("week", f"Week {week} is past the plan's {weeks} weeks.")
                raise forms.ValidationError("A workout is past the plan's last week.")


class PlannedWorkoutInline(admin.TabularInline):
    model = PlannedWorkout
    formset = PlannedWorkoutFormSet
    extra = 0
    # Steps are written through the one rule that checks them (the API, the plan editor and
    # the calendar: api.athletes.serializers.StepsField); here they are shown, not typed.
    readonly_fields = ("steps",)


@admin.register(Plan)
class PlanAdmin(AthleteDataAdmin):
    """A plan's weeks change the compliance and current week of everyone following it: its
    fields are saved by `plan_update` and its workouts, as a whole, by `plan_workouts_set`."""

    list_display = ("name", "organization", "total_weeks", "created_at")
    list_filter = ("organization",)
    search_fields = ("name", "public_id")
    inlines = [PlannedWorkoutInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("organization", "created_by") if obj is not None else ("created_by",)

    def athletes_of(self, objects: Iterable[Any]) -> set[int]:
        plans = [obj.pk for obj in objects if obj.pk]
        return set(PlanInstance.objects.filter(plan_id__in=plans).values_list("user_id", flat=True))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            plan = Plan.objects.get(pk=obj.pk)
            plan_update(plan=plan, changes={k: form.cleaned_data[k] for k in form.changed_data})
        else:
            fields = form.cleaned_data
            plan, _ = plan_create(
                organization=fields["organization"],
                name=fields["name"],
                total_weeks=fields["total_weeks"],
                description=fields.get("description", ""),
                created_by=request.user,  # type: ignore[arg-type]
                workouts=[],
            )
        obj.pk = plan.pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        kept = []
        for row in formset.forms:
            data = row.cleaned_data
            if not data or data.get("DELETE"):
                continue
            workout = {name: data.get(name) for name in WORKOUT_FIELDS}
            workout["note"] = workout["note"] or ""
            workout["athlete_note"] = workout["athlete_note"] or ""
            workout["steps"] = row.instance.steps if row.instance.pk else None
            kept.append(workout)
        plan_workouts_set(plan=form.instance, workouts=kept)
        # The weeks were written as a whole; the history says "Changed workouts".
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change)


class PlanInstanceForm(forms.ModelForm):
    """A plan is followed by an athlete of the plan's club, as the API assigns it."""

    class Meta:
        model = PlanInstance
        fields = ("plan", "user", "start_date", "status")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        plan, user = data.get("plan"), data.get("user")
        if self.instance.pk is None and plan and user:
            from organizations.models import Membership

            if not Membership.objects.filter(organization=plan.organization, user=user).exists():
                self.add_error("user", f"{user} is not a member of {plan.organization}.")
        return data


@admin.register(PlanInstance)
class PlanInstanceAdmin(AthleteDataAdmin):
    form = PlanInstanceForm
    list_display = ("public_id", "plan", "user", "start_date", "status")
    list_filter = ("status", "plan__organization")
    search_fields = ("user__username", "user__email", "plan__name")
    raw_id_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("plan", "user") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            stored = PlanInstance.objects.get(pk=obj.pk)
            changes = {k: form.cleaned_data[k] for k in form.changed_data}
            plan_instance_update(instance=stored, changes=changes)
        else:
            (stored,) = plan_assign(plan=obj.plan, athletes=[obj.user], start_date=obj.start_date)
            if obj.status != stored.status:
                plan_instance_update(instance=stored, changes={"status": obj.status})
        obj.pk = stored.pk


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
