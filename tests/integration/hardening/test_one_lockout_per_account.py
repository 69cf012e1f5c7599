"""Issue 32: one lockout per account. Failures count against the account a login resolves
to, whatever spelling, case or identifier (e-mail or username) was typed, and whichever door
(the API, the web sign-in, the admin's sign-in) they came through. 10 failures in 15 minutes
lock it; the right password is then refused everywhere."""

import pytest
from django.test import Client

from tests.conftest import Api, assert_error
from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery-staple"


def api_sign_in(login: str, password: str):
    key = "email" if "@" in login else "username"
    return Api().post("/api/v1/auth/token", {key: login, "password": password})


def web_sign_in(login: str, password: str):
    return Client().post("/login", {"username": login, "password": password})


def admin_sign_in(login: str, password: str):
    return Client().post("/admin/login/?next=/admin/", {"username": login, "password": password})


def test_failures_in_every_spelling_and_door_count_against_one_account():
    make_user("sam", email="sam@example.com", is_staff=True, is_superuser=True)
    assert admin_sign_in("sam", PASSWORD).status_code == 302  # the admin lets staff in
    for login in ("SAM@example.com", "Sam", "sam@EXAMPLE.COM"):
        assert api_sign_in(login, "wrong").status_code == 401
    for login in ("sAm", "sam@example.com", "SAM"):
        assert web_sign_in(login, "wrong").status_code == 200  # the form again
    for login in ("sam", "Sam@Example.Com", "SAM", "sam"):
        assert admin_sign_in(login, "wrong").status_code == 200
    # Ten failures: the right password opens no door, in any spelling.
    assert_error(api_sign_in("sam@example.com", PASSWORD), 429, code="RATE_LIMITED")
    assert_error(api_sign_in("sam", PASSWORD), 429, code="RATE_LIMITED")
    refused = web_sign_in("SAM", PASSWORD)
    assert refused.status_code == 200
    assert "Too many failed sign-ins" in refused.content.decode()
    assert admin_sign_in("sam", PASSWORD).status_code == 200  # not let in


def test_a_spelling_postgresql_folds_like_the_account_shares_its_lockout():
    """PostgreSQL matches `ılker` (dotless ı) to the account `ilker`, which Python's lower()
    did not: the lockout follows the account PostgreSQL resolved."""
    make_user("ilker")
    assert api_sign_in("ılker", PASSWORD).status_code == 200  # the same account
    for login in ("ılker", "ILKER") * 5:
        assert api_sign_in(login, "wrong").status_code == 401
    assert_error(api_sign_in("ilker", PASSWORD), 429, code="RATE_LIMITED")


def test_another_account_is_not_locked_by_its_neighbour_s_failures():
    make_user("ann")
    make_user("anna")
    for _ in range(10):
        api_sign_in("ann", "wrong")
    assert api_sign_in("anna", PASSWORD).status_code == 200


def test_the_web_forms_share_the_api_s_per_client_throttle():
    """Issue 32: sign-in, sign-up and password-reset forms are throttled per client like the
    API (20 a minute, settings' `auth` rate): the 21st POST from one address is a 429 with
    Retry-After, on any of them, before the form is read."""
    browser = Client()
    for n in range(20):
        assert (
            browser.post("/login", {"username": f"nobody{n}", "password": "x"}).status_code == 200
        )
    for path, form in (
        ("/login", {"username": "nobody", "password": "x"}),
        ("/signup", {"email": "new@example.com"}),
        ("/password/reset", {"email": "sam@example.com"}),
    ):
        refused = browser.post(path, form)
        assert refused.status_code == 429, path
        assert int(refused["Retry-After"]) > 0
        assert "try again" in refused.content.decode()
    assert browser.get("/login").status_code == 200  # reading the page is never throttled
