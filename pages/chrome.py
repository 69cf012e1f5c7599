"""What every page shares: who may see it (the same rules as the API, from
`organizations.access`, for session-authenticated people), the sidebar, and the viewer's
units."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, Subquery
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.html import format_html_join

from athletes.models import User
from metrics.formatting import distance_in_units, pace_in_units
from organizations.access import Caller, can_view_athlete, coached_org_ids
from organizations.models import Membership, Organization


def page_caller(request: HttpRequest) -> Caller:
    return Caller(user=request.user)  # type: ignore[arg-type]


def coach_organizations(request: HttpRequest) -> list[Organization]:
    """The clubs the viewer coaches, read once a request (the page, its checks and its menu
    all ask)."""
    known = getattr(request, "_astral_coached", None)
    if known is None:
        ids = coached_org_ids(page_caller(request))
        known = list(Organization.objects.filter(pk__in=ids).order_by("name"))
        request._astral_coached = known  # type: ignore[attr-defined]
    return list(known)


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


# The sports a person picks from (a run's type, a file that names none).
SPORTS = ["run", "trail_run", "treadmill", "walk", "hike", "ride", "swim", "other"]


class Units:
    """Formats meters and paces in the viewer's unit system."""

    def __init__(self, unit_system: str) -> None:
        self.system = unit_system
        self.label = "mi" if unit_system == "imperial" else "km"

    def distance(self, meters: float | None, digits: int = 1) -> str:
        if meters is None:
            return "–"
        value, unit = distance_in_units(meters, self.system)
        return f"{value:.{digits}f} {unit}"

    def elevation(self, meters: float | None) -> str:
        """Climb and altitude: feet for an imperial viewer, meters otherwise."""
        if meters is None:
            return "–"
        if self.system == "imperial":
            return f"{meters / 0.3048:,.0f} ft"
        return f"{meters:,.0f} m"

    def value(self, meters: float | None) -> float:
        return round(distance_in_units(meters or 0.0, self.system)[0], 2)

    def pace(self, seconds: float | None, meters: float | None) -> str:
        if not seconds or not meters:
            return "–"
        return pace_in_units(seconds / (meters / 1000.0), self.system) or "–"


def sidebar(request: HttpRequest) -> dict[str, Any]:
    """The left sidebar: a coach's first hundred athletes by name and how many there are (one
    statement: an index range of the kept roster rows, whatever the club's size), or the
    athlete's own link."""
    from analytics.models import Club, RosterRow  # pages sit above every app

    organizations = coach_organizations(request)
    athletes: list[dict[str, Any]] = []
    if organizations:
        club = Club.objects.filter(kind="org", ref=organizations[0].pk).values("athletes")
        athletes = list(
            RosterRow.objects.filter(organization_id=organizations[0].pk, active=True)
            .order_by("name", "username", "membership_id")
            .annotate(
                public_id=F("user__public_id"),
                display_name=F("name"),
                total=Subquery(club[:1]),
            )
            .values("public_id", "display_name", "username", "total")[:100]
        )
    # Each link from one reversed path (a hundred `{% url %}` tags cost more than the query),
    # the list written here with every name escaped.
    profile = reverse("athlete-profile", args=["usr_0"]).removesuffix("usr_0")
    links = format_html_join(
        "",
        '<li><a href="{}">{}</a></li>',
        ((profile + a["public_id"], a["display_name"] or a["username"]) for a in athletes),
    )
    return {
        "sidebar_links": links,
        "is_coach": bool(organizations),
        # In a club at all (a coach or an athlete): someone in none is offered to start one.
        "in_a_club": bool(organizations)
        or Membership.objects.filter(user_id=request.user.pk).exists(),
        "sidebar_athletes": athletes,
        "sidebar_athlete_count": athletes[0]["total"] if athletes else 0,
        "organizations": organizations,
    }


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Context processor: the menu of every page a signed-in person sees, the same for a
    role on every page (also the ones that never asked for it: invitations, password). Read
    only when a page draws it, so the admin and the API pay nothing."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {"nav": SimpleLazyObject(lambda: sidebar(request))}


FAILED_FORM = "astral_failed_form"


def form_failed(
    request: HttpRequest, form: str, field: str | None, message: str, values: Any
) -> None:
    """A small form that posts and redirects failed: the next page shows `message` beside
    `field` of `form`, moves focus there and fills in every value typed (kept in the session
    for that one page)."""
    request.session[FAILED_FORM] = {
        "form": form,
        "field": field,
        "message": message,
        "values": {k: v for k, v in values.items() if k != "csrfmiddlewaretoken"},
    }


def failed_form(request: HttpRequest) -> dict[str, Any] | None:
    """What `form_failed` left for this page, once."""
    return request.session.pop(FAILED_FORM, None)
