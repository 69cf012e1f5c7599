"""Organizations, members, groups, labels and API keys (API.md §3)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch
from django.utils import timezone
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from astral.api.errors import ApiError
from astral.api.pagination import walk
from astral.api.params import choice_param, str_param
from astral.api.requests import (
    EmailField,
    StrictSerializer,
    TextField,
    URLField,
    fetch_visible,
    require_user,
    validated,
)
from astral.api.responses import ok
from astral.api.schema import WALK, ApiDoc, query
from athletes.models import User
from organizations import invitations, services, webhooks
from organizations.access import (
    Caller,
    caller_of,
    can_coach,
    organization_athletes,
    organization_coach,
    resolve_organization,
)
from organizations.changes import cursor_text
from organizations.models import (
    ApiKey,
    Group,
    Invitation,
    InvitationStatus,
    Label,
    Membership,
    Organization,
    Role,
    Webhook,
)


class OrganizationSerializer(StrictSerializer):
    name = TextField(max_length=200)


class MemberSerializer(StrictSerializer):
    """An invitation: remembered until accepted, then applied to the new membership."""

    email = EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.ATHLETE)
    assigned_coach_id = TextField(max_length=32, required=False, allow_null=True)
    labels = serializers.ListField(child=TextField(max_length=64), required=False, max_length=50)
    group_ids = serializers.ListField(child=TextField(max_length=32), required=False, max_length=50)


class MemberPatchSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    assigned_coach_id = TextField(max_length=32, required=False, allow_null=True)
    labels = serializers.ListField(child=TextField(max_length=64), required=False, max_length=50)


class GroupSerializer(StrictSerializer):
    name = TextField(max_length=200)


class GroupMembersSerializer(StrictSerializer):
    user_ids = serializers.ListField(child=TextField(max_length=32), min_length=1, max_length=1000)


class ApiKeySerializer(StrictSerializer):
    name = TextField(max_length=100)


def organization_data(organization: Organization, role: str | None = None) -> dict[str, Any]:
    data = {
        "org_id": organization.public_id,
        "name": organization.name,
        "created_at": organization.created_at,
    }
    if role:
        data["role"] = role
    return data


def member_data(membership: Membership) -> dict[str, Any]:
    return {
        "user_id": membership.user.public_id,
        "username": membership.user.username,
        "email": membership.user.email,
        "display_name": membership.user.display_name,
        "role": membership.role,
        "assigned_coach_id": membership.assigned_coach.public_id
        if membership.assigned_coach
        else None,
        "labels": [label.name for label in membership.labels.all()],
        "joined_at": membership.joined_at,
    }


def group_data(group: Group, member_count: int | None = None) -> dict[str, Any]:
    return {
        "group_id": group.public_id,
        "org_id": group.organization.public_id,
        "name": group.name,
        "member_count": member_count
        if member_count is not None
        else getattr(group, "member_count", None),
        "created_at": group.created_at,
    }


def key_data(key: ApiKey) -> dict[str, Any]:
    return {
        "key_id": key.public_id,
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
    }


def require_owner(caller: Caller, organization: Organization) -> None:
    if (
        caller.user is None
        or not Membership.objects.filter(
            organization=organization, user=caller.user, role=Role.OWNER
        ).exists()
    ):
        raise ApiError(
            "Only the organization's owner may do this.", "PERMISSION_DENIED", status=403
        )


def coach_org(caller: Caller, org_id: str) -> Organization:
    return resolve_organization(caller, org_id, coach=True)


class OrganizationListView(APIView):
    api_doc = {
        "get": ApiDoc(params=WALK, errors=(400, 403)),
        "post": ApiDoc(request=OrganizationSerializer, status=201, errors=(400, 403)),
    }

    def get(self, request: Request) -> Response:
        user = require_user(caller_of(request))
        memberships = Membership.objects.filter(user=user).select_related("organization")
        rows = walk(memberships, ["organization__name", "pk"], request.query_params, "orgs")
        items = [organization_data(m.organization, m.role) for m in rows.rows]
        return ok(rows.answer(items, "organizations"))

    def post(self, request: Request) -> Response:
        user = require_user(caller_of(request))
        data = validated(OrganizationSerializer, request.data)
        organization = services.organization_create(name=data["name"], owner=user)
        return ok(organization_data(organization, Role.OWNER), status=201)


class OrganizationDetailView(APIView):
    api_doc = {"get": ApiDoc(), "patch": ApiDoc(request=OrganizationSerializer)}

    def get(self, request: Request, org_id: str) -> Response:
        caller = caller_of(request)
        organization = resolve_organization(caller, org_id, coach=False)
        data = organization_data(organization)
        data["athlete_count"] = organization.memberships.filter(role=Role.ATHLETE).count()
        data["group_count"] = organization.groups.count()
        return ok(data)

    def patch(self, request: Request, org_id: str) -> Response:
        caller = caller_of(request)
        organization = resolve_organization(caller, org_id, coach=True)
        require_owner(caller, organization)
        data = validated(OrganizationSerializer, request.data)
        services.organization_rename(organization=organization, name=data["name"])
        return ok(organization_data(organization))


def memberships_of(organization: Organization) -> Any:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user", "assigned_coach")
        .prefetch_related(Prefetch("labels", queryset=Label.objects.order_by("name")))
    )


class MemberListView(APIView):
    api_doc = {
        "get": ApiDoc(params=[query("role", enum=["owner", "coach", "athlete"]), *WALK]),
        "post": ApiDoc(request=MemberSerializer, status=201, errors=(400, 403, 404, 409)),
    }

    def get(self, request: Request, org_id: str) -> Response:
        organization = coach_org(caller_of(request), org_id)
        queryset = memberships_of(organization)
        role = choice_param(request.query_params, "role", Role.values)
        if role:
            queryset = queryset.filter(role=role)
        order = ["user__display_name", "user__username", "pk"]
        rows = walk(queryset, order, request.query_params, "members")
        return ok(rows.answer([member_data(m) for m in rows.rows], "members"))

    def post(self, request: Request, org_id: str) -> Response:
        """Invites: nobody becomes a member without accepting (API.md, Organizations)."""
        caller = caller_of(request)
        organization = coach_org(caller, org_id)
        data = validated(MemberSerializer, request.data)
        if data["role"] != Role.ATHLETE:
            require_owner(caller, organization)
        coach = organization_coach(organization, data.get("assigned_coach_id"), "assigned_coach_id")
        groups = organization_groups(organization, data.get("group_ids", []))
        invitation = invitations.invitation_create(
            organization=organization,
            email=data["email"],
            role=data["role"],
            assigned_coach=coach,
            labels=data.get("labels", []),
            groups=groups,
            invited_by=caller.user,
            api_key=getattr(request.user, "api_key", None),
            base_url=request.build_absolute_uri("/"),
        )
        return ok(invitation_data(invitation), status=201)


def organization_groups(organization: Organization, group_ids: list[str]) -> list[Group]:
    wanted = set(group_ids)
    groups = list(Group.objects.filter(organization=organization, public_id__in=wanted))
    if len(groups) != len(wanted):
        raise ApiError("group_ids names a group not in this organization.", field="group_ids")
    return groups


def invitation_data(invitation: Invitation) -> dict[str, Any]:
    """The same whether or not the address has an account: nothing about a user."""
    return {
        "invitation_id": invitation.public_id,
        "org_id": invitation.organization.public_id,
        "organization_name": invitation.organization.name,
        "email": invitation.email,
        "role": invitation.role,
        "assigned_coach_id": invitation.assigned_coach.public_id
        if invitation.assigned_coach
        else None,
        "labels": list(invitation.labels),
        "group_ids": sorted(g.public_id for g in invitation.groups.all()),
        "status": invitations.display_status(invitation),
        "invited_by": invitations.inviter_name(invitation),
        "sent_at": invitation.sent_at,
        "expires_at": invitation.expires_at,
    }


def org_invitation(organization: Organization, invitation_id: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organization", "assigned_coach", "invited_by")
        .filter(organization=organization, public_id=invitation_id)
        .first()
    )
    if invitation is None:
        raise ApiError("No such invitation.", "NOT_FOUND", status=404)
    return invitation


INVITATION_STATUSES = ["pending", "expired", "accepted", "declined", "revoked"]


class OrgInvitationListView(APIView):
    api_doc = {
        "get": ApiDoc(
            params=[query("status", enum=[*INVITATION_STATUSES, "all"]), *WALK],
            errors=(400, 403, 404),
        )
    }

    def get(self, request: Request, org_id: str) -> Response:
        """Pending invitations by default (`status=all` for every one), newest first."""
        organization = coach_org(caller_of(request), org_id)
        status = choice_param(
            request.query_params, "status", [*INVITATION_STATUSES, "all"], default="pending"
        )
        queryset = Invitation.objects.filter(organization=organization)
        now = timezone.now()
        if status == "pending":
            queryset = queryset.filter(status=InvitationStatus.PENDING, expires_at__gt=now)
        elif status == "expired":
            queryset = queryset.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
        elif status != "all":
            queryset = queryset.filter(status=status)
        queryset = queryset.select_related(
            "organization", "assigned_coach", "invited_by"
        ).prefetch_related("groups")
        rows = walk(queryset, ["-sent_at", "pk"], request.query_params, "invitations")
        return ok(rows.answer([invitation_data(i) for i in rows.rows], "invitations"))


class OrgInvitationDetailView(APIView):
    api_doc = {"delete": ApiDoc(errors=(403, 404, 409))}

    def delete(self, request: Request, org_id: str, invitation_id: str) -> Response:
        """Revokes a pending invitation: its link stops working at once."""
        organization = coach_org(caller_of(request), org_id)
        invitation = org_invitation(organization, invitation_id)
        invitations.invitation_revoke(invitation=invitation)
        return ok(invitation_data(invitation))


class OrgInvitationResendView(APIView):
    api_doc = {"post": ApiDoc(errors=(403, 404, 409))}

    def post(self, request: Request, org_id: str, invitation_id: str) -> Response:
        """A new e-mail with a new link (the old one stops working) valid 7 more days."""
        organization = coach_org(caller_of(request), org_id)
        invitation = org_invitation(organization, invitation_id)
        invitations.invitation_resend(
            invitation=invitation, base_url=request.build_absolute_uri("/")
        )
        return ok(invitation_data(invitation))


class MyInvitationListView(APIView):
    api_doc = {"get": ApiDoc(params=WALK, errors=(400, 403))}

    def get(self, request: Request) -> Response:
        """The caller's invitations waiting for an answer, paginated like every list."""
        user = require_user(caller_of(request))
        queryset = (
            invitations.pending_for_query(user)
            .select_related("assigned_coach")
            .prefetch_related("groups")
        )
        rows = walk(queryset, ["-sent_at", "pk"], request.query_params, "my_invitations")
        return ok(rows.answer([invitation_data(i) for i in rows.rows], "invitations"))


