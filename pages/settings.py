"""Account pages: sign up, settings (profile, units, heart rate, VDOT, zones), export my
data and delete my account. Settings go through the API's own serializer, so a page and
an integration are held to the same rules and the same messages."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from analytics import feeds, records
from api.athletes import serializers as s
from api.athletes.export import export_zip
from astral.api.errors import ApiError
from astral.api.requests import finite_float
from astral.localtime import local_today
from athletes.models import User
from athletes.services import accounts
from metrics.formatting import format_pace, parse_duration
from metrics.units import meters_per_unit
from metrics.vdot import vdot_from_race
from metrics.zones import default_hr_zones, effective_max_hr, effective_pace_zones

RACES = [("5000", "5 km"), ("10000", "10 km"), ("21097.5", "Half marathon"), ("42195", "Marathon")]
TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"})


class SignUpForm(forms.Form):
    display_name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(label="E-mail")
    username = forms.RegexField(
        regex=r"^[\w.@+-]{3,150}$",
        max_length=150,
        error_messages={"invalid": "3 or more letters, digits or . @ + - _"},
    )
    password = forms.CharField(widget=forms.PasswordInput, label="Password")

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(
            password, User(email=self.data.get("email"), username=self.data.get("username"))
        )
        return password


def sign_up(request: HttpRequest) -> HttpResponse:
    """A new account. To join a club, the club invites you (the link signs you up too)."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.user_register(
                email=data["email"],
                username=data["username"],
                password=data["password"],
                display_name=data["display_name"],
            )
        except ApiError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            login(request, user, backend="athletes.backends.EmailOrUsernameBackend")
            messages.success(request, "Welcome to Astral. Set your time zone and units first.")
            return redirect("settings")
    return render(request, "registration/sign_up.html", {"form": form})


def _zones_text(values: list[int] | None, pace: bool, units: str = "metric") -> str:
    """Zones as the form shows them: bpm, or paces per km or per mile (the viewer's unit)."""
    if not values:
        return ""
    per = meters_per_unit(units) / 1000
    return ", ".join(format_pace(v * per) or "" if pace else str(v) for v in values)


def _parse_zones(
    text: str, pace: bool, units: str = "metric", stored: list[int] | None = None
) -> list[int] | None:
    """The form's zones as stored (bpm, seconds per km); text left as shown keeps the stored
    values exactly (a pace per mile rounds to the second, back and forth)."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        return None
    if stored and text.strip() == _zones_text(stored, pace, units):
        return list(stored)
    per = meters_per_unit(units) / 1000
    try:
        return [round(parse_duration(part) / per) if pace else int(part) for part in parts]
    except ValueError:
        raise ApiError(
            f"Write each boundary as minutes:seconds per {'mile' if units == 'imperial' else 'km'}"
            ", separated by commas, for example 4:55, 4:25, 4:05, 3:50."
            if pace
            else "Write each upper bound in bpm, separated by commas, for example 120, 140, 155, "
            "170, 185.",
            field="pace_zones" if pace else "hr_zones",
        ) from None


FIELDS = ("display_name", "profile_image_url", "timezone", "unit_system", "max_hr", "resting_hr")


def _changes(post: Any, user: User) -> dict[str, Any]:
    """The form's values as the API's PATCH body (empty numbers clear the value)."""
    changes: dict[str, Any] = {name: post.get(name, "").strip() for name in FIELDS}
    for name in ("max_hr", "resting_hr"):
        changes[name] = changes[name] or None
    changes["vdot"] = post.get("use_estimate", "").strip() or post.get("vdot", "").strip() or None
    race_time = post.get("race_time", "").strip()
    if race_time:
        try:
            seconds = parse_duration(race_time)
            distance = finite_float(post.get("race_distance", "5000"))
        except ValueError:
            raise ApiError("Write the race time as H:MM:SS or M:SS.", field="race_time") from None
        if seconds <= 0:
            raise ApiError("The race time must be positive.", field="race_time")
        changes["vdot"] = round(vdot_from_race(distance, seconds), 1)
    changes["pace_zones"] = _parse_zones(
        post.get("pace_zones", ""), pace=True, units=user.units, stored=user.pace_zones
    )
    changes["hr_zones"] = _parse_zones(post.get("hr_zones", ""), pace=False)
    return changes


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            changes = _changes(request.POST, user)
            serializer = s.UserUpdateSerializer(data=changes)
            if not serializer.is_valid():
                errors = {k: " ".join(str(m) for m in v) for k, v in serializer.errors.items()}
            else:
                accounts.user_update(user=user, changes=dict(serializer.validated_data))
                messages.success(request, "Settings saved.")
                return redirect("settings")
        except ApiError as error:
            errors = {error.field or "form": error.message}
    max_hr = effective_max_hr(user.max_hr, user.birth_date, local_today(user.tz))
    context = {
        "errors": errors,
        "values": request.POST if errors else None,
        "time_zones": TIME_ZONES,
        "races": RACES,
        "pace_zones_text": _zones_text(user.pace_zones, pace=True, units=user.units),
        "pace_unit": "mile" if user.units == "imperial" else "km",
        "hr_zones_text": _zones_text(user.hr_zones, pace=False),
        "derived_pace": _zones_text(
            effective_pace_zones(None, user.vdot), pace=True, units=user.units
        ),
        "derived_hr": _zones_text(default_hr_zones(max_hr), pace=False),
        "vdot_estimate": records.cached_personal_records(user, today=local_today(user.tz))[
            "vdot_estimate"
        ],
        "feed_url": request.build_absolute_uri(
            reverse("calendar-feed", args=[feeds.calendar_token(user)])
        ),
    }
    return render(request, "athletes/settings.html", context)


@login_required
@require_POST
def calendar_feed_reset(request: HttpRequest) -> HttpResponse:
    feeds.calendar_token(request.user, reset=True)  # type: ignore[arg-type]
    messages.success(request, "New calendar address made: subscribe to it again on your phone.")
    return redirect("settings")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed, for whoever holds the secret address (a phone has no session)."""
    athlete = (
        User.objects.filter(calendar_token=token, is_active=True).exclude(calendar_token="").first()
    )
    if athlete is None:
        raise Http404("No such calendar.")
    response = HttpResponse(feeds.ical_feed(athlete), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="astral.ics"'
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
def export_page(request: HttpRequest) -> HttpResponse:
    """Everything of mine, as the API's export (a zip of JSON and CSV)."""
    user: User = request.user  # type: ignore[assignment]
    response = HttpResponse(export_zip(user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="astral-{user.username}.zip"'
    return response


@login_required
def delete_account(request: HttpRequest) -> HttpResponse:
    """The password confirms it; everything of the person goes, and their coaches lose sight
    of them at once."""
    if request.method == "POST":
        user: User = request.user  # type: ignore[assignment]
        if user.check_password(request.POST.get("password", "")):
            try:
                accounts.user_delete(user=user)
            except ApiError as refused:  # the only owner of a club with members
                messages.error(request, refused.message)
                return redirect("settings")
            logout(request)
            messages.success(request, "Your account and all your data were deleted.")
            return redirect("login")
        messages.error(request, "That password is not correct; nothing was deleted.")
    return redirect("settings")
