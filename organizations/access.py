"""Who may see whom, decided once (API.md §2) and used by the API, the pages and exports.

An athlete sees themselves. A coach or owner of an organization sees that organization's
athlete members. An organization's API key has a coach's reach over the same athletes.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from astral import cache
from astral.api import prefetch
from astral.api.errors import ApiError
from athletes.models import User
from organizations.models import COACH_ROLES, Membership, Organization, Role


@dataclass(frozen=True)
class Caller:
    """The person or integration behind a request."""

    user: User | None
    organization: Organization | None = None  # set for an API key
    # Cache entries the key's sign-in read in its own round trip (organizations/authentication.py).
    prefetched: Mapping[str, Any] | None = field(default=None, compare=False)

    @property
    def is_api_key(self) -> bool:
        return self.organization is not None

    def cache_identity(self) -> str:
        if self.user is not None:
            return self.user.public_id
        return f"key:{self.organization.public_id if self.organization else 'none'}"


def caller_of(request: Any) -> Caller:
    user = getattr(request, "user", None)
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return Caller(
            user=None,
            organization=api_key.organization,
            prefetched=getattr(user, "prefetched", None),
        )
    if isinstance(user, User) and user.is_authenticated:
        return Caller(user=user)
    raise ApiError("Authentication credentials were not provided.", "NOT_AUTHENTICATED", status=401)


def coached_org_ids(caller: Caller) -> set[int]:
    """Organizations in which the caller has a coach's reach."""
    if caller.organization is not None:
        return {caller.organization.pk}
    if caller.user is None:
        return set()
    return set(
        Membership.objects.filter(user=caller.user, role__in=COACH_ROLES).values_list(
            "organization_id", flat=True
        )
    )


def can_coach(caller: Caller, organization: Organization) -> bool:
    return organization.pk in coached_org_ids(caller)


def can_view_athlete(caller: Caller, athlete: User) -> bool:
    if caller.user is not None and caller.user.pk == athlete.pk:
        return True
    org_ids = coached_org_ids(caller)
    if not org_ids:
        return False
    return Membership.objects.filter(
        user=athlete, role=Role.ATHLETE, organization_id__in=org_ids
    ).exists()


def athletes_visible_to(caller: Caller) -> QuerySet[User]:
    """Every athlete whose data the caller may read, themselves included."""
    org_ids = coached_org_ids(caller)
    queryset = User.objects.filter(
        memberships__organization_id__in=org_ids, memberships__role=Role.ATHLETE
    )
    if caller.user is not None:
        queryset = queryset | User.objects.filter(pk=caller.user.pk)
    return queryset.distinct()


def _coach_org_filter(caller: Caller) -> Q:
    """Memberships in organizations where the caller has a coach's reach (a subquery)."""
    if caller.organization is not None:
        return Q(organization_id=caller.organization.pk)
    coached = Membership.objects.filter(user=caller.user, role__in=COACH_ROLES).values(
        "organization_id"
    )
    return Q(organization_id__in=Subquery(coached))


def resolve_athlete(caller: Caller, user_id: Any, field: str = "user_id") -> User:
    """The athlete a request is about: the caller when omitted, else a checked other user.

    The lookup and the permission check are one query.
    """
    if user_id in (None, ""):
        if caller.user is None:
            raise ApiError("user_id is required when authenticating with an API key.", field=field)
        return caller.user
    if not isinstance(user_id, str) or len(user_id) > 32:
        raise ApiError("user_id must be a user id such as usr_….", field=field)
    if caller.user is not None and caller.user.public_id == user_id:
        return caller.user
    if caller.organization is not None:
        return _resolve_for_key(caller, caller.organization, user_id, field)
    return _resolve_checked(caller, user_id, field)