def my_invitation(user: User, invitation_id: str) -> Invitation:
    """An invitation addressed to this user; any other is 404 (its existence is not theirs
    to learn)."""
    invitation = (
        Invitation.objects.select_related("organization", "assigned_coach", "invited_by")
        .filter(public_id=invitation_id, email=user.email.strip().lower())
        .first()
    )
    if invitation is None:
        raise ApiError("No such invitation.", "NOT_FOUND", status=404)
    return invitation


class InvitationAcceptView(APIView):
    api_doc = {"post": ApiDoc(status=200, errors=(403, 404, 409, 410))}

    def post(self, request: Request, invitation_id: str) -> Response:
        """Joins the organization as invited. Only the invited person: never an API key."""
        user = require_user(caller_of(request))
        invitation = my_invitation(user, invitation_id)
        # The link's token proves the mailbox; without it the account's address must be verified.
        token = str_param(request.data, "token", 128) if isinstance(request.data, dict) else None
        membership = invitations.invitation_accept(
            invitation=invitation,
            user=user,
            email_proven=invitations.token_matches(invitation, token),
        )
        data = invitation_data(invitation)
        data["membership"] = member_data(
            memberships_of(invitation.organization).get(pk=membership.pk)
        )
        return ok(data)


class InvitationDeclineView(APIView):
    api_doc = {"post": ApiDoc(status=200, errors=(403, 404, 409))}

    def post(self, request: Request, invitation_id: str) -> Response:
        user = require_user(caller_of(request))
        invitation = my_invitation(user, invitation_id)
        invitations.invitation_decline(invitation=invitation, user=user)
        return ok(invitation_data(invitation))


