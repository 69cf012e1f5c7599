"""Writes to organizations; each replaces the organization's cache token (astral.cache)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from astral import cache
from astral.api.keys import hash_api_key
from organizations.models import ApiKey, Label, Membership, Organization, Role


def organization_changed(organization: Organization) -> None:
    """Every cached answer about the organization (its roster, its athletes' access) is
    replaced, at once and again on commit."""
    cache.invalidate([cache.org(organization.pk)])


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
