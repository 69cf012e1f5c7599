"""Server-rendered pages; each app contributes its own views."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from astral import cache
from astral.api.errors import ApiError
from astral.api.schema import ApiDoc
from astral.throttles import throttled_posts
from athletes.backends import login_locked
from pages import account
from pages import activities as activity_views
from pages import athletes as athlete_views
from pages import calendar as calendar_views
from pages import club as club_views
from pages import dashboard as analytics_views
from pages import invitations as organization_views
from pages import plans as plan_views
from pages import settings as settings_views


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(athlete_views.home_for(request.user))


class LoginForm(AuthenticationForm):
    """Sign-in form that refuses an account after 10 failed attempts in 15 minutes."""

    def clean(self) -> dict[str, Any]:
        login = self.data.get("username", "")
        if login_locked(login):
            raise ValidationError(
                "Too many failed sign-ins; try again in 15 minutes.", code="locked"
            )
        return super().clean()  # the backend counts a failure against the account


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_default_redirect_url(self) -> str:
        return athlete_views.home_for(self.request.user)


HEALTH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["status", "database", "cache"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "database": {"type": "string", "enum": ["ok"]},
        "cache": {"type": "string", "enum": ["ok", "down"]},
    },
}


class HealthView(APIView):
    """For load balancers (the cluster's HAProxy takes a web process out on anything but a
    200): 200 "ok"; 200 "degraded" when only the cache is down (Astral serves from
    PostgreSQL meanwhile); 503 when PostgreSQL does not answer, since nothing can be served.
    Also the benchmark's near-trivial DRF view (the ceiling)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    api_doc = {
        "get": ApiDoc(response=HEALTH_SCHEMA, errors=(503,), summary="Health of the service")
    }

    def get(self, request: Request) -> Response:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            connection.close()  # the next request connects afresh
            raise ApiError(
                "The database does not answer.",
                "DATABASE_DOWN",
                status=503,
                extra={"database": "down", "cache": "ok" if cache.answering() else "down"},
            ) from None
        cache_ok = cache.answering()
        return Response(
            {
                "status": "ok" if cache_ok else "degraded",
                "database": "ok",
                "cache": "ok" if cache_ok else "down",
            }
        )


urlpatterns = [
    path("healthz", HealthView.as_view(), name="healthz"),
    path("", home, name="home"),
    path("login", throttled_posts(LoginView.as_view()), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("signup", throttled_posts(settings_views.sign_up), name="signup"),
    path("settings", settings_views.settings_page, name="settings"),
    path("settings/export", settings_views.export_page, name="export-my-data"),
    path("settings/delete", settings_views.delete_account, name="delete-account"),
    path("settings/calendar-feed", settings_views.calendar_feed_reset, name="calendar-feed-reset"),
    path("calendar/<str:token>.ics", settings_views.calendar_feed, name="calendar-feed"),
    path("settings/password", account.PasswordChangeView.as_view(), name="password_change"),
    path(
        "settings/password/done",
        account.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset",
        throttled_posts(account.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path(
        "password/reset/sent", account.PasswordResetDoneView.as_view(), name="password_reset_done"
    ),
    path(
        "password/reset/<uidb64>/<token>",
        account.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done",
        account.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("athletes", athlete_views.athletes_list, name="athletes"),
    path("athletes/export.csv", athlete_views.athletes_export, name="athletes-export"),
    path("athletes/<str:user_id>", athlete_views.athlete_profile, name="athlete-profile"),
    path(
        "athletes/<str:user_id>/activities.csv",
        athlete_views.athlete_activities_export,
        name="athlete-activities-export",
    ),
    path(
        "athletes/<str:user_id>/activities",
        activity_views.athlete_activities,
        name="athlete-activities",
    ),
    path("athletes/<str:user_id>/upload", athlete_views.athlete_upload, name="athlete-upload"),
    path("athletes/<str:user_id>/goal", athlete_views.athlete_goal, name="athlete-goal"),
    path("athletes/<str:user_id>/calendar", calendar_views.calendar_page, name="athlete-calendar"),
    path(
        "athletes/<str:user_id>/calendar/workout.fit",
        calendar_views.calendar_workout_file,
        name="athlete-calendar-fit",
    ),
    path(
        "athletes/<str:user_id>/calendar/workouts",
        calendar_views.calendar_workout,
        name="athlete-calendar-workout",
    ),
    path("activities/<str:activity_id>", activity_views.activity_page, name="activity"),
    path("activities/<str:activity_id>/file", activity_views.activity_file, name="activity-file"),
    path("activities/<str:activity_id>/edit", activity_views.activity_edit, name="activity-edit"),
    path(
        "activities/<str:activity_id>/comments",
        activity_views.activity_comment,
        name="activity-comment",
    ),
    path("club", club_views.club, name="club"),
    path("club/keys", club_views.club_keys, name="club-keys"),
    path("club/plans", plan_views.plans, name="plans"),
    path("club/plans/<str:plan_id>", plan_views.plan_edit, name="plan-edit"),
    path("invitations", organization_views.my_invitations, name="my-invitations"),
    path("invitations/<str:token>", organization_views.invitation_page, name="invitation"),
    path("analytics", analytics_views.dashboard, name="dashboard"),
    path("analytics/groups/<str:group_id>", analytics_views.group_detail, name="group-detail"),
]