def member_of(organization: Organization, user_id: str) -> Membership:
    membership = memberships_of(organization).filter(user__public_id=user_id).first()
    if membership is None:
        raise ApiError("No such member.", "NOT_FOUND", status=404)
    return membership


class MemberDetailView(APIView):
    api_doc = {"patch": ApiDoc(request=MemberPatchSerializer), "delete": ApiDoc()}

    def patch(self, request: Request, org_id: str, user_id: str) -> Response:
        caller = caller_of(request)
        organization = coach_org(caller, org_id)
        membership = member_of(organization, user_id)
        data = validated(MemberPatchSerializer, request.data)
        if "role" in data and data["role"] != membership.role:
            require_owner(caller, organization)
        coach = services.UNCHANGED
        if "assigned_coach_id" in data:
            coach = organization_coach(organization, data["assigned_coach_id"], "assigned_coach_id")
        services.membership_update(
            membership=membership,
            role=data.get("role"),
            assigned_coach=coach,
            labels=data.get("labels"),
        )
        return ok(member_data(memberships_of(organization).get(pk=membership.pk)))

    def delete(self, request: Request, org_id: str, user_id: str) -> Response:
        caller = caller_of(request)
        organization = coach_org(caller, org_id)
        membership = member_of(organization, user_id)
        if membership.role != Role.ATHLETE:
            require_owner(caller, organization)
        services.membership_remove(membership=membership)
        return ok({"user_id": user_id, "removed": True})


