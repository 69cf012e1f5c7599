"""Server-rendered pages; each app contributes its own views."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from analytics import views as analytics_views
from athletes import views as athlete_views


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(athlete_views.home_for(request.user))


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return athlete_views.home_for(self.request.user)


urlpatterns = [
    path("", home, name="home"),
    path("login", LoginView.as_view(), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("athletes", athlete_views.athletes_list, name="athletes"),
    path("athletes/export.csv", athlete_views.athletes_export, name="athletes-export"),
    path("athletes/<str:user_id>", athlete_views.athlete_profile, name="athlete-profile"),
    path(
        "athletes/<str:user_id>/activities.csv",
        athlete_views.athlete_activities_export,
        name="athlete-activities-export",
    ),
    path("athletes/<str:user_id>/upload", athlete_views.athlete_upload, name="athlete-upload"),
    path("analytics", analytics_views.dashboard, name="dashboard"),
    path("analytics/groups/<str:group_id>", analytics_views.group_detail, name="group-detail"),
]
