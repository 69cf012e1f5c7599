"""Django admin: every model's list, search and filters work for support staff."""

import pytest
from django.contrib import admin
from django.test import Client

from tests.factories import make_activity, make_health, make_user

pytestmark = pytest.mark.django_db


def test_every_admin_changelist_search_and_add_page_opens(cast):
    from datetime import UTC, datetime

    make_activity(cast.alice, datetime(2026, 11, 1, 7, tzinfo=UTC))
    staff = make_user("support", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    for model in admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(base).status_code == 200, base
        assert client.get(base, {"q": "alice"}).status_code == 200, base
        assert client.get(base + "add/").status_code in (200, 403), base


def test_activities_can_be_filtered_by_organization(cast):
    from datetime import UTC, datetime

    make_activity(cast.alice, datetime(2026, 11, 1, 7, tzinfo=UTC), name="Alice run")
    make_activity(cast.dave, datetime(2026, 11, 1, 7, tzinfo=UTC), name="Dave run")
    staff = make_user("support", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    html = client.get(
        "/admin/athletes/activity/", {"user__memberships__organization__id__exact": cast.hilltop.pk}
    ).content.decode()
    assert "Dave run" in html and "Alice run" not in html


def test_the_admin_is_for_staff_only(cast):
    client = Client()
    client.force_login(cast.cora)
    assert client.get("/admin/athletes/activity/").status_code == 302


def _change_form_data(model_admin, obj, request):
    """What the admin's change form would post back unchanged for `obj`."""
    from django import forms

    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else part
        elif value is not None:
            data[name] = value
    return data


def test_an_activity_edited_in_the_admin_changes_every_cached_answer(cast):
    """Staff correct a run's distance in the admin: the athlete's cached stats, their
    snapshot and the coach's cached roster show the corrected distance at once, as after an
    edit through the API (API.md §3: no stale cache after a write)."""
    from datetime import UTC, datetime, timedelta

    from django.test import RequestFactory

    from astral.localtime import local_midnight, local_today
    from athletes.models import Activity

    # An hour ago, or just after Alice's local week began when that is sooner (early on a
    # Monday in UTC it is still Sunday in Chicago: last week's distance).
    now = datetime.now(UTC)
    today = local_today(cast.alice.tz)
    week_began = local_midnight(today - timedelta(days=today.weekday()), cast.alice.tz)
    started = max(now - timedelta(hours=1), min(week_began + timedelta(minutes=1), now))
    started -= timedelta(seconds=1)
    activity = make_activity(cast.alice, started, distance=10_000)
    athlete, coach = cast.api(cast.alice), cast.api(cast.cora)
    day = started.astimezone(cast.alice.tz).date().isoformat()
    stats_url = "/api/v1/analytics/activity_stats"

    def stats_distance():
        response = athlete.get(stats_url, {"from": day, "to": day})
        assert response.status_code == 200, response.content
        return response.json()["data"]["totals"]["distance"]

    def roster_distance():
        response = coach.get("/api/v1/analytics/coach_athletes_metrics")
        assert response.status_code == 200, response.content
        [alice] = [
            a for a in response.json()["data"]["athletes"] if a["user_id"] == cast.alice.public_id
        ]
        return alice["metrics"]["running_analytics"]["weekly_distance"]

    assert stats_distance() == 10_000
    assert roster_distance() == 10_000  # both now cached

    staff = make_user("support", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    request = RequestFactory().get("/")
    request.user = staff
    data = _change_form_data(admin.site._registry[Activity], activity, request)
    data["distance"] = 12_500
    response = client.post(f"/admin/athletes/activity/{activity.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]

    assert stats_distance() == 12_500
    assert roster_distance() == 12_500


def test_a_health_reading_deleted_in_the_admin_leaves_the_cached_series(cast):
    from datetime import date

    from athletes.models import HealthMetric

    reading = make_health(cast.alice, date(2026, 11, 2), resting_hr=50, hrv=70)
    athlete = cast.api(cast.alice)
    url = "/api/v1/analytics/health_metrics"
    params = {"from": "2026-11-02", "to": "2026-11-02"}
    assert athlete.get(url, params).json()["data"]["series"][0]["hrv"] == 70
    staff = make_user("support", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    response = client.post(f"/admin/athletes/healthmetric/{reading.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not HealthMetric.objects.filter(pk=reading.pk).exists()
    assert athlete.get(url, params).json()["data"]["series"][0]["hrv"] is None