class LabelListView(APIView):
    api_doc = {"get": ApiDoc()}

    def get(self, request: Request, org_id: str) -> Response:
        organization = coach_org(caller_of(request), org_id)
        labels = (
            Label.objects.filter(organization=organization)
            .annotate(athlete_count=Count("memberships"))
            .order_by("name")
        )
        return ok(
            {
                "labels": [
                    {"name": label.name, "athlete_count": label.athlete_count} for label in labels
                ]
            }
        )


class GroupListView(APIView):
    api_doc = {
        "get": ApiDoc(params=WALK),
        "post": ApiDoc(request=GroupSerializer, status=201),
    }

    def get(self, request: Request, org_id: str) -> Response:
        organization = coach_org(caller_of(request), org_id)
        queryset = organization.groups.select_related("organization").annotate(
            member_count=Count("members")
        )
        rows = walk(queryset, ["name", "pk"], request.query_params, "groups")
        return ok(rows.answer([group_data(g) for g in rows.rows], "groups"))

    def post(self, request: Request, org_id: str) -> Response:
        organization = coach_org(caller_of(request), org_id)
        data = validated(GroupSerializer, request.data)
        group = services.group_create(organization=organization, name=data["name"])
        return ok(group_data(group, 0), status=201)


def coached_group(caller: Caller, group_id: str) -> Group:
    return fetch_visible(
        Group.objects.select_related("organization"),
        group_id,
        "group",
        lambda group: can_coach(caller, group.organization),
    )


class GroupDetailView(APIView):
    api_doc = {"get": ApiDoc(), "patch": ApiDoc(request=GroupSerializer), "delete": ApiDoc()}

    def get(self, request: Request, group_id: str) -> Response:
        group = coached_group(caller_of(request), group_id)
        members = list(group.members.order_by("display_name", "username"))
        data = group_data(group, len(members))
        data["members"] = [
            {"user_id": u.public_id, "display_name": u.display_name, "username": u.username}
            for u in members
        ]
        return ok(data)

    def patch(self, request: Request, group_id: str) -> Response:
        group = coached_group(caller_of(request), group_id)
        data = validated(GroupSerializer, request.data)
        services.group_rename(group=group, name=data["name"])
        return ok(group_data(group, group.members.count()))

    def delete(self, request: Request, group_id: str) -> Response:
        group = coached_group(caller_of(request), group_id)
        services.group_delete(group=group)
        return ok({"group_id": group_id, "deleted": True})


class GroupMembersView(APIView):
    api_doc = {"post": ApiDoc(request=GroupMembersSerializer)}

    def post(self, request: Request, group_id: str) -> Response:
        group = coached_group(caller_of(request), group_id)
        data = validated(GroupMembersSerializer, request.data)
        athletes = organization_athletes(group.organization, data["user_ids"])
        services.group_members_add(group=group, athletes=athletes)
        return ok(group_data(group, group.members.count()))


class GroupMemberDetailView(APIView):
    api_doc = {"delete": ApiDoc()}

    def delete(self, request: Request, group_id: str, user_id: str) -> Response:
        group = coached_group(caller_of(request), group_id)
        member = group.members.filter(public_id=user_id).first()
        if member is None:
            raise ApiError("This user is not in the group.", "NOT_FOUND", status=404)
        services.group_member_remove(group=group, athlete=member)
        return ok({"group_id": group_id, "user_id": user_id, "removed": True})


