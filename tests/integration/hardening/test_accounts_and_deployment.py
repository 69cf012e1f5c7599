"""Accounts and tokens, the athlete's own data, and the deployment settings."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client

from athletes.models import Activity, HealthMetric, User
from tests.conftest import Api, assert_error, bearer
from tests.factories import make_activity, make_health

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_failed_sign_ins_lock_the_account_for_15_minutes(cast):
    for _ in range(10):
        assert_error(
            Api().post("/api/v1/auth/token", {"username": "alice", "password": "wrong"}), 401
        )
    locked = Api().post(
        "/api/v1/auth/token", {"username": "alice", "password": "correct-horse-battery-staple"}
    )
    assert_error(locked, 429, "RATE_LIMITED")
    # Another account is not affected.
    assert (
        Api()
        .post("/api/v1/auth/token", {"username": "bob", "password": "correct-horse-battery-staple"})
        .status_code
        == 200
    )
    # The sign-in page shares the lock.
    page = Client().post(
        "/login", {"username": "alice", "password": "correct-horse-battery-staple"}
    )
    assert page.status_code == 200 and b"Too many failed sign-ins" in page.content


def test_auth_endpoints_are_throttled_per_ip(cast):
    statuses = [
        Api().post("/api/v1/auth/token", {"username": f"nobody{i}", "password": "x"}).status_code
        for i in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_access_tokens_are_short_lived(cast, settings):
    assert settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] <= timedelta(minutes=15)
    assert (
        settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"]
        and settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"]
    )


def test_passwords_are_stored_hashed_and_keys_only_as_a_hash(cast):
    assert not User.objects.filter(password__contains="correct-horse").exists()
    from organizations.models import ApiKey

    assert not ApiKey.objects.filter(key_hash=cast.riverside_key).exists()


def test_export_has_every_part_of_the_athletes_data(cast):
    make_activity(cast.alice, datetime(2026, 11, 1, 7, tzinfo=UTC), distance=5000)
    make_health(cast.alice, date(2026, 11, 1), hrv=61)
    api = Api(bearer(cast.alice))
    api.post("/api/v1/goals", {"race_name": "10K", "race_date": "2027-01-01", "distance": 10000})
    response = api.get("/api/v1/users/me/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert {
        "profile.json",
        "activities.json",
        "activities.csv",
        "health_metrics.json",
        "health_metrics.csv",
        "goals.json",
        "plans.json",
        "integrations.json",
    } <= set(archive.namelist())
    assert json.loads(archive.read("profile.json"))["email"] == "alice@example.com"
    assert [a["distance"] for a in json.loads(archive.read("activities.json"))] == [5000]
    assert json.loads(archive.read("health_metrics.json"))[0]["hrv"] == 61
    assert b"activity_id" in archive.read("activities.csv")


def test_deleting_the_account_needs_the_password_and_removes_everything(cast):
    make_activity(cast.alice, datetime(2026, 11, 1, 7, tzinfo=UTC))
    make_health(cast.alice, date(2026, 11, 1), hrv=61)
    api = Api(bearer(cast.alice))
    assert_error(
        api.client.delete(
            "/api/v1/users/me", {"password": "wrong"}, format="json", headers=api.headers
        ),
        400,
        field="password",
    )
    assert User.objects.filter(pk=cast.alice.pk).exists()
    done = api.client.delete(
        "/api/v1/users/me",
        {"password": "correct-horse-battery-staple"},
        format="json",
        headers=api.headers,
    )
    assert done.status_code == 200
    assert not User.objects.filter(pk=cast.alice.pk).exists()
    assert not Activity.objects.exists() and not HealthMetric.objects.exists()
    assert_error(Api(bearer(cast.cora)).get(f"/api/v1/users/{cast.alice.public_id}"), 404)


def test_pages_carry_the_security_headers(cast):
    client = Client()
    client.force_login(cast.cora)
    response = client.get("/athletes")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    # No inline script anywhere: data reaches the charts as JSON, code from static files.
    profile = client.get(f"/athletes/{cast.alice.public_id}").content.decode()
    for chunk in profile.split("<script")[1:]:
        head = chunk.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head


def test_production_settings_pass_check_deploy_and_send_hsts_over_tls():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "astral.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
        "DJANGO_ALLOWED_HOSTS": "astral.example",
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    probe = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup();"
            "from django.test import Client;"
            "r = Client().get('/login', secure=True, HTTP_HOST='astral.example');"
            "print(r.status_code, r.headers.get('Strict-Transport-Security'), r.cookies.get('csrftoken')['secure']);"
            "r = Client().get('/login', HTTP_HOST='astral.example'); print(r.status_code, r['Location'])",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    secure_line, plain_line = probe.stdout.strip().splitlines()
    assert secure_line.startswith("200 max-age=31536000") and secure_line.endswith("True")
    assert plain_line == "301 https://astral.example/login"


def test_debug_pages_are_not_reachable():
    response = Client().get("/api/v1/definitely/not/here")
    assert b"Traceback" not in response.content and b"DEBUG" not in response.content


def test_with_debug_off_the_app_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env.update({"DJANGO_SETTINGS_MODULE": "astral.settings", "DJANGO_DEBUG": "0"})
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in check.stderr
