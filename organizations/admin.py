"""The clubs, for staff. The club's rules hold here as everywhere (PostgreSQL keeps them:
organizations/migrations/0004): a club keeps an owner, an athlete's coach coaches in the same
club, a group's members are the club's. The forms say so before PostgreSQL has to. Members
have their own page (a club of hundreds is not one form), and no key or token is shown."""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from astral.api.errors import ApiError
from athletes.services.changes import athlete_data_changed
from organizations import services
from organizations.models import ApiKey, Group, Invitation, Label, Membership, Organization, Role

COACHING = (Role.OWNER, Role.COACH)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "created_at")
    search_fields = ("name", "public_id")
    readonly_fields = ("public_id",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change:
            services.organization_changed(obj)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ("organization", "user", "role", "assigned_coach", "labels")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organization, role = data.get("organization"), data.get("role")
        coach = data.get("assigned_coach")
        stored = self.instance if self.instance.pk else None
        if (
            stored is not None
            and stored.role == Role.OWNER
            and (role != Role.OWNER or organization != stored.organization)
            and not Membership.objects.filter(
                organization_id=stored.organization_id, role=Role.OWNER
            )
            .exclude(pk=stored.pk)
            .exists()
        ):
            raise forms.ValidationError(
                {"role": "A club needs at least one owner: make another member owner first."}
            )
        if (
            coach is not None
            and organization is not None
            and not Membership.objects.filter(
                organization=organization, user=coach, role__in=COACHING
            ).exists()
        ):
            raise forms.ValidationError(
                {"assigned_coach": f"{coach} is not an owner or coach of {organization}."}
            )
        labels = data.get("labels")
        if (
            organization is not None
            and labels
            and any(label.organization_id != organization.pk for label in labels)
        ):
            raise forms.ValidationError({"labels": "Labels are the club's own."})
        return data


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = MembershipForm
    list_display = ("user", "organization", "role", "assigned_coach")
    list_filter = ("role", "organization")
    search_fields = ("user__username", "user__email", "user__display_name", "organization__name")
    autocomplete_fields = ("user", "assigned_coach", "organization", "labels")
    list_select_related = ("user", "organization", "assigned_coach")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # As membership_update: the club's answers and the member's own (their coach's view).
        services.organization_changed(obj.organization)
        athlete_data_changed([obj.user_id])

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.membership_remove(membership=obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        for membership in objs:
            if services.is_last_owner(membership):
                protected.append(
                    f"{membership.user} is the only owner of {membership.organization}: "
                    "make another member owner first"
                )
        return deleted, counts, perms, protected

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for membership in queryset.select_related("organization"):
            try:
                services.membership_remove(membership=membership)
            except ApiError as refused:
                self.message_user(request, refused.message, level="error")


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ("organization", "name", "members")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        organization, members = data.get("organization"), data.get("members")
        if organization is not None and members:
            inside = set(
                Membership.objects.filter(organization=organization, user__in=members).values_list(
                    "user_id", flat=True
                )
            )
            outsiders = [str(m) for m in members if m.pk not in inside]
            if outsiders:
                raise forms.ValidationError(
                    {"members": f"Not members of {organization}: {', '.join(outsiders)}."}
                )
        return data


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    form = GroupForm
    list_display = ("name", "organization", "public_id")
    list_filter = ("organization",)
    search_fields = ("name", "organization__name")
    autocomplete_fields = ("organization", "members")
    list_select_related = ("organization",)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.organization_changed(form.instance.organization)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "organization")
    list_filter = ("organization",)
    search_fields = ("name",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made by a club's owner (Club page or API), where the secret is shown once;
    here they are seen and revoked. Only the key's first characters are ever shown."""

    list_display = ("name", "organization", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("organization",)
    search_fields = ("name", "prefix", "organization__name")
    fields = ("name", "organization", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("organization", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected keys (at once)")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for key in queryset.select_related("organization"):
            services.api_key_revoke(organization=key.organization, key_id=key.public_id)
        self.message_user(request, "Revoked.")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "role", "status", "sent_at", "expires_at")
    list_filter = ("status", "role", "organization")
    search_fields = ("email", "public_id", "organization__name")
    exclude = ("token_hash",)
    readonly_fields = ("public_id", "created_at", "answered_at", "answered_by")
    autocomplete_fields = ("assigned_coach", "invited_by", "organization")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an invitation is an e-mail with a token: the Club page sends them
