"""Writes to organizations; each replaces the organization's cache token (astral.cache)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from astral import cache
from astral.api.errors import ApiError
from astral.api.keys import hash_api_key
from athletes.services.changes import athlete_data_changed
from organizations.models import ApiKey, Group, Label, Membership, Organization, Role

UNCHANGED: Any = object()  # an argument not given (None may be a value: no coach)


def organization_changed(organization: Organization) -> None:
    """Every cached answer about the organization (its roster, its athletes' access) is
    replaced, at once and again on commit."""
    cache.invalidate(cache.org_and_members(organization.pk))


def api_key_revoke(*, organization: Organization, key_id: str) -> bool:
    """Revokes a key at once: its cached authentication dies with its token."""
    with transaction.atomic():
        key = (
            ApiKey.objects.select_for_update()
            .filter(organization=organization, public_id=key_id, revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return False
        ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
        cache.invalidate([cache.apikey(key.key_hash)])
    return True


def organization_create(*, name: str, owner: object) -> Organization:
    with transaction.atomic():
        organization = Organization.objects.create(name=name)
        Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
    return organization


def labels_set(*, membership: Membership, names: Iterable[str]) -> None:
    wanted = sorted({n.strip() for n in names if n.strip()})
    existing = {
        label.name: label
        for label in Label.objects.filter(organization=membership.organization, name__in=wanted)
    }
    missing = [
        Label(organization=membership.organization, name=n) for n in wanted if n not in existing
    ]
    if missing:
        Label.objects.bulk_create(missing, ignore_conflicts=True)
    membership.labels.set(
        Label.objects.filter(organization=membership.organization, name__in=wanted)
    )


def api_key_create(
    *, organization: Organization, name: str, created_by: object
) -> tuple[ApiKey, str]:
    """Returns the key row and the raw key, which is shown once and never stored."""
    raw = "ak_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=raw[:10],
        key_hash=hash_api_key(raw),
        created_by=created_by,
    )
    return key, raw


def organization_rename(*, organization: Organization, name: str) -> None:
    organization.name = name
    organization.save(update_fields=["name"])
    organization_changed(organization)


def is_last_owner(membership: Membership) -> bool:
    return (
        membership.role == Role.OWNER
        and not Membership.objects.filter(
            organization_id=membership.organization_id, role=Role.OWNER
        )
        .exclude(pk=membership.pk)
        .exists()
    )


def membership_update(
    *,
    membership: Membership,
    role: str | None = None,
    assigned_coach: Any = UNCHANGED,
    labels: Iterable[str] | None = None,
) -> None:
    """Role, assigned coach and labels of a member; an organization keeps an owner."""
    if role is not None and role != membership.role and is_last_owner(membership):
        raise ApiError("An organization needs at least one owner.", field="role")
    with transaction.atomic():
        if role is not None:
            membership.role = role
        if assigned_coach is not UNCHANGED:
            membership.assigned_coach = assigned_coach
        membership.save()
        if labels is not None:
            labels_set(membership=membership, names=labels)
        organization_changed(membership.organization)
        athlete_data_changed([membership.user_id])


def membership_remove(*, membership: Membership) -> None:
    """The member leaves the organization and its groups; its coaches lose sight at once."""
    if is_last_owner(membership):
        raise ApiError("An organization needs at least one owner.", field="user_id")
    with transaction.atomic():
        Group.members.through.objects.filter(
            group__organization_id=membership.organization_id, user_id=membership.user_id
        ).delete()
        membership.delete()
        organization_changed(membership.organization)
        athlete_data_changed([membership.user_id])


def group_create(*, organization: Organization, name: str) -> Group:
    group = Group.objects.create(organization=organization, name=name)
    organization_changed(organization)
    return group


def group_rename(*, group: Group, name: str) -> None:
    group.name = name
    group.save(update_fields=["name"])
    organization_changed(group.organization)


def group_delete(*, group: Group) -> None:
    with transaction.atomic():
        group.delete()
        organization_changed(group.organization)


def group_members_add(*, group: Group, athletes: Iterable[Any]) -> None:
    with transaction.atomic():
        group.members.add(*athletes)
        organization_changed(group.organization)


def group_member_remove(*, group: Group, athlete: Any) -> None:
    with transaction.atomic():
        group.members.remove(athlete)
        organization_changed(group.organization)
