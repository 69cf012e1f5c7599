"""The settings page holds the API's rules (`PATCH /users/me`): units, time zone, heart
rate, VDOT (entered or from a race, METRICS.md VDOT) and custom zones."""

import io
import zipfile

import pytest

from athletes.models import User
from tests.conftest import signed_in
from tests.factories import make_activity

pytestmark = pytest.mark.django_db


FORM = {
    "display_name": "Alice A.",
    "profile_image_url": "",
    "timezone": "Europe/Paris",
    "unit_system": "imperial",
    "max_hr": "190",
    "resting_hr": "48",
    "vdot": "",
    "race_distance": "5000",
    "race_time": "",
    "pace_zones": "",
    "hr_zones": "",
}


def test_settings_are_saved_with_the_api_rules(cast):
    page = signed_in(cast.alice)
    response = page.post("/settings", {**FORM, "race_time": "25:00"})
    assert response.status_code == 302
    alice = User.objects.get(pk=cast.alice.pk)
    assert (alice.display_name, alice.timezone, alice.unit_system) == (
        "Alice A.",
        "Europe/Paris",
        "imperial",
    )
    assert (alice.max_hr, alice.resting_hr) == (190, 48)
    assert alice.vdot == 38.3  # METRICS.md's table: 5 km in 25:00 is VDOT 38.31


def test_a_bad_value_is_named_next_to_its_field_and_nothing_is_saved(cast):
    page = signed_in(cast.alice)
    response = page.post("/settings", {**FORM, "timezone": "localtime", "max_hr": "400"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Unknown time zone" in html and "less than or equal to 240" in html
    alice = User.objects.get(pk=cast.alice.pk)
    assert alice.timezone == "America/Chicago" and alice.max_hr is None
    zones = page.post("/settings", {**FORM, "pace_zones": "5:00, 4:30, 4:00, 4:10"})
    assert "strictly decreasing" in zones.content.decode()


def test_custom_zones_are_entered_as_runners_write_them(cast):
    page = signed_in(cast.alice)
    page.post(
        "/settings",
        {**FORM, "pace_zones": "6:00, 5:15, 4:45, 4:15", "hr_zones": "120, 140, 155, 170, 190"},
    )
    alice = User.objects.get(pk=cast.alice.pk)
    assert alice.pace_zones == [360, 315, 285, 255]
    assert alice.hr_zones == [120, 140, 155, 170, 190]
    # Typed per km (the form was in km), read back per mile now she chose miles:
    # 360 s/km × 1.609344 = 579.4 s → 9:39 a mile; 315 → 8:27; 285 → 7:39; 255 → 6:50.
    shown = page.get("/settings").content.decode()
    assert "9:39, 8:27, 7:39, 6:50" in shown and "M:SS per mile" in shown


def test_my_data_downloads_and_my_account_is_deleted_with_my_password(cast):
    from datetime import UTC, datetime

    make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    page = signed_in(cast.alice)
    export = page.get("/settings/export")
    assert export["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert any(name.startswith("activities") for name in names)
    page.post("/settings/delete", {"password": "wrong"})
    assert User.objects.filter(pk=cast.alice.pk).exists()
    page.post("/settings/delete", {"password": "correct-horse-battery-staple"})
    assert not User.objects.filter(pk=cast.alice.pk).exists()
