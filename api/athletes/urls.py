from django.urls import path

from api.athletes import auth_views, views
from api.athletes.changes import ChangesView

urlpatterns = [
    path("auth/register", auth_views.RegisterView.as_view()),
    path("auth/token", auth_views.TokenView.as_view()),
    path("auth/token/refresh", auth_views.TokenRefreshView.as_view()),
    path("auth/logout", auth_views.LogoutView.as_view()),
    path("auth/password", auth_views.PasswordChangeView.as_view()),
    path("auth/password/reset", auth_views.PasswordResetRequestView.as_view()),
    path("auth/password/reset/confirm", auth_views.PasswordResetConfirmView.as_view()),
    path("auth/me", auth_views.AuthMeView.as_view()),
    path("auth/verify_email/request", auth_views.VerifyEmailRequestView.as_view()),
    path("auth/verify_email/confirm", auth_views.VerifyEmailConfirmView.as_view()),
    path("users/me", views.MeView.as_view()),
    path("users/me/export", views.ExportView.as_view()),
    path("users/me/integrations", views.IntegrationsView.as_view()),
    path("users/me/integrations/<str:provider>", views.IntegrationDetailView.as_view()),
    path("users/<str:user_id>", views.UserDetailView.as_view()),
    path("changes", ChangesView.as_view()),
    path("activities", views.ActivityListView.as_view()),
    path("activities/upload", views.ActivityUploadView.as_view()),
    path("activities/import", views.ActivityImportView.as_view()),
    path(
        "activities/by_external_id/<str:source>/<str:external_id>",
        views.ActivityByExternalIdView.as_view(),
    ),
    path("imports/<str:import_id>", views.ImportDetailView.as_view()),
    path("activities/<str:activity_id>", views.ActivityDetailView.as_view()),
    path("activities/<str:activity_id>/file", views.ActivityFileView.as_view()),
    path("activities/<str:activity_id>/comments", views.ActivityCommentsView.as_view()),
    path(
        "activities/<str:activity_id>/comments/<int:comment_id>",
        views.ActivityCommentDetailView.as_view(),
    ),
    path("health_metrics", views.HealthMetricsView.as_view()),
    path("goals", views.GoalListView.as_view()),
    path("goals/<str:goal_id>", views.GoalDetailView.as_view()),
    path("plans", views.PlanListView.as_view()),
    path("plans/<str:plan_id>", views.PlanDetailView.as_view()),
    path("plans/<str:plan_id>/assign", views.PlanAssignView.as_view()),
    path("plan_instances", views.PlanInstanceListView.as_view()),
    path("plan_instances/<str:instance_id>", views.PlanInstanceDetailView.as_view()),
]
