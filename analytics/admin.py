from django.contrib import admin

from analytics.models import AthleteSnapshot


@admin.register(AthleteSnapshot)
class AthleteSnapshotAdmin(admin.ModelAdmin):
    list_display = ("user", "as_of", "computed_at", "weekly_distance", "attention_warnings")
    list_filter = ("as_of",)
    search_fields = ("user__username", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("data",)
