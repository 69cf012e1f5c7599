"""Who may see which page: the same rules as the API (organizations.access), for
session-authenticated people."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from athletes.models import User
from organizations.access import Caller, can_view_athlete, coached_org_ids
from organizations.models import Organization


def page_caller(request: HttpRequest) -> Caller:
    return Caller(user=request.user)  # type: ignore[arg-type]


def coach_organizations(request: HttpRequest) -> list[Organization]:
    ids = coached_org_ids(page_caller(request))
    return list(Organization.objects.filter(pk__in=ids).order_by("name"))


def current_organization(request: HttpRequest) -> Organization:
    """The organization a coach is looking at: `?org=` when given, else their first."""
    organizations = coach_organizations(request)
    if not organizations:
        raise PermissionDenied("Only coaches can see this page.")
    wanted = request.GET.get("org")
    if wanted:
        for organization in organizations:
            if organization.public_id == wanted:
                return organization
        raise PermissionDenied("You do not coach in this organization.")
    return organizations[0]


def page_athlete(request: HttpRequest, user_id: str) -> User:
    athlete = User.objects.filter(public_id=user_id, is_active=True).first()
    if athlete is None:
        raise Http404("No such athlete.")
    if not can_view_athlete(page_caller(request), athlete):
        raise PermissionDenied("You may not see this athlete.")
    return athlete
