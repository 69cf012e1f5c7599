"""Issue 37, API.md §5 "For integrations", through HTTP: budgets in the headers, Retry-After on
every 429, conditional reads (ETag, 304), safe retries (Idempotency-Key, PUT by external id),
one way of writing a start time and the athlete's local one, an API key reading its own
organization, deprecations marked in the schema."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from athletes.backends import FAILED_LOGIN_LIMIT
from athletes.models import Activity
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

RUN = {"start_time": "2026-11-20T13:00:00Z", "distance": 10000, "duration": 3000}


def key_client(cast) -> tuple[Client, dict[str, str]]:
    return Client(), {"X-API-Key": cast.riverside_key}


@override_settings(ASTRAL_API_BUDGET_PER_MINUTE=5)
def test_every_key_and_token_request_shows_its_budget_and_a_429_says_when(cast):
    client, headers = key_client(cast)
    url = f"/api/v1/analytics/coach_athletes_metrics?org_id={cast.riverside.public_id}"
    seen = []
    for _ in range(5):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200
        seen.append(int(answer["X-RateLimit-Remaining"]))
        assert answer["X-RateLimit-Limit"] == "5" and int(answer["X-RateLimit-Reset"]) > 0
    assert seen == [4, 3, 2, 1, 0]  # cached answers count too
    over = client.get(url, headers=headers)
    assert_error(over, 429, "RATE_LIMITED")
    assert 1 <= int(over["Retry-After"]) <= 60
    # Another caller (a person's token) has a budget of its own.
    person = cast.api(cast.cora)
    answer = person.client.get("/api/v1/users/me", headers=person.headers)
    assert answer.status_code == 200 and answer["X-RateLimit-Remaining"] == "4"


def test_a_locked_sign_in_says_when_to_come_back(cast):
    for _ in range(FAILED_LOGIN_LIMIT):
        Client().post(
            "/api/v1/auth/token",
            {"email": "bob@example.com", "password": "wrong"},
            content_type="application/json",
        )
    locked = Client().post(
        "/api/v1/auth/token",
        {"email": "bob@example.com", "password": "correct-horse-battery-staple"},
        content_type="application/json",
    )
    assert_error(locked, 429, "RATE_LIMITED")
    assert 60 <= int(locked["Retry-After"]) <= 15 * 60


def test_a_poll_with_the_etag_it_was_given_is_a_304_until_the_data_changes(cast):
    api = cast.api(cast.alice)
    first = api.client.get("/api/v1/analytics/athlete_profile", headers=api.headers)
    etag = first["ETag"]
    assert etag
    again = api.client.get(
        "/api/v1/analytics/athlete_profile", headers={**api.headers, "If-None-Match": etag}
    )
    assert again.status_code == 304 and again.content == b""
    api.post("/api/v1/activities", RUN)
    changed = api.client.get(
        "/api/v1/analytics/athlete_profile", headers={**api.headers, "If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed["ETag"] != etag
    # Resources too: the activity list.
    listed = api.client.get("/api/v1/activities", headers=api.headers)
    assert (
        api.client.get(
            "/api/v1/activities", headers={**api.headers, "If-None-Match": listed["ETag"]}
        ).status_code
        == 304
    )


def test_a_retried_post_with_its_idempotency_key_is_answered_once(cast):
    client, headers = key_client(cast)
    body = {**RUN, "user_id": cast.alice.public_id, "allow_overlap": True}
    keyed = {**headers, "Idempotency-Key": "sync-2026-11-20-alice-1"}
    first = client.post("/api/v1/activities", body, content_type="application/json", headers=keyed)
    retry = client.post("/api/v1/activities", body, content_type="application/json", headers=keyed)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    # Even with allow_overlap, which would store the same run twice: one activity.
    assert Activity.objects.filter(user=cast.alice).count() == 1
    reused = client.post(
        "/api/v1/activities",
        {**body, "distance": 12000},
        content_type="application/json",
        headers=keyed,
    )
    assert_error(reused, 409, "IDEMPOTENCY_KEY_REUSED")
    # Another caller's same key is theirs.
    person = cast.api(cast.alice)
    own = person.client.post(
        "/api/v1/activities",
        {**RUN, "start_time": "2026-11-21T13:00:00Z"},
        content_type="application/json",
        headers={**person.headers, "Idempotency-Key": "sync-2026-11-20-alice-1"},
    )
    assert own.status_code == 201
    bad = client.post(
        "/api/v1/activities",
        body,
        content_type="application/json",
        headers={**headers, "Idempotency-Key": "has a space"},
    )
    assert_error(bad, 400, "VALIDATION_ERROR", "Idempotency-Key")


def test_put_by_external_id_creates_then_replaces_the_same_activity(cast):
    client, headers = key_client(cast)
    url = "/api/v1/activities/by_external_id/garmin/g-991"
    body = {**RUN, "user_id": cast.alice.public_id, "avg_heart_rate": 150}
    created = client.put(url, body, content_type="application/json", headers=headers)
    assert created.status_code == 201
    first = created.json()["data"]
    assert (first["source"], first["external_id"]) == ("garmin", "g-991")
    edited = {
        **body,
        "distance": 10500,
        "samples": [
            {"t": 0, "distance": 0, "heart_rate": 120},
            {"t": 1500, "distance": 5200, "heart_rate": 150},
            {"t": 3000, "distance": 10500, "heart_rate": 170},
        ],
    }
    replaced = client.put(url, edited, content_type="application/json", headers=headers)
    assert replaced.status_code == 200
    second = replaced.json()["data"]
    assert second["activity_id"] == first["activity_id"] and second["distance"] == 10500
    stored = Activity.objects.get(public_id=first["activity_id"])
    assert stored.stream.sample_count == 3
    assert Activity.objects.filter(user=cast.alice).count() == 1
    # The path names the id; a body that says otherwise is refused, naming the field.
    clash = client.put(
        url, {**body, "external_id": "other"}, content_type="application/json", headers=headers
    )
    assert_error(clash, 400, "VALIDATION_ERROR", "external_id")
    unknown = client.put(
        "/api/v1/activities/by_external_id/nowhere/x",
        body,
        content_type="application/json",
        headers=headers,
    )
    assert_error(unknown, 400, "VALIDATION_ERROR", "source")
    other_club = client.put(
        url,
        {**body, "user_id": cast.dave.public_id},
        content_type="application/json",
        headers=headers,
    )
    assert other_club.status_code in (403, 404)


def test_start_times_are_written_one_way_with_the_local_one_beside(cast):
    api = cast.api(cast.alice)  # Alice lives in Chicago: UTC−6 in November
    run = api.post("/api/v1/activities", {**RUN, "start_time": "2026-11-20T07:00:00-06:00"})
    data = run.json()["data"]
    assert data["start_time"] == "2026-11-20T13:00:00Z"
    assert data["start_time_local"] == "2026-11-20T07:00:00-06:00"
    listed = api.get("/api/v1/activities").json()["data"]["activities"][0]
    assert (listed["start_time"], listed["start_time_local"]) == (
        "2026-11-20T13:00:00Z",
        "2026-11-20T07:00:00-06:00",
    )


def test_an_api_key_reads_its_own_organization_and_names_itself(cast):
    client, headers = key_client(cast)
    own = client.get(f"/api/v1/organizations/{cast.riverside.public_id}", headers=headers)
    assert own.status_code == 200 and own.json()["data"]["name"] == "Riverside Runners"
    other = client.get(f"/api/v1/organizations/{cast.hilltop.public_id}", headers=headers)
    assert other.status_code in (403, 404)
    me = client.get("/api/v1/auth/me", headers=headers)
    assert me.status_code == 200
    body = me.json()
    assert body["api_key"]["prefix"] == cast.riverside_key[:10]
    assert body["organization"]["org_id"] == cast.riverside.public_id


def test_parameters_kept_for_old_clients_are_marked_deprecated(cast):
    schema = Client().get("/api/v1/schema", {"format": "json"}).json()
    params = schema["paths"]["/api/v1/analytics/running_stats"]["get"]["parameters"]
    legacy = next(p for p in params if p["name"] == "timezone_offset_minutes")
    assert legacy.get("deprecated") is True


def test_every_error_is_the_one_error_model_and_every_operation_declares_its_statuses(cast):
    """API.md §5: errors are one shared `Error` component, and every status an operation can
    answer is declared, 405, 406, 413, 414 and 429 included (a generated client otherwise
    raises "unexpected status" on them)."""
    schema = Client().get("/api/v1/schema", {"format": "json"}).json()
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["error", "details"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("405", "406", "413", "414", "429"):
                assert status in responses, (method, path, status)
            for status, answer in responses.items():
                if status.startswith(("4", "5")):
                    shape = answer["content"]["application/json"]["schema"]
                    assert shape == {"$ref": "#/components/schemas/Error"}, (method, path, status)
    # And the answers are that model: a 405 from Django itself, a 414.
    client, headers = key_client(cast)
    wrong = client.put("/api/v1/analytics/fitness_stats", headers=headers)
    assert wrong.status_code == 405 and set(wrong.json()) == {"error", "details"}
    long = client.get("/api/v1/users/me?x=" + "a" * 9000, headers=headers)
    assert long.status_code == 414 and set(long.json()) == {"error", "details"}
