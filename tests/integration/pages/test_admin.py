"""Django admin: every model's list, search and filters work for support staff."""

import pytest
from django.contrib import admin
from django.test import Client

from tests.factories import make_activity, make_user

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
