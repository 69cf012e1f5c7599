"""Every endpoint and page, every kind of caller, the exact status each must get.

A route (and, for the API, each of its methods) that has no row here fails
`test_every_route_has_a_row`, so a new endpoint cannot ship without deciding who sees it.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from athletes.models import (
    Activity,
    ActivityComment,
    ActivityFile,
    Goal,
    ImportBatch,
    Plan,
    PlanInstance,
)
from organizations.models import ApiKey, Group
from tests.conftest import ACTIVITY_FILES, Api, bearer
from tests.factories import make_activity, make_api_key, make_user

pytestmark = pytest.mark.django_db

API_CALLERS = (
    "anonymous",
    "expired_token",
    "revoked_key",
    "alice",
    "bob",
    "cora",
    "olga",
    "key",
    "other_key",
)
PAGE_CALLERS = ("anonymous", "alice", "bob", "cora", "olga")


def only(allowed: dict[str, int], default: int) -> dict[str, int]:
    """Statuses for the signed-in and key callers: `allowed`, everyone else `default`."""
    return {
        c: allowed.get(c, default) for c in ("alice", "bob", "cora", "olga", "key", "other_key")
    }


def alice_visible(ok: int = 200) -> dict[str, int]:
    # Alice herself, a coach of her organization and its key; not Bob, Olga or Hilltop's key.
    return only({"alice": ok, "cora": ok, "key": ok}, 403)


def coach_only(ok: int = 200) -> dict[str, int]:
    return only({"cora": ok, "key": ok}, 403)


def people_only(ok: int = 200) -> dict[str, int]:
    return only({"alice": ok, "bob": ok, "cora": ok, "olga": ok}, 403)


def everyone(status: int) -> dict[str, int]:
    return only({}, status)


@dataclass
class Row:
    method: str
    route: str
    url: Callable[[Any, str], str] | str
    expect: dict[str, int]
    body: Callable[[Any, str], Any] | Any = None
    public: bool = False  # no authentication: bad credentials are ignored
    multipart: bool = False
    anonymous: int = 401  # what a caller with no credentials gets


def U(template: str) -> Callable[[Any, str], str]:
    return lambda w, caller: template.format(**w)


def fresh_activity(w: Any, caller: str) -> str:
    activity = make_activity(
        w["alice_obj"], datetime.now(UTC) - timedelta(days=50, hours=len(caller))
    )
    return f"/api/v1/activities/{activity.public_id}"


def import_body(w: Any, caller: str) -> dict[str, Any]:
    """A zip of one activity, for Alice (each caller's run a day apart: none a duplicate)."""
    content = (ACTIVITY_FILES / "tcxparser_test_run.tcx").read_text()
    moved = content.replace("2012-12-26", f"2012-12-{1 + API_CALLERS.index(caller):02d}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("activities/run.tcx", moved)
    buffer.seek(0)
    buffer.name = "export.zip"
    return {"file": buffer, "user_id": w["alice"]}


def own_comment(w: Any, caller: str) -> str:
    """A comment under Alice's run written by the caller (by Alice for a key or a stranger)."""
    activity = w["activity_obj"]
    author = w["people"].get(caller, w["alice_obj"])
    comment = ActivityComment.objects.create(activity=activity, author=author, text="hi")
    return f"/api/v1/activities/{activity.public_id}/comments/{comment.pk}"


def fresh_goal(w: Any, caller: str) -> str:
    goal = Goal.objects.create(
        user=w["alice_obj"], race_name="10K", race_date="2027-01-01", distance=10000
    )
    return f"/api/v1/goals/{goal.public_id}"


def fresh_group(w: Any, caller: str) -> str:
    group = Group.objects.create(organization=w["riverside_obj"], name=f"tmp-{caller}")
    return f"/api/v1/groups/{group.public_id}"


def bob_in_group(w: Any, caller: str) -> str:
    w["group_obj"].members.add(w["bob_obj"])
    return f"/api/v1/groups/{w['group']}/members/{w['bob']}"


def run_body(w: Any, caller: str) -> dict[str, Any]:
    offset = API_CALLERS.index(caller)
    start = (datetime.now(UTC) - timedelta(days=20 + offset)).isoformat()
    return {"user_id": w["alice"], "start_time": start, "distance": 5000, "duration": 1500}


UPLOAD_FILES = {
    "alice": "fitparse_garmin-fenix-5-run.fit",
    "cora": "tcxparser_test_run.tcx",
    "key": "togeojson_run_gpxtpx.gpx",
}


def upload_body(w: Any, caller: str) -> dict[str, Any]:
    name = UPLOAD_FILES.get(caller, "fitparse_garmin-fenix-5-run.fit")
    handle = io.BytesIO((ACTIVITY_FILES / name).read_bytes())
    handle.name = name
    return {"file": handle, "user_id": w["alice"]}


A = "/api/v1/"
ROWS: list[Row] = [
    # Auth (public: the body decides, not the caller)
    Row("post", "api/v1/auth/register", A + "auth/register", everyone(400), {}, public=True),
    Row(
        "post",
        "api/v1/auth/token",
        A + "auth/token",
        everyone(401),
        {"username": "alice", "password": "wrong"},
        public=True,
    ),
    Row(
        "post",
        "api/v1/auth/token/refresh",
        A + "auth/token/refresh",
        everyone(401),
        {"refresh": "garbage"},
        public=True,
    ),
    Row(
        "post",
        "api/v1/auth/verify_email/request",
        A + "auth/verify_email/request",
        everyone(400),
        {"email": "nope"},
        public=True,
    ),
    Row(
        "post",
        "api/v1/auth/verify_email/confirm",
        A + "auth/verify_email/confirm",
        everyone(400),
        {"token": "nope"},
        public=True,
    ),
    Row("post", "api/v1/auth/logout", A + "auth/logout", everyone(401), {"refresh": "garbage"}),
    Row(
        "post",
        "api/v1/auth/password",
        A + "auth/password",
        people_only(400),  # the current password is wrong; an API key has no password
        {"current_password": "not-it", "new_password": "a-long-new-passphrase"},
    ),
    Row(
        "post",
        "api/v1/auth/password/reset",
        A + "auth/password/reset",
        everyone(400),
        {"email": "not-an-address"},
        public=True,
    ),
    Row(
        "post",
        "api/v1/auth/password/reset/confirm",
        A + "auth/password/reset/confirm",
        everyone(400),
        {"uid": "MQ", "token": "nope", "new_password": "a-long-new-passphrase"},
        public=True,
    ),
    # A key reads itself and its organization (API.md §5).
    Row(
        "get",
        "api/v1/auth/me",
        A + "auth/me",
        only({**people_only(), "key": 200, "other_key": 200}, 403),
    ),
    # Users
    Row("get", "api/v1/users/me", A + "users/me", people_only()),
    Row("patch", "api/v1/users/me", A + "users/me", people_only(), {"unit_system": "metric"}),
    Row("delete", "api/v1/users/me", A + "users/me", people_only(400), {"password": "not-it"}),
    Row("get", "api/v1/users/me/export", A + "users/me/export", people_only()),
    # Everyone reads the changes of what they may read (API.md §5).
    Row(
        "get",
        "api/v1/changes",
        A + "changes",
        only({**people_only(), "key": 200, "other_key": 200}, 403),
    ),
    Row("get", "api/v1/users/me/integrations", A + "users/me/integrations", people_only()),
    Row(
        "put",
        "api/v1/users/me/integrations/<str:provider>",
        A + "users/me/integrations/strava",
        people_only(),
        {},
    ),
    Row(
        "delete",
        "api/v1/users/me/integrations/<str:provider>",
        A + "users/me/integrations/strava",
        people_only(),
    ),
    Row("get", "api/v1/users/<str:user_id>", U(A + "users/{alice}"), alice_visible()),
    # Activities
    Row("get", "api/v1/activities", U(A + "activities?user_id={alice}"), alice_visible()),
    Row("post", "api/v1/activities", A + "activities", alice_visible(201), run_body),
    Row(
        "put",
        "api/v1/activities/by_external_id/<str:source>/<str:external_id>",
        lambda w, caller: f"/api/v1/activities/by_external_id/api/matrix-{caller}",
        alice_visible(201),
        run_body,
    ),
    Row(
        "post",
        "api/v1/activities/upload",
        A + "activities/upload",
        alice_visible(201),
        upload_body,
        multipart=True,
    ),
    Row(
        "get",
        "api/v1/activities/<str:activity_id>",
        U(A + "activities/{activity}"),
        alice_visible(),
    ),
    Row(
        "post",
        "api/v1/activities/import",
        A + "activities/import",
        alice_visible(202),
        import_body,
        multipart=True,
    ),
    Row("get", "api/v1/imports/<str:import_id>", U(A + "imports/{import}"), alice_visible()),
    Row(
        "patch",
        "api/v1/activities/<str:activity_id>",
        U(A + "activities/{activity}"),
        alice_visible(),
        {"name": "Renamed"},
    ),
    Row("delete", "api/v1/activities/<str:activity_id>", fresh_activity, alice_visible()),
    Row(
        "get",
        "api/v1/activities/<str:activity_id>/file",
        U(A + "activities/{activity}/file"),
        alice_visible(),
    ),
    Row(
        "get",
        "api/v1/activities/<str:activity_id>/comments",
        U(A + "activities/{activity}/comments"),
        alice_visible(),
    ),
    # A comment has a person for its author: an API key may read the thread, not write in it.
    Row(
        "post",
        "api/v1/activities/<str:activity_id>/comments",
        U(A + "activities/{activity}/comments"),
        only({"alice": 201, "cora": 201}, 403),
        {"text": "Nice run"},
    ),
    Row(
        "delete",
        "api/v1/activities/<str:activity_id>/comments/<int:comment_id>",
        own_comment,
        only({"alice": 200, "cora": 200}, 403),
    ),
    # Health metrics
    Row(
        "post",
        "api/v1/health_metrics",
        A + "health_metrics",
        alice_visible(201),
        lambda w, c: {"user_id": w["alice"], "date": "2026-11-01", "hrv": 60},
    ),
    Row("get", "api/v1/health_metrics", U(A + "health_metrics?user_id={alice}"), alice_visible()),
    # Goals
    Row("get", "api/v1/goals", U(A + "goals?user_id={alice}"), alice_visible()),
    Row(
        "post",
        "api/v1/goals",
        A + "goals",
        alice_visible(201),
        lambda w, c: {
            "user_id": w["alice"],
            "race_name": "5K",
            "race_date": "2027-03-01",
            "distance": 5000,
        },
    ),
    Row("get", "api/v1/goals/<str:goal_id>", U(A + "goals/{goal}"), alice_visible()),
    Row(
        "patch",
        "api/v1/goals/<str:goal_id>",
        U(A + "goals/{goal}"),
        alice_visible(),
        {"race_name": "Renamed"},
    ),
    Row("delete", "api/v1/goals/<str:goal_id>", fresh_goal, alice_visible()),
    # Plans
    Row("get", "api/v1/plans", U(A + "plans?org_id={riverside}"), coach_only()),
    Row(
        "post",
        "api/v1/plans",
        A + "plans",
        coach_only(201),
        lambda w, c: {"name": "P", "org_id": w["riverside"], "total_weeks": 2},
    ),
    Row("get", "api/v1/plans/<str:plan_id>", U(A + "plans/{plan}"), coach_only()),
    Row(
        "post",
        "api/v1/plans/<str:plan_id>/assign",
        U(A + "plans/{plan}/assign"),
        coach_only(201),
        lambda w, c: {"user_ids": [w["alice"]], "start_date": "2026-11-02"},
    ),
    Row("get", "api/v1/plan_instances", U(A + "plan_instances?user_id={alice}"), alice_visible()),
    Row(
        "get",
        "api/v1/plan_instances/<str:instance_id>",
        U(A + "plan_instances/{instance}"),
        alice_visible(),
    ),
    Row(
        "patch",
        "api/v1/plan_instances/<str:instance_id>",
        U(A + "plan_instances/{instance}"),
        alice_visible(),
        {"status": "active"},
    ),
    # Organizations
    Row("get", "api/v1/organizations", A + "organizations", people_only()),
    Row(
        "post", "api/v1/organizations", A + "organizations", people_only(201), {"name": "New club"}
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>",
        U(A + "organizations/{riverside}"),
        only({"alice": 200, "bob": 200, "cora": 200, "key": 200}, 403),
    ),
    Row(
        "patch",
        "api/v1/organizations/<str:org_id>",
        U(A + "organizations/{riverside}"),
        only({"cora": 200}, 403),
        {"name": "Riverside RC"},
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/members",
        U(A + "organizations/{riverside}/members"),
        coach_only(),
    ),
    Row(
        "post",
        "api/v1/organizations/<str:org_id>/members",
        U(A + "organizations/{riverside}/members"),
        coach_only(201),  # an invitation (the same answer for any address)
        {"email": "ghost@example.com"},
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/invitations",
        U(A + "organizations/{riverside}/invitations"),
        coach_only(),
    ),
    Row(
        "delete",
        "api/v1/organizations/<str:org_id>/invitations/<str:invitation_id>",
        U(A + "organizations/{riverside}/invitations/inv_nope000000000000"),
        coach_only(404),
    ),
    Row(
        "post",
        "api/v1/organizations/<str:org_id>/invitations/<str:invitation_id>/resend",
        U(A + "organizations/{riverside}/invitations/inv_nope000000000000/resend"),
        coach_only(404),
    ),
    Row("get", "api/v1/invitations", A + "invitations", people_only()),
    *[
        Row(
            "post",
            f"api/v1/invitations/<str:invitation_id>/{answer}",
            A + f"invitations/inv_nope000000000000/{answer}",
            people_only(404),  # an API key never answers an invitation
        )
        for answer in ("accept", "decline")
    ],
    Row(
        "patch",
        "api/v1/organizations/<str:org_id>/members/<str:user_id>",
        U(A + "organizations/{riverside}/members/{bob}"),
        coach_only(),
        {"labels": ["x"]},
    ),
    Row(
        "delete",
        "api/v1/organizations/<str:org_id>/members/<str:user_id>",
        U(A + "organizations/{riverside}/members/usr_nobody0000000000"),
        coach_only(404),
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/labels",
        U(A + "organizations/{riverside}/labels"),
        coach_only(),
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/groups",
        U(A + "organizations/{riverside}/groups"),
        coach_only(),
    ),
    Row(
        "post",
        "api/v1/organizations/<str:org_id>/groups",
        U(A + "organizations/{riverside}/groups"),
        coach_only(201),
        {"name": "G"},
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/api_keys",
        U(A + "organizations/{riverside}/api_keys"),
        only({"cora": 200}, 403),
    ),
    Row(
        "post",
        "api/v1/organizations/<str:org_id>/api_keys",
        U(A + "organizations/{riverside}/api_keys"),
        only({"cora": 201}, 403),
        {"name": "k"},
    ),
    Row(
        "delete",
        "api/v1/organizations/<str:org_id>/api_keys/<str:key_id>",
        U(A + "organizations/{riverside}/api_keys/key_nope000000000000"),
        only({"cora": 404}, 403),
    ),
    # Webhooks: the club's owner, or the club's own key (API.md §5).
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/webhooks",
        U(A + "organizations/{riverside}/webhooks"),
        only({"cora": 200, "key": 200}, 403),
    ),
    Row(
        "post",
        "api/v1/organizations/<str:org_id>/webhooks",
        U(A + "organizations/{riverside}/webhooks"),
        only({"cora": 201, "key": 201}, 403),
        {"url": "https://hooks.example.com/astral"},
    ),
    Row(
        "delete",
        "api/v1/organizations/<str:org_id>/webhooks/<str:webhook_id>",
        U(A + "organizations/{riverside}/webhooks/whk_nope000000000000"),
        only({"cora": 404, "key": 404}, 403),
    ),
    Row(
        "get",
        "api/v1/organizations/<str:org_id>/webhooks/<str:webhook_id>/deliveries",
        U(A + "organizations/{riverside}/webhooks/whk_nope000000000000/deliveries"),
        only({"cora": 404, "key": 404}, 403),
    ),
    Row("get", "api/v1/groups/<str:group_id>", U(A + "groups/{group}"), coach_only()),
    Row(
        "patch",
        "api/v1/groups/<str:group_id>",
        U(A + "groups/{group}"),
        coach_only(),
        {"name": "Sprinters"},
    ),
    Row("delete", "api/v1/groups/<str:group_id>", fresh_group, coach_only()),
    Row(
        "post",
        "api/v1/groups/<str:group_id>/members",
        U(A + "groups/{group}/members"),
        coach_only(),
        lambda w, c: {"user_ids": [w["alice"]]},
    ),
    Row("delete", "api/v1/groups/<str:group_id>/members/<str:user_id>", bob_in_group, coach_only()),
    # Analytics
    *[
        Row(
            "get",
            f"api/v1/analytics/{name}",
            U(A + f"analytics/{name}?user_id={{alice}}{query}"),
            alice_visible(),
        )
        for name, query in [
            ("fitness_stats", ""),
            ("activity_stats", "&from=2026-11-01&to=2026-11-10"),
            ("health_metrics", "&from=2026-11-01&to=2026-11-10"),
            (
                "running_stats",
                "&from_timestamp=1762000000&to_timestamp=1762600000&range_type=daily",
            ),
            ("user_metrics_charts", ""),
            ("user_metrics_summary", ""),
            ("athlete_profile", ""),
            ("personal_records", ""),
            ("pace_curve", "&days=30"),
            ("calendar", "&from=2026-11-02&to=2026-11-29"),
        ]
    ],
    # The FIT workout file: the calendar's permissions; no workout planned that day is 404.
    Row(
        "get",
        "api/v1/analytics/calendar/workout.fit",
        U(A + "analytics/calendar/workout.fit?user_id={alice}&date=2026-11-03"),
        only({"alice": 404, "cora": 404, "key": 404}, 403),
    ),
    Row(
        "post",
        "api/v1/analytics/running_streaks",
        A + "analytics/running_streaks",
        alice_visible(),
        lambda w, c: {"user_id": w["alice"]},
    ),
    *[
        Row(
            "get",
            f"api/v1/analytics/{name}",
            U(A + f"analytics/{name}?org_id={{riverside}}"),
            coach_only(),
        )
        for name in (
            "coach_athletes_metrics",
            "group_overview",
            "group_comparison",
            "plans_overview",
        )
    ],
    Row(
        "get",
        "api/v1/analytics/group_stats",
        U(A + "analytics/group_stats?group_id={group}"),
        coach_only(),
    ),
    # The schema is public, but bad credentials are still refused.
    Row("get", "api/v1/schema", A + "schema", everyone(200), anonymous=200),
]

PAGES: list[tuple[str, str, Callable[[Any, str], str] | str, dict[str, int]]] = [
    ("get", "", "/", {"alice": 302, "bob": 302, "cora": 302, "olga": 302}),
    (
        "get",
        "login",
        "/login",
        {"anonymous": 200, "alice": 302, "bob": 302, "cora": 302, "olga": 302},
    ),
    ("get", "athletes", "/athletes", {"alice": 403, "bob": 403, "cora": 200, "olga": 200}),
    (
        "get",
        "athletes/export.csv",
        "/athletes/export.csv",
        {"alice": 403, "bob": 403, "cora": 200, "olga": 200},
    ),
    (
        "get",
        "athletes/<str:user_id>",
        U("/athletes/{alice}"),
        {"alice": 200, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "get",
        "athletes/<str:user_id>/activities.csv",
        U("/athletes/{alice}/activities.csv"),
        {"alice": 200, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "post",
        "athletes/<str:user_id>/upload",
        U("/athletes/{alice}/upload"),
        {"alice": 302, "bob": 403, "cora": 302, "olga": 403},
    ),
    ("get", "analytics", "/analytics", {"alice": 403, "bob": 403, "cora": 200, "olga": 200}),
    (
        "get",
        "analytics/groups/<str:group_id>",
        U("/analytics/groups/{group}"),
        {"alice": 403, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "post",
        "logout",
        "/logout",
        {"anonymous": 302, "alice": 302, "bob": 302, "cora": 302, "olga": 302},
    ),
    ("get", "healthz", "/healthz", {c: 200 for c in PAGE_CALLERS}),
    (
        "get",
        "settings/password",
        "/settings/password",
        {"alice": 200, "bob": 200, "cora": 200, "olga": 200},
    ),
    (
        "get",
        "settings/password/done",
        "/settings/password/done",
        {"alice": 200, "bob": 200, "cora": 200, "olga": 200},
    ),
    *[
        (
            "get",
            route,
            "/" + route.replace("<uidb64>/<token>", "MQ/nope"),
            dict.fromkeys(PAGE_CALLERS, 200),
        )
        for route in (
            "password/reset",
            "password/reset/sent",
            "password/reset/<uidb64>/<token>",
            "password/reset/done",
        )
    ],
    ("get", "invitations", "/invitations", {"alice": 200, "bob": 200, "cora": 200, "olga": 200}),
    # Someone who coaches no club gets the form to start one.
    ("get", "club", "/club", {"alice": 200, "bob": 200, "cora": 200, "olga": 200}),
    ("get", "club/plans", "/club/plans", {"alice": 403, "bob": 403, "cora": 200, "olga": 200}),
    (
        "get",
        "club/plans/<str:plan_id>",
        U("/club/plans/{plan}"),
        {"alice": 403, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "get",
        "activities/<str:activity_id>",
        U("/activities/{activity}"),
        {"alice": 200, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "get",
        "athletes/<str:user_id>/activities",
        U("/athletes/{alice}/activities"),
        {"alice": 200, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "get",
        "activities/<str:activity_id>/file",
        U("/activities/{activity}/file"),
        {"alice": 200, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "post",
        "activities/<str:activity_id>/edit",
        U("/activities/{activity}/edit"),
        {"alice": 302, "bob": 403, "cora": 403, "olga": 403},  # the athlete's own runs only
    ),
    (
        "post",
        "activities/<str:activity_id>/comments",
        U("/activities/{activity}/comments"),
        {"alice": 302, "bob": 403, "cora": 302, "olga": 403},
    ),
    (
        "get",
        "athletes/<str:user_id>/calendar",
        U("/athletes/{alice}/calendar"),
        {"alice": 200, "bob": 403, "cora": 200, "olga": 403},
    ),
    (
        "get",
        "athletes/<str:user_id>/calendar/workout.fit",
        U("/athletes/{alice}/calendar/workout.fit?date=2026-11-03"),
        {"alice": 404, "bob": 403, "cora": 404, "olga": 403},
    ),
    # The feed is for whoever holds its secret address: an unknown one is 404 to anyone.
    (
        "get",
        "calendar/<str:token>.ics",
        "/calendar/not-a-token.ics",
        {c: 404 for c in PAGE_CALLERS},
    ),
    (
        "post",
        "settings/calendar-feed",
        "/settings/calendar-feed",
        {"alice": 302, "bob": 302, "cora": 302, "olga": 302},
    ),
    # Only the athlete's coaches change their planned days.
    (
        "post",
        "athletes/<str:user_id>/calendar/workouts",
        U("/athletes/{alice}/calendar/workouts"),
        {"alice": 403, "bob": 403, "cora": 302, "olga": 403},
    ),
    (
        "post",
        "athletes/<str:user_id>/goal",
        U("/athletes/{alice}/goal"),
        {"alice": 302, "bob": 403, "cora": 302, "olga": 403},
    ),
    (
        "get",
        "signup",
        "/signup",
        {"anonymous": 200, "alice": 302, "bob": 302, "cora": 302, "olga": 302},
    ),
    ("get", "settings", "/settings", {"alice": 200, "bob": 200, "cora": 200, "olga": 200}),
    (
        "get",
        "settings/export",
        "/settings/export",
        {"alice": 200, "bob": 200, "cora": 200, "olga": 200},
    ),
    (
        "get",
        "settings/delete",
        "/settings/delete",
        {"alice": 302, "bob": 302, "cora": 302, "olga": 302},
    ),
    # Only an owner holds API keys (Olga coaches Hilltop, she does not own it).
    ("post", "club/keys", "/club/keys", {"alice": 403, "bob": 403, "cora": 302, "olga": 403}),
    (
        "get",
        "invitations/<str:token>",
        "/invitations/not-a-real-token",
        {c: 410 for c in PAGE_CALLERS},
    ),
    (
        "get",
        "api/docs",
        "/api/docs",
        {"anonymous": 200, "alice": 200, "bob": 200, "cora": 200, "olga": 200},
    ),
]


def with_file(activity: Activity) -> Activity:
    """The run as if uploaded: its original file kept."""
    ActivityFile.objects.create(
        activity=activity, filename="run.gpx", kind=".gpx", size=6, data=gzip.compress(b"<gpx/>")
    )
    return activity


@pytest.fixture
def world(cast):
    group = Group.objects.create(organization=cast.riverside, name="Sprinters")
    group.members.add(cast.alice)
    activity = with_file(make_activity(cast.alice, datetime.now(UTC) - timedelta(days=3)))
    goal = Goal.objects.create(
        user=cast.alice, race_name="Marathon", race_date="2027-04-19", distance=42195
    )
    plan = Plan.objects.create(organization=cast.riverside, name="Base", total_weeks=4)
    instance = PlanInstance.objects.create(plan=plan, user=cast.alice, start_date="2026-11-02")
    revoked = make_api_key(cast.riverside)
    ApiKey.objects.filter(prefix=revoked[:10]).update(revoked_at=timezone.now())
    expired = AccessToken.for_user(cast.alice)
    expired.set_exp(lifetime=-timedelta(minutes=1))
    return {
        "alice": cast.alice.public_id,
        "bob": cast.bob.public_id,
        "riverside": cast.riverside.public_id,
        "group": group.public_id,
        "activity": activity.public_id,
        "goal": goal.public_id,
        "plan": plan.public_id,
        "instance": instance.public_id,
        "import": ImportBatch.objects.create(user=cast.alice, total=0).public_id,
        "alice_obj": cast.alice,
        "activity_obj": activity,
        "bob_obj": cast.bob,
        "riverside_obj": cast.riverside,
        "group_obj": group,
        "headers": {
            "anonymous": {},
            "expired_token": {"Authorization": f"Bearer {expired}"},
            "revoked_key": {"X-API-Key": revoked},
            "alice": bearer(cast.alice),
            "bob": bearer(cast.bob),
            "cora": bearer(cast.cora),
            "olga": bearer(cast.olga),
            "key": {"X-API-Key": cast.riverside_key},
            "other_key": {"X-API-Key": cast.hilltop_key},
        },
        "people": {"alice": cast.alice, "bob": cast.bob, "cora": cast.cora, "olga": cast.olga},
    }


def _routes() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                found.append((prefix + str(pattern.pattern), pattern.callback))

    walk(get_resolver().url_patterns, "")
    return [(route, view) for route, view in found if not route.startswith(("admin/", "static/"))]


def test_every_route_has_a_row():
    api_rows = {(r.method, r.route) for r in ROWS}
    page_rows = {route for _, route, _, _ in PAGES}
    missing = []
    for route, view in _routes():
        view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
        if route.startswith("api/v1/") and view_class is not None:
            methods = [
                m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)
            ]
            missing += [f"{m.upper()} {route}" for m in methods if (m, route) not in api_rows]
        elif route not in page_rows:
            missing.append(route)
    assert not missing, f"routes without a row in the permission matrix: {missing}"


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method.upper()} {r.route}" for r in ROWS])
def test_api_permission_matrix(world, row):
    expected = {"anonymous": row.anonymous, "expired_token": 401, "revoked_key": 401, **row.expect}
    if row.public:
        expected.update(
            {c: row.expect["alice"] for c in ("anonymous", "expired_token", "revoked_key")}
        )
    got = {}
    for caller in API_CALLERS:
        url = row.url(world, caller) if callable(row.url) else row.url
        body = row.body(world, caller) if callable(row.body) else row.body
        api = Api(world["headers"][caller])
        kwargs = {"format": "multipart"} if row.multipart else {}
        if row.method in ("get", "delete"):
            response = (
                getattr(api.client, row.method)(url, data=body, format="json", headers=api.headers)
                if body
                else getattr(api, row.method)(url)
            )
        else:
            response = getattr(api, row.method)(url, body, **kwargs)
        got[caller] = response.status_code
        if response.status_code >= 400:
            error = response.json()
            assert set(error) == {"error", "details"}, (caller, url, error)
    assert got == expected


@pytest.mark.parametrize(
    ("method", "route", "url", "expect"), PAGES, ids=[f"{p[0].upper()} /{p[1]}" for p in PAGES]
)
def test_page_permission_matrix(world, method, route, url, expect):
    expected = {"anonymous": 302, **expect}
    got = {}
    for caller in PAGE_CALLERS:
        client = Client()
        if caller != "anonymous":
            client.force_login(world["people"][caller])
        path = url(world, caller) if callable(url) else url
        answer = getattr(client, method)(path)
        got[caller] = answer.status_code
        if answer.status_code == 200 and answer["Content-Type"].startswith("text/html"):
            # The tab's name is words: a page's title block once swallowed its plan form.
            title = re.search(r"<title>(.*?)</title>", answer.content.decode(), re.S)
            assert title and "<" not in title.group(1) and len(title.group(1)) < 120, path
    assert got == expected


@pytest.fixture
def invited_world(world, cast):
    """Ivy is invited to Riverside (with a group, a coach and labels) and has not accepted:
    every per-athlete route must treat her as a stranger to Riverside."""
    from organizations.invitations import invitation_create

    ivy = make_user("ivy")
    invitation_create(
        organization=cast.riverside,
        email=ivy.email,
        role="athlete",
        assigned_coach=cast.cora,
        labels=["new"],
        groups=[world["group_obj"]],
        invited_by=cast.cora,
        api_key=None,
        base_url="http://testserver/",
    )
    plan = Plan.objects.get(public_id=world["plan"])
    return {
        **world,
        "alice": ivy.public_id,
        "alice_obj": ivy,
        "activity": with_file(make_activity(ivy, datetime.now(UTC) - timedelta(days=2))).public_id,
        "goal": Goal.objects.create(
            user=ivy, race_name="10K", race_date="2027-05-01", distance=10000
        ).public_id,
        "instance": PlanInstance.objects.create(
            plan=plan, user=ivy, start_date="2026-11-02"
        ).public_id,
        "import": ImportBatch.objects.create(user=ivy, total=0).public_id,
    }


PER_ATHLETE_ROWS = [r for r in ROWS if r.expect == alice_visible(r.expect["alice"])]


@pytest.mark.parametrize(
    "row", PER_ATHLETE_ROWS, ids=[f"{r.method.upper()} {r.route}" for r in PER_ATHLETE_ROWS]
)
def test_an_invited_athlete_is_out_of_the_club_s_reach_until_they_accept(invited_world, row):
    got = {}
    for caller in ("cora", "key", "alice"):
        url = row.url(invited_world, caller) if callable(row.url) else row.url
        body = row.body(invited_world, caller) if callable(row.body) else row.body
        api = Api(invited_world["headers"][caller])
        kwargs = {"format": "multipart"} if row.multipart else {}
        if row.method in ("get", "delete"):
            response = getattr(api, row.method)(url)
        else:
            response = getattr(api, row.method)(url, body, **kwargs)
        got[caller] = response.status_code
    assert got == {"cora": 403, "key": 403, "alice": 403}


def test_a_coach_loses_sight_of_a_deleted_athlete_at_once(cast):
    coach = Api(bearer(cast.cora))

    def roster() -> list[str]:
        athletes = coach.get("/api/v1/analytics/coach_athletes_metrics").json()["data"]["athletes"]
        return [a["display_name"] for a in athletes]

    assert "Bob Brown" in roster()
    response = Api(bearer(cast.bob)).client.delete(
        "/api/v1/users/me",
        {"password": "correct-horse-battery-staple"},
        format="json",
        headers=bearer(cast.bob),
    )
    assert response.status_code == 200
    assert "Bob Brown" not in roster()