class ApiKeyListView(APIView):
    api_doc = {
        "get": ApiDoc(params=WALK),
        "post": ApiDoc(request=ApiKeySerializer, status=201),
    }

    def get(self, request: Request, org_id: str) -> Response:
        caller = caller_of(request)
        organization = coach_org(caller, org_id)
        require_owner(caller, organization)
        queryset = organization.api_keys.filter(revoked_at__isnull=True)
        rows = walk(queryset, ["-created_at", "pk"], request.query_params, "api_keys")
        return ok(rows.answer([key_data(k) for k in rows.rows], "api_keys"))

    def post(self, request: Request, org_id: str) -> Response:
        caller = caller_of(request)
        organization = coach_org(caller, org_id)
        require_owner(caller, organization)
        data = validated(ApiKeySerializer, request.data)
        key, raw = services.api_key_create(
            organization=organization, name=data["name"], created_by=caller.user
        )
        return ok({**key_data(key), "key": raw}, status=201)


class ApiKeyDetailView(APIView):
    api_doc = {"delete": ApiDoc()}

    def delete(self, request: Request, org_id: str, key_id: str) -> Response:
        caller = caller_of(request)
        organization = coach_org(caller, org_id)
        require_owner(caller, organization)
        if not services.api_key_revoke(organization=organization, key_id=key_id):
            raise ApiError("No such API key.", "NOT_FOUND", status=404)
        return ok({"key_id": key_id, "revoked": True})


# Webhooks (API.md §5) ---------------------------------------------------------------


class WebhookSerializer(StrictSerializer):
    url = URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=webhooks.EVENTS), required=False, max_length=6
    )


def webhook_org(caller: Caller, org_id: str) -> Organization:
    """The club's owner, or the club's own API key (an integration registers its receiver)."""
    organization = coach_org(caller, org_id)
    if not caller.is_api_key:
        require_owner(caller, organization)
    return organization


def webhook_data(hook: Webhook) -> dict[str, Any]:
    return {
        "webhook_id": hook.public_id,
        "url": hook.url,
        "events": hook.events or list(webhooks.EVENTS),
        "failing_since": hook.failing_since,
        "next_attempt_at": hook.next_attempt_at,
        "created_at": hook.created_at,
    }


class WebhookListView(APIView):
    api_doc = {
        "get": ApiDoc(params=WALK),
        "post": ApiDoc(request=WebhookSerializer, status=201),
    }

    def get(self, request: Request, org_id: str) -> Response:
        organization = webhook_org(caller_of(request), org_id)
        rows = walk(
            organization.webhooks.all(), ["created_at", "pk"], request.query_params, "webhooks"
        )
        return ok(rows.answer([webhook_data(h) for h in rows.rows], "webhooks"))

    def post(self, request: Request, org_id: str) -> Response:
        organization = webhook_org(caller_of(request), org_id)
        data = validated(WebhookSerializer, request.data)
        hook = webhooks.webhook_create(
            organization=organization, url=data["url"], events=data.get("events", [])
        )
        # The secret is shown once: the receiver keeps it to check each signature.
        return ok({**webhook_data(hook), "secret": hook.secret}, status=201)


def _webhook(organization: Organization, webhook_id: str) -> Webhook:
    hook = organization.webhooks.filter(public_id=webhook_id).first()
    if hook is None:
        raise ApiError("No such webhook.", "NOT_FOUND", status=404)
    return hook


class WebhookDetailView(APIView):
    api_doc = {"delete": ApiDoc()}

    def delete(self, request: Request, org_id: str, webhook_id: str) -> Response:
        organization = webhook_org(caller_of(request), org_id)
        _webhook(organization, webhook_id).delete()
        return ok({"webhook_id": webhook_id, "deleted": True})


class WebhookDeliveriesView(APIView):
    api_doc = {"get": ApiDoc(params=WALK)}

    def get(self, request: Request, org_id: str, webhook_id: str) -> Response:
        organization = webhook_org(caller_of(request), org_id)
        hook = _webhook(organization, webhook_id)
        rows = walk(hook.deliveries.all(), ["-pk"], request.query_params, "deliveries")
        items = [
            {
                "change_cursor": cursor_text(d.change_id),
                "status": d.status,
                "status_code": d.status_code,
                "error": d.error,
                "attempt": d.attempt,
                "at": d.at,
            }
            for d in rows.rows
        ]
        return ok(rows.answer(items, "deliveries"))
