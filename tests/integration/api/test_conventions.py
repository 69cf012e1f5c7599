"""API.md §1: the envelope, the error shape for every error, public ids."""

import pytest

from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def test_success_is_wrapped_in_the_envelope(cast):
    body = cast.api(cast.alice).get("/api/v1/users/me").json()
    assert body["status"] == "ok"
    assert body["data"]["user_id"] == cast.alice.public_id


def test_unknown_api_path_is_a_json_404():
    assert_error(Api().get("/api/v1/no/such/thing"), 404, "NOT_FOUND")


def test_trailing_slash_is_not_part_of_the_api():
    assert_error(Api().get("/api/v1/auth/me/"), 404, "NOT_FOUND")


def test_wrong_method_is_a_json_405(cast):
    response = cast.api(cast.alice).put("/api/v1/auth/me", {})
    assert_error(response, 405, "METHOD_NOT_ALLOWED")


def test_malformed_json_is_a_400(cast):
    response = cast.api(cast.alice).client.post(
        "/api/v1/goals",
        data="{not json",
        content_type="application/json",
        headers=cast.api(cast.alice).headers,
    )
    assert_error(response, 400)


def test_a_body_that_is_not_an_object_is_a_400(cast):
    assert_error(cast.api(cast.alice).post("/api/v1/goals", [1, 2]), 400, "VALIDATION_ERROR")


def test_public_ids_are_random_and_prefixed(cast):
    ids = [cast.alice.public_id, cast.bob.public_id]
    assert all(i.startswith("usr_") and len(i) == 20 for i in ids)
    assert cast.riverside.public_id.startswith("org_")
    assert "id" not in cast.api(cast.alice).get("/api/v1/users/me").json()["data"]


def test_schema_and_docs_are_served():
    schema = Api().get("/api/v1/schema")
    assert schema.status_code == 200
    assert b"/api/v1/activities" in schema.content
    docs = Api().client.get("/api/docs")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()


def test_nul_characters_are_refused_naming_the_field_and_store_nothing(cast):
    """PostgreSQL text can hold no NUL character: in a query parameter or anywhere in a JSON
    body (including fields no serializer reads, such as running_streaks' user_id, once a
    500) it is a 400 naming the field."""
    from athletes.models import Activity, Goal

    api = cast.api(cast.alice)
    assert_error(
        api.get("/api/v1/analytics/activity_stats", {"timezone": "UTC\x00"}),
        400,
        "VALIDATION_ERROR",
        field="timezone",
    )
    assert_error(
        api.post("/api/v1/analytics/running_streaks", {"user_id": "usr_\x00"}),
        400,
        "VALIDATION_ERROR",
        field="user_id",
    )
    assert_error(
        api.post("/api/v1/goals", {"race_name": "City\x00 10K", "race_date": "2027-05-01"}),
        400,
        "VALIDATION_ERROR",
        field="race_name",
    )
    assert_error(
        api.post(
            "/api/v1/activities",
            {
                "start_time": "2026-11-02T07:00:00Z",
                "distance": 5000,
                "duration": 1500,
                "laps": [{"name": "ok"}, {"note": "bad\x00"}],
            },
        ),
        400,
        "VALIDATION_ERROR",
        field="laps[1].note",
    )
    assert not Goal.objects.exists() and not Activity.objects.exists()