def _resolve_for_key(caller: Caller, organization: Organization, user_id: str, field: str) -> User:
    """An integration polls the same athletes all day: the answer is cached, valid while
    the organization's members, their roles and their profiles are unchanged (the members
    token). In a big club someone writes a run every minute; that does not make every
    athlete's access be checked again."""
    entry = cache.access_key(organization.pk, user_id)
    lookup = cache.fetch(entry, [cache.members(organization.pk)], known=caller.prefetched)
    if lookup.hit and isinstance(lookup.value, User):
        athlete = lookup.value
    else:
        athlete = _resolve_checked(caller, user_id, field)
        cache.store(entry, lookup.tokens, _kept(athlete), cache.ACCESS_TTL)
    prefetch.remember_athlete(user_id, athlete.pk)
    return athlete


def _kept(athlete: User) -> User:
    """The copy kept in the cache, without the data version: every write changes it and
    none replaces the members token, so the copy reads it from PostgreSQL when asked."""
    kept = copy.copy(athlete)
    del kept.data_version
    return kept


def _resolve_checked(caller: Caller, user_id: str, field: str) -> User:
    visible = Membership.objects.filter(
        _coach_org_filter(caller), user=OuterRef("pk"), role=Role.ATHLETE
    )
    athlete = (
        User.objects.filter(public_id=user_id, is_active=True)
        .annotate(visible_to_caller=Exists(visible))
        .first()
    )
    if athlete is None:
        raise ApiError("No such user.", "NOT_FOUND", field=field, status=404)
    if not athlete.visible_to_caller:
        raise ApiError(
            "You may not see this athlete's data.", "PERMISSION_DENIED", field=field, status=403
        )
    return athlete


def resolve_organization(
    caller: Caller, org_id: Any, *, coach: bool, field: str = "org_id"
) -> Organization:
    """An organization the caller belongs to (as a coach when `coach`), by public id."""
    if not isinstance(org_id, str) or not org_id:
        raise ApiError("org_id is required.", field=field)
    organization = Organization.objects.filter(public_id=org_id).first()
    if organization is None:
        raise ApiError("No such organization.", "NOT_FOUND", field=field, status=404)
    if caller.organization is not None:
        allowed = caller.organization.pk == organization.pk
    elif coach:
        allowed = organization.pk in coached_org_ids(caller)
    else:
        allowed = Membership.objects.filter(user=caller.user, organization=organization).exists()
    if not allowed:
        raise ApiError(
            "You do not have access to this organization.", "PERMISSION_DENIED", status=403
        )
    return organization


def default_coach_org(caller: Caller, org_id: Any, field: str = "org_id") -> Organization:
    """`org_id` when given; else the caller's one coach organization; else 400."""
    if org_id:
        return resolve_organization(caller, org_id, coach=True, field=field)
    if caller.organization is not None:
        return caller.organization
    org_ids = coached_org_ids(caller)
    if not org_ids:
        raise ApiError("Only coaches may see this.", "PERMISSION_DENIED", status=403)
    if len(org_ids) > 1:
        raise ApiError("org_id is required: you coach in several organizations.", field=field)
    return Organization.objects.get(pk=next(iter(org_ids)))


def organization_coach(organization: Organization, user_id: Any, field: str) -> User | None:
    """The coach or owner of the organization with this public id (None when not given);
    a 400 naming `field` when the id is no coach of it."""
    if user_id in (None, ""):
        return None
    coach = User.objects.filter(
        public_id=user_id,
        memberships__organization=organization,
        memberships__role__in=COACH_ROLES,
    ).first()
    if coach is None:
        raise ApiError(f"{field} is not a coach of this organization.", field=field)
    return coach


def organization_athletes(organization: Organization, user_ids: list[str]) -> list[User]:
    """These athletes of the organization, by public id, in the order given (duplicates
    once); an id that is not an athlete of it is a 404 naming `user_ids[i]`."""
    wanted = list(dict.fromkeys(user_ids))
    found = {
        u.public_id: u
        for u in User.objects.filter(
            public_id__in=wanted,
            memberships__organization=organization,
            memberships__role=Role.ATHLETE,
        )
    }
    for index, user_id in enumerate(wanted):
        if user_id not in found:
            raise ApiError(
                f"{user_id} is not an athlete of this organization.",
                "NOT_FOUND",
                field=f"user_ids[{index}]",
                status=404,
            )
    return [found[user_id] for user_id in wanted]
