"""API.md §3 health metrics: upsert per (user, date), bulk all-or-nothing."""

from datetime import date

import pytest

from athletes.models import HealthMetric
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_single_entry_is_stored(cast):
    response = cast.api(cast.alice).post(
        "/api/v1/health_metrics", {"date": "2026-11-20", "resting_hr": 48, "hrv": 62}
    )
    assert response.status_code == 201
    assert response.json()["data"]["hrv"] == 62
    row = HealthMetric.objects.get(user=cast.alice, date=date(2026, 11, 20))
    assert (row.resting_hr, row.hrv, row.vo2_max) == (48, 62, None)


def test_later_write_wins_field_by_field(cast):
    api = cast.api(cast.alice)
    api.post("/api/v1/health_metrics", {"date": "2026-11-20", "resting_hr": 48, "hrv": 62})
    api.post("/api/v1/health_metrics", {"date": "2026-11-20", "hrv": 55, "vo2_max": 51.5})
    row = HealthMetric.objects.get(user=cast.alice, date=date(2026, 11, 20))
    assert (row.resting_hr, row.hrv, row.vo2_max) == (48, 55, 51.5)
    assert HealthMetric.objects.count() == 1


def test_bulk_upsert_stores_every_entry(cast):
    entries = [{"date": f"2026-11-{d:02d}", "resting_hr": 50 + d} for d in range(1, 11)]
    response = cast.api(cast.alice).post("/api/v1/health_metrics", {"entries": entries})
    assert response.status_code == 201
    assert response.json()["data"]["count"] == 10
    assert HealthMetric.objects.filter(user=cast.alice).count() == 10


def test_bulk_with_one_bad_entry_stores_nothing_and_names_it(cast):
    entries = [{"date": "2026-11-01", "hrv": 60}] * 3 + [{"date": "2026-11-04", "hrv": -5}]
    body = assert_error(
        cast.api(cast.alice).post("/api/v1/health_metrics", {"entries": entries}),
        400,
        "VALIDATION_ERROR",
    )
    assert body["details"]["field"] == "entries[3].hrv"
    assert not HealthMetric.objects.exists()


def test_bulk_limit_is_1000(cast):
    entries = [{"date": "2026-11-01", "hrv": 60}] * 1001
    assert_error(
        cast.api(cast.alice).post("/api/v1/health_metrics", {"entries": entries}),
        400,
        field="entries",
    )


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"resting_hr": 50}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "2026-11-01", "recovery_score": 101}, "recovery_score"),
        ({"date": "2026-11-01", "hrv": "high"}, "hrv"),
    ],
)
def test_bad_entry_names_the_field(cast, entry, field):
    assert_error(cast.api(cast.alice).post("/api/v1/health_metrics", entry), 400, field=field)


def test_api_key_writes_for_its_athletes_and_not_others(cast):
    entries = {
        "entries": [
            {"date": "2026-11-01", "user_id": cast.alice.public_id, "hrv": 60},
            {"date": "2026-11-01", "user_id": cast.bob.public_id, "hrv": 70},
        ]
    }
    assert cast.api(cast.riverside_key).post("/api/v1/health_metrics", entries).status_code == 201
    outsider = {
        "entries": [
            {"date": "2026-11-02", "user_id": cast.alice.public_id, "hrv": 60},
            {"date": "2026-11-02", "user_id": cast.dave.public_id, "hrv": 70},
        ]
    }
    body = assert_error(cast.api(cast.riverside_key).post("/api/v1/health_metrics", outsider), 403)
    assert body["details"]["field"] == "entries[1].user_id"
    assert HealthMetric.objects.count() == 2
