from django.urls import path

from analytics.api import views

urlpatterns = [
    path("fitness_stats", views.FitnessStatsView.as_view()),
    path("running_stats", views.RunningStatsView.as_view()),
    path("activity_stats", views.ActivityStatsView.as_view()),
    path("health_metrics", views.HealthMetricsView.as_view()),
    path("running_streaks", views.RunningStreaksView.as_view()),
    path("user_metrics_charts", views.ChartsView.as_view()),
    path("user_metrics_summary", views.SummaryView.as_view()),
]
