"""What an attacker tried from outside, each answered with a 4xx in the API's error shape
(API.md §1), and the account rules: passwords, resets, throttles and the lockout."""

from __future__ import annotations

import gzip
import re

import pytest
from django.core import mail
from django.core.cache import cache as django_cache
from django.test import Client

from athletes.models import Activity
from tests.conftest import Api, assert_error
from tests.integration.hardening.test_concurrency import at_once

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


def gpx(points: list[tuple[str, float, float, int | None]]) -> bytes:
    """A GPX 1.1 track, built by hand: (time, lat, lon, heart rate or None) per point."""
    body = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><time>{time}</time>'
        + (
            f"<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions>"
            if hr is not None
            else ""
        )
        + "</trkpt>"
        for time, lat, lon, hr in points
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">'
        f"<trk><type>running</type><trkseg>{body}</trkseg></trk></gpx>"
    ).encode()


def upload(api: Api, name: str, content: bytes):
    import io

    handle = io.BytesIO(content)
    handle.name = name
    return api.post("/api/v1/activities/upload", {"file": handle}, format="multipart")


# Dates that overflow --------------------------------------------------------------------


@pytest.mark.parametrize(
    "start_time", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "2090-05-01T07:00Z"]
)
def test_a_start_time_without_a_plausible_instant_is_a_400(cast, start_time):
    body = {"start_time": start_time, "distance": 5000, "duration": 1500}
    assert_error(cast.api(cast.alice).post("/api/v1/activities", body), 400, field="start_time")
    assert not Activity.objects.exists()


@pytest.mark.parametrize(("name", "value"), [("from", "0001-01-01"), ("to", "9999-12-31")])
def test_analytics_dates_at_the_ends_of_the_calendar_are_a_400(cast, name, value):
    params = {"from": "2026-11-01", "to": "2026-11-10", name: value}
    if name == "from":
        params["to"] = "0001-01-10"
    response = cast.api(cast.alice).get("/api/v1/analytics/activity_stats", params)
    assert_error(response, 400, field=name)


# Bodies, hosts, URLs ---------------------------------------------------------------------


def test_json_nested_ten_thousand_levels_is_a_400(cast):
    body = "[" * 10_000 + "]" * 10_000
    response = cast.api(cast.alice).client.generic(
        "POST",
        "/api/v1/activities",
        body,
        content_type="application/json",
        headers=cast.api(cast.alice).headers,
    )
    assert_error(response, 400, field="body")


def test_a_body_larger_than_any_request_is_refused_by_its_length(cast):
    api = cast.api(cast.alice)
    response = api.client.generic(
        "POST",
        "/api/v1/health_metrics",
        b" " * (17 * 1024 * 1024),
        content_type="application/json",
        headers=api.headers,
    )
    assert_error(response, 413, code="BODY_TOO_LARGE")


def test_an_unknown_host_and_an_absurd_url_answer_json_under_the_api():
    response = Client().get("/api/v1/auth/me", headers={"host": "evil.example"})
    assert_error(response, 400)
    assert_error(Client().get("/api/v1/analytics/fitness_stats?x=" + "a" * 9000), 414)


@pytest.mark.parametrize("name", ["localtime", "posixrules", "Factory"])
def test_time_zones_that_are_not_a_place_are_refused(cast, name):
    api = cast.api(cast.alice)
    assert_error(api.patch("/api/v1/users/me", {"timezone": name}), 400, field="timezone")
    response = api.get("/api/v1/analytics/fitness_stats", {"timezone": name})
    assert_error(response, 400, field="timezone")


# One plausibility rule for JSON and files --------------------------------------------------


def _track(start: str, step_m: float, hr: int | None) -> bytes:
    minute = int(start[14:16])
    points = [
        (f"{start[:14]}{minute:02d}:{s:02d}Z", 45.0 + i * step_m / 111_195, 7.0, hr)
        for i, s in enumerate(range(0, 60, 10))
    ]
    return gpx(points)


@pytest.mark.parametrize(
    ("content", "json_body", "field"),
    [
        (
            _track("2026-11-20T07:00:00Z", 30, 300),
            {"avg_heart_rate": 300},
            "avg_heart_rate",
        ),
        (_track("2026-11-20T07:00:00Z", 1000, None), {"distance": 50_000}, "distance"),
        (_track("2090-05-01T07:00:00Z", 30, 150), {"start_time": "2090-05-01T07:00:00Z"}, None),
    ],
    ids=["heart rate 300", "100 m/s", "start in 2090"],
)
def test_a_file_is_held_to_the_same_rule_as_the_json_endpoint(cast, content, json_body, field):
    api = cast.api(cast.alice)
    body = {"start_time": "2026-11-20T07:00:00Z", "distance": 150, "duration": 50, **json_body}
    assert_error(api.post("/api/v1/activities", body), 400, field=field or "start_time")
    assert_error(upload(api, "run.gpx", content), 400, code="INVALID_FILE", field="file")
    assert not Activity.objects.exists()


