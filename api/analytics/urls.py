from django.urls import path

from api.analytics import views

urlpatterns = [
    path("fitness_stats", views.FitnessStatsView.as_view()),
    path("running_stats", views.RunningStatsView.as_view()),
    path("activity_stats", views.ActivityStatsView.as_view()),
    path("health_metrics", views.HealthMetricsView.as_view()),
    path("running_streaks", views.RunningStreaksView.as_view()),
    path("personal_records", views.PersonalRecordsView.as_view()),
    path("pace_curve", views.PaceCurveView.as_view()),
    path("calendar", views.CalendarView.as_view()),
    path("calendar/workout.fit", views.CalendarWorkoutFileView.as_view()),
    path("user_metrics_charts", views.ChartsView.as_view()),
    path("user_metrics_summary", views.SummaryView.as_view()),
]

urlpatterns += [
    path("athlete_profile", views.AthleteProfileView.as_view()),
    path("coach_athletes_metrics", views.CoachAthletesMetricsView.as_view()),
    path("group_overview", views.GroupOverviewView.as_view()),
    path("group_comparison", views.GroupComparisonView.as_view()),
    path("group_stats", views.GroupStatsView.as_view()),
    path("plans_overview", views.PlansOverviewView.as_view()),
]
