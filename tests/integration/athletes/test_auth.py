"""API.md §2 auth endpoints: top-level fields, no envelope."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from athletes.models import EmailVerification, User
from tests.conftest import Api, assert_error

pytestmark = pytest.mark.django_db


def register(api, **overrides):
    body = {
        "email": "erin@example.com",
        "password": "a-long-enough-passphrase",
        "username": "erin",
        "display_name": "Erin",
    }
    body.update(overrides)
    return api.post("/api/v1/auth/register", body)


def test_register_returns_the_user_and_tokens_at_top_level():
    response = register(Api())
    assert response.status_code == 201
    body = response.json()
    assert "status" not in body
    assert body["user"]["email"] == "erin@example.com"
    assert body["user"]["id"].startswith("usr_")
    assert body["access"] and body["refresh"]
    me = Api({"Authorization": f"Bearer {body['access']}"}).get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == "erin"


def test_register_refuses_a_taken_email_and_username():
    register(Api())
    assert_error(register(Api(), username="erin2"), 409, "EMAIL_TAKEN", "email")
    assert_error(register(Api(), email="other@example.com"), 409, "USERNAME_TAKEN", "username")
    assert User.objects.count() == 1


def test_register_refuses_a_weak_password_and_stores_nothing():
    assert_error(register(Api(), password="123"), 400, "VALIDATION_ERROR", "password")
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["email", "password", "username"])
def test_register_names_a_missing_field(field):
    body = {"email": "e@example.com", "password": "a-long-enough-passphrase", "username": "e1"}
    del body[field]
    assert_error(Api().post("/api/v1/auth/register", body), 400, "VALIDATION_ERROR", field)


def test_token_with_email_or_username(cast):
    for login in ({"email": "alice@example.com"}, {"username": "alice"}):
        response = Api().post(
            "/api/v1/auth/token", {**login, "password": "correct-horse-battery-staple"}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["user"]["id"] == cast.alice.public_id
        assert body["access"] and body["refresh"]


def test_token_refuses_bad_credentials(cast):
    response = Api().post("/api/v1/auth/token", {"email": "alice@example.com", "password": "nope"})
    assert_error(response, 401)


def test_refresh_rotates_and_the_old_refresh_token_is_dead(cast):
    tokens = (
        Api()
        .post(
            "/api/v1/auth/token", {"username": "alice", "password": "correct-horse-battery-staple"}
        )
        .json()
    )
    refreshed = Api().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200
    assert refreshed.json()["access"]
    assert refreshed.json()["refresh"] != tokens["refresh"]
    again = Api().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]})
    assert_error(again, 401, "INVALID_TOKEN")


def test_logout_blacklists_the_refresh_token(cast):
    tokens = (
        Api()
        .post(
            "/api/v1/auth/token", {"username": "alice", "password": "correct-horse-battery-staple"}
        )
        .json()
    )
    api = Api({"Authorization": f"Bearer {tokens['access']}"})
    assert api.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}).status_code == 200
    assert_error(Api().post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}), 401)


def test_me_lists_organizations_with_roles(cast):
    body = cast.api(cast.cora).get("/api/v1/auth/me").json()
    assert body["organizations"] == [
        {"org_id": cast.riverside.public_id, "name": "Riverside Runners", "role": "owner"}
    ]
    assert body["timezone"] == "UTC"
    assert body["unit_system"] == "metric"
    assert body["email_verified"] is False


def test_me_needs_credentials_and_rejects_a_garbage_token():
    assert_error(Api().get("/api/v1/auth/me"), 401, "NOT_AUTHENTICATED")
    assert_error(
        Api({"Authorization": "Bearer not-a-jwt"}).get("/api/v1/auth/me"), 401, "INVALID_TOKEN"
    )


def test_verification_requests_are_limited_to_three_per_address_per_hour(cast):
    api = Api()
    for _ in range(3):
        assert (
            api.post(
                "/api/v1/auth/verify_email/request", {"email": "alice@example.com"}
            ).status_code
            == 200
        )
    assert_error(
        api.post("/api/v1/auth/verify_email/request", {"email": "alice@example.com"}),
        429,
        "RATE_LIMITED",
    )
    # Another address is not affected, and unknown addresses look the same (no enumeration).
    assert (
        api.post("/api/v1/auth/verify_email/request", {"email": "nobody@example.com"}).status_code
        == 200
    )


def test_verification_request_needs_a_well_formed_email():
    assert_error(
        Api().post("/api/v1/auth/verify_email/request", {"email": "nope"}), 400, field="email"
    )


def test_verification_confirm_marks_the_email_verified(cast):
    token = "known-token-for-test"
    EmailVerification.objects.create(
        email="alice@example.com",
        user=cast.alice,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    assert Api().post("/api/v1/auth/verify_email/confirm", {"token": token}).status_code == 200
    cast.alice.refresh_from_db()
    assert cast.alice.email_verified
    # A token works once.
    assert_error(
        Api().post("/api/v1/auth/verify_email/confirm", {"token": token}),
        400,
        "INVALID_TOKEN",
        "token",
    )


def test_verification_confirm_refuses_an_expired_token(cast):
    token = "old-token"
    record = EmailVerification.objects.create(
        email="alice@example.com",
        user=cast.alice,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    EmailVerification.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    assert_error(
        Api().post("/api/v1/auth/verify_email/confirm", {"token": token}), 400, "INVALID_TOKEN"
    )