def test_a_file_with_more_points_than_a_day_of_seconds_is_a_413(cast):
    point = b'<trkpt lat="45.0" lon="7.0"><time>2026-11-20T07:00:00Z</time></trkpt>'
    content = b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>' + point * 200_001
    content += b"</trkseg></trk></gpx>"
    response = upload(cast.api(cast.alice), "huge.gpx.gz", gzip.compress(content, 1))
    assert_error(response, 413, code="FILE_TOO_LARGE", field="file")


# Passwords --------------------------------------------------------------------------------


def test_a_password_sent_to_the_profile_is_refused_not_ignored(cast):
    response = cast.api(cast.alice).patch("/api/v1/users/me", {"password": "new-secret-123"})
    assert_error(response, 400, field="password")
    cast.alice.refresh_from_db()
    assert cast.alice.check_password(PASSWORD)


def _sign_in(email: str, password: str):
    return Api().post("/api/v1/auth/token", {"email": email, "password": password})


def test_changing_the_password_signs_out_every_other_session(cast):
    other_session = _sign_in("alice@example.com", PASSWORD).json()["refresh"]
    api = cast.api(cast.alice)
    assert_error(
        api.post(
            "/api/v1/auth/password",
            {"current_password": "wrong", "new_password": "a-new-long-passphrase"},
        ),
        400,
        field="current_password",
    )
    assert_error(
        api.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "123"}),
        400,
        field="new_password",
    )
    changed = api.post(
        "/api/v1/auth/password",
        {"current_password": PASSWORD, "new_password": "a-new-long-passphrase"},
    )
    assert changed.status_code == 200
    assert_error(Api().post("/api/v1/auth/token/refresh", {"refresh": other_session}), 401)
    fresh = Api().post("/api/v1/auth/token/refresh", {"refresh": changed.json()["refresh"]})
    assert fresh.status_code == 200
    assert _sign_in("alice@example.com", "a-new-long-passphrase").status_code == 200
    assert_error(_sign_in("alice@example.com", PASSWORD), 401)


def test_a_password_reset_answers_the_same_for_any_address_and_its_link_works_once(cast):
    known = Api().post("/api/v1/auth/password/reset", {"email": "alice@example.com"})
    unknown = Api().post("/api/v1/auth/password/reset", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    uid, token = re.search(r"/password/reset/([\w-]+)/([\w-]+)", message.body).groups()
    session = _sign_in("alice@example.com", PASSWORD).json()["refresh"]
    confirm = {"uid": uid, "token": token, "new_password": "reset-to-something-long"}
    assert Api().post("/api/v1/auth/password/reset/confirm", confirm).status_code == 200
    assert_error(Api().post("/api/v1/auth/password/reset/confirm", confirm), 400, field="token")
    assert_error(Api().post("/api/v1/auth/token/refresh", {"refresh": session}), 401)
    assert _sign_in("alice@example.com", "reset-to-something-long").status_code == 200


def test_the_reset_pages_send_a_link_that_sets_a_new_password(cast):
    browser = Client()
    response = browser.post("/password/reset", {"email": "bob@example.com"})
    assert response.status_code == 302
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+)", mail.outbox[0].body).group(1)
    form = browser.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase", "new_password2": "brand-new-passphrase"},
    )
    assert done.status_code == 302
    cast.bob.refresh_from_db()
    assert cast.bob.check_password("brand-new-passphrase")


# Tokens, throttles, lockout ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refresh_token_is_used_once_even_by_ten_racing_requests(cast):
    refresh = _sign_in("alice@example.com", PASSWORD).json()["refresh"]
    responses = at_once(
        *[lambda: Api().post("/api/v1/auth/token/refresh", {"refresh": refresh})] * 10
    )
    assert sorted(r.status_code for r in responses) == [200] + [401] * 9


def test_sign_in_throttles_key_on_the_socket_not_on_x_forwarded_for(cast):
    statuses = [
        Api({"X-Forwarded-For": f"203.0.113.{n}"})
        .post("/api/v1/auth/token", {"email": f"x{n}@example.com", "password": "wrong"})
        .status_code
        for n in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_the_account_lockout_holds_when_the_cache_is_lost(cast):
    for _ in range(10):
        assert _sign_in("bob@example.com", "wrong-password").status_code == 401
    django_cache.clear()  # the cache forgets everything; the lockout is in PostgreSQL
    assert_error(_sign_in("bob@example.com", PASSWORD), 429, code="RATE_LIMITED")
