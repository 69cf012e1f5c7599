from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from analytics.models import AthleteSnapshot


@admin.register(AthleteSnapshot)
class AthleteSnapshotAdmin(admin.ModelAdmin):
    """Derived from the athlete's data and refreshed by Celery: shown, never edited."""

    list_display = ("user", "as_of", "computed_at", "weekly_distance", "attention_warnings")
    list_filter = ("as_of",)
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)
    fields = ("user", "as_of", "computed_at", "data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
