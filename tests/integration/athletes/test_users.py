"""API.md §3 users and training zones."""

from datetime import UTC, datetime

import pytest

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_me_shows_every_documented_field(cast):
    data = cast.api(cast.alice).get("/api/v1/users/me").json()["data"]
    for field in [
        "user_id",
        "username",
        "email",
        "display_name",
        "profile_image_url",
        "timezone",
        "unit_system",
        "sex",
        "birth_date",
        "weight_kg",
        "max_hr",
        "resting_hr",
        "vdot",
        "hr_zones",
        "pace_zones",
        "privacy",
        "preferences",
        "has_push_token",
    ]:
        assert field in data
    assert data["timezone"] == "America/Chicago"
    # Default HR zones: 60/70/80/90/100 % of 190.
    assert data["hr_zones"] == [114, 133, 152, 171, 190]
    assert data["pace_zones"] is None


def test_pace_zones_are_derived_from_vdot_when_not_set(cast):
    data = cast.api(cast.alice).patch("/api/v1/users/me", {"vdot": 50}).json()["data"]
    # METRICS.md §2: VDOT 50 gives about 4:53, 4:25, 4:06, 3:50 per km.
    assert data["pace_zones"] == pytest.approx([293, 265, 246, 230], abs=1)


def test_own_pace_zones_win_over_vdot(cast):
    data = (
        cast.api(cast.alice)
        .patch("/api/v1/users/me", {"vdot": 50, "pace_zones": [300, 270, 250, 235]})
        .json()["data"]
    )
    assert data["pace_zones"] == [300, 270, 250, 235]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"unit_system": "furlongs"}, "unit_system"),
        ({"sex": "x"}, "sex"),
        ({"pace_zones": [230, 246, 265, 293]}, "pace_zones"),
        ({"pace_zones": [300, 270, 250]}, "pace_zones"),
        ({"hr_zones": [180, 170, 160, 150, 140]}, "hr_zones"),
        ({"max_hr": 400}, "max_hr"),
        ({"privacy": {"profile_visibility": "everyone"}}, "privacy"),
        ({"birth_date": "1990-13-01"}, "birth_date"),
    ],
)
def test_bad_profile_values_are_refused_and_nothing_changes(cast, body, field):
    assert_error(
        cast.api(cast.alice).patch("/api/v1/users/me", body), 400, "VALIDATION_ERROR", field
    )
    cast.alice.refresh_from_db()
    assert cast.alice.timezone == "America/Chicago"
    assert cast.alice.pace_zones is None


def test_profile_update_is_stored(cast):
    cast.api(cast.alice).patch(
        "/api/v1/users/me", {"unit_system": "imperial", "timezone": "Europe/Berlin", "max_hr": 185}
    )
    cast.alice.refresh_from_db()
    assert (cast.alice.unit_system, cast.alice.timezone, cast.alice.max_hr) == (
        "imperial",
        "Europe/Berlin",
        185,
    )


def test_user_detail_permission_matrix(cast):
    path = f"/api/v1/users/{cast.alice.public_id}"
    assert cast.api(cast.alice).get(path).status_code == 200
    assert cast.api(cast.cora).get(path).status_code == 200
    assert cast.api(cast.riverside_key).get(path).status_code == 200
    assert_error(cast.api(cast.bob).get(path), 403, "PERMISSION_DENIED")
    assert_error(cast.api(cast.olga).get(path), 403, "PERMISSION_DENIED")
    assert_error(cast.api(cast.hilltop_key).get(path), 403, "PERMISSION_DENIED")
    assert_error(cast.api(None).get(path), 401, "NOT_AUTHENTICATED")
    assert_error(cast.api(cast.cora).get("/api/v1/users/usr_doesnotexist0000"), 404, "NOT_FOUND")


def test_a_coach_cannot_read_another_coach_of_the_same_org(cast):
    # Coach reach covers athlete members only.
    assert_error(cast.api(cast.alice).get(f"/api/v1/users/{cast.cora.public_id}"), 403)


def test_integrations_connect_and_disconnect(cast):
    api = cast.api(cast.alice)
    initial = api.get("/api/v1/users/me/integrations").json()["data"]
    assert set(initial) == {"strava", "garmin", "apple_health"}
    assert not any(v["connected"] for v in initial.values())
    connected = api.put("/api/v1/users/me/integrations/garmin", {"external_id": "g-123"}).json()[
        "data"
    ]
    assert connected["garmin"]["connected"] is True
    assert connected["garmin"]["external_id"] == "g-123"
    assert connected["garmin"]["connected_at"]
    after = api.delete("/api/v1/users/me/integrations/garmin").json()["data"]
    assert after["garmin"]["connected"] is False
    assert_error(api.put("/api/v1/users/me/integrations/myspace", {}), 404, "NOT_FOUND", "provider")


def test_a_profile_change_never_winds_the_data_version_back(cast):
    """The settings form holds the athlete as loaded; a run their watch wrote since must
    not be undone by the save (the version only grows, so no snapshot or plan standing of
    older data can look fresh again)."""
    from athletes.models import User
    from athletes.services.accounts import user_update
    from athletes.services.activities import activity_create

    held = User.objects.get(pk=cast.alice.pk)  # the form's copy
    activity_create(
        user=cast.alice,
        fields={
            "start_time": datetime(2026, 11, 2, 7, tzinfo=UTC),
            "distance": 5000,
            "duration": 1500,
        },
    )
    after_run = User.objects.get(pk=cast.alice.pk).data_version
    user_update(user=held, changes={"display_name": "Alice A."})
    saved = User.objects.get(pk=cast.alice.pk)
    assert saved.display_name == "Alice A."
    assert saved.data_version == after_run + 1


def test_no_save_of_an_older_copy_winds_the_data_version_back(cast):
    """Whatever saves the whole row (the admin, a shell), PostgreSQL keeps the newer
    version."""
    from athletes.models import User
    from athletes.services.changes import athlete_data_changed

    held = User.objects.get(pk=cast.bob.pk)
    athlete_data_changed([cast.bob.pk])
    athlete_data_changed([cast.bob.pk])
    newer = User.objects.get(pk=cast.bob.pk).data_version
    held.first_name = "Robert"
    held.save()
    assert User.objects.get(pk=cast.bob.pk).data_version == newer == held.data_version + 2
