from django.contrib import admin

from organizations.models import ApiKey, Group, Invitation, Label, Membership, Organization


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organization"
    extra = 0
    raw_id_fields = ("user", "assigned_coach")
    filter_horizontal = ("labels",)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "public_id", "created_at")
    search_fields = ("name", "public_id")
    readonly_fields = ("public_id",)
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organization", "role", "assigned_coach")
    list_filter = ("organization", "role")
    search_fields = ("user__username", "user__email", "user__display_name")
    raw_id_fields = ("user", "assigned_coach")
    list_select_related = ("user", "organization", "assigned_coach")


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "public_id")
    list_filter = ("organization",)
    search_fields = ("name",)
    filter_horizontal = ("members",)


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    list_display = ("name", "organization")
    list_filter = ("organization",)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "organization", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("organization",)
    readonly_fields = ("public_id", "prefix", "key_hash", "created_at", "last_used_at")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "role", "status", "sent_at", "expires_at")
    list_filter = ("status", "role", "organization")
    search_fields = ("email", "public_id", "organization__name")
    readonly_fields = ("public_id", "token_hash", "created_at", "answered_at", "answered_by")
    raw_id_fields = ("assigned_coach", "invited_by")
