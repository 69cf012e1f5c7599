"""API.md §3 activities: create with server-computed fields, list, read, edit, delete."""

import pytest

from athletes.models import Activity
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

RUN = {
    "start_time": "2026-11-20T07:00:00Z",
    "distance": 10000,
    "duration": 3000,
    "avg_heart_rate": 150,
    "max_heart_rate": 172,
    "name": "Morning run",
}


def test_create_computes_zone_times_load_and_calories(cast):
    api = cast.api(cast.alice)
    api.patch("/api/v1/users/me", {"vdot": 50, "max_hr": 190, "resting_hr": 60, "weight_kg": 60})
    response = api.post("/api/v1/activities", RUN)
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["activity_id"].startswith("act_")
    # 5:00/km is slower than VDOT 50's 4:53 boundary: all 3000 s in pace Z1.
    assert [data[f"pace_z{i}_time"] for i in range(1, 6)] == [3000, 0, 0, 0, 0]
    # HR 150 of max 190: 60 % = 114, 70 % = 133, 80 % = 152 -> Z3.
    assert [data[f"hr_z{i}_time"] for i in range(1, 6)] == [0, 0, 3000, 0, 0]
    # Load: 50 min at x = 90/130 -> 100.44 · 50/60 = 83.7
    assert data["training_load"] == 83.7
    assert data["nexrex_training_load"] == 83.7
    # Calories: 1.0 · 60 kg · 10 km
    assert data["calories"] == 600
    assert data["source"] == "manual"


def test_create_keeps_device_calories(cast):
    data = cast.api(cast.alice).post("/api/v1/activities", {**RUN, "calories": 512}).json()["data"]
    assert data["calories"] == 512


def test_samples_drive_zone_times(cast):
    api = cast.api(cast.alice)
    api.patch("/api/v1/users/me", {"pace_zones": [293, 265, 246, 230]})
    samples = [
        {"t": 0, "distance": 0, "heart_rate": 140},
        {"t": 300, "distance": 1000, "heart_rate": 150},
        {"t": 540, "distance": 2000, "heart_rate": 170},
    ]
    data = api.post(
        "/api/v1/activities", {**RUN, "distance": 2000, "duration": 540, "samples": samples}
    ).json()["data"]
    assert data["pace_z1_time"] == 300  # 5:00/km
    assert data["pace_z4_time"] == 240  # 4:00/km
    full = api.get(f"/api/v1/activities/{data['activity_id']}", {"include": "samples"}).json()[
        "data"
    ]
    assert full["samples"]["distance"] == [0, 1000, 2000]
    assert full["sample_count"] == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start_time": None}, "start_time"),
        ({"start_time": "2026-11-20T07:00:00"}, "start_time"),
        ({"start_time": "yesterday"}, "start_time"),
        ({"distance": -1}, "distance"),
        ({"distance": "far"}, "distance"),
        ({"duration": 0}, "duration"),
        ({"source": "myspace"}, "source"),
        ({"avg_heart_rate": 900}, "avg_heart_rate"),
        ({"max_heart_rate": 120}, "max_heart_rate"),
        ({"elapsed_time": 10}, "elapsed_time"),
        ({"samples": [{"t": 10}, {"t": 5}]}, "samples"),
        ({"samples": [{"distance": 5}]}, "samples[0].t"),
    ],
)
def test_bad_activity_is_a_400_naming_the_field_and_stores_nothing(cast, change, field):
    body = {**RUN, **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert_error(
        cast.api(cast.alice).post("/api/v1/activities", body), 400, "VALIDATION_ERROR", field
    )
    assert not Activity.objects.exists()


def test_same_external_id_twice_is_a_409_naming_the_existing_activity(cast):
    api = cast.api(cast.alice)
    first = api.post(
        "/api/v1/activities", {**RUN, "source": "strava", "external_id": "s-1"}
    ).json()["data"]
    again = api.post(
        "/api/v1/activities",
        {**RUN, "start_time": "2026-11-21T07:00:00Z", "source": "strava", "external_id": "s-1"},
    )
    body = assert_error(again, 409, "DUPLICATE_ACTIVITY")
    assert body["details"]["activity_id"] == first["activity_id"]
    assert Activity.objects.count() == 1


def test_same_run_from_another_source_is_a_duplicate_unless_allowed(cast):
    api = cast.api(cast.alice)
    first = api.post(
        "/api/v1/activities", {**RUN, "source": "garmin", "external_id": "g-1"}
    ).json()["data"]
    # 90 s later, 2 % longer: the same run synced to Strava.
    twin = {
        **RUN,
        "start_time": "2026-11-20T07:01:30Z",
        "distance": 10200,
        "source": "strava",
        "external_id": "s-9",
    }
    body = assert_error(api.post("/api/v1/activities", twin), 409, "DUPLICATE_ACTIVITY")
    assert body["details"]["activity_id"] == first["activity_id"]
    assert api.post("/api/v1/activities?allow_overlap=true", twin).status_code == 201
    assert Activity.objects.count() == 2


def test_a_run_three_minutes_later_or_four_percent_longer_is_not_a_duplicate(cast):
    api = cast.api(cast.alice)
    api.post("/api/v1/activities", RUN)
    assert (
        api.post("/api/v1/activities", {**RUN, "start_time": "2026-11-20T07:03:00Z"}).status_code
        == 201
    )
    assert (
        api.post(
            "/api/v1/activities", {**RUN, "distance": 10400, "start_time": "2026-11-20T06:59:00Z"}
        ).status_code
        == 201
    )


def test_list_is_newest_first_and_paginated(cast):
    api = cast.api(cast.alice)
    for day in range(1, 6):
        api.post("/api/v1/activities", {**RUN, "start_time": f"2026-11-0{day}T07:00:00Z"})
    body = api.get("/api/v1/activities", {"per_page": 2, "page": 2}).json()["data"]
    assert [a["start_time"][:10] for a in body["activities"]] == ["2026-11-03", "2026-11-02"]
    assert body["metadata"] == {
        "total": 5,
        "page": 2,
        "per_page": 2,
        "total_pages": 3,
        "has_next": True,
        "has_prev": True,
    }


def test_list_filters_by_local_dates(cast):
    api = cast.api(cast.alice)  # Alice lives in America/Chicago (UTC-6 in November)
    api.post(
        "/api/v1/activities", {**RUN, "start_time": "2026-11-06T05:30:00Z"}
    )  # 23:30 on the 5th local
    body = api.get("/api/v1/activities", {"from": "2026-11-05", "to": "2026-11-05"}).json()["data"]
    assert body["metadata"]["total"] == 1
    assert_error(
        api.get("/api/v1/activities", {"from": "2026-11-06", "to": "2026-11-05"}), 400, field="to"
    )
    assert_error(api.get("/api/v1/activities", {"per_page": 201}), 400, field="per_page")


def test_edit_recomputes_and_delete_removes(cast):
    api = cast.api(cast.alice)
    created = api.post("/api/v1/activities", RUN).json()["data"]
    path = f"/api/v1/activities/{created['activity_id']}"
    edited = api.patch(path, {"duration": 3600, "name": "Slower"}).json()["data"]
    assert edited["duration"] == 3600
    assert edited["name"] == "Slower"
    assert edited["training_load"] > created["training_load"]
    assert_error(api.patch(path, {"distance": -5}), 400, field="distance")
    assert api.delete(path).status_code == 200
    assert_error(api.get(path), 404, "NOT_FOUND")


def test_activity_permission_matrix(cast):
    created = cast.api(cast.alice).post("/api/v1/activities", RUN).json()["data"]
    path = f"/api/v1/activities/{created['activity_id']}"
    assert cast.api(cast.cora).get(path).status_code == 200
    assert cast.api(cast.riverside_key).get(path).status_code == 200
    for outsider in (cast.bob, cast.olga, cast.charlie, cast.hilltop_key):
        assert_error(cast.api(outsider).get(path), 403, "PERMISSION_DENIED")
        assert_error(cast.api(outsider).delete(path), 403)
    assert_error(cast.api(None).get(path), 401)
    assert Activity.objects.count() == 1


def test_coach_and_api_key_write_for_their_athletes_only(cast):
    by_coach = cast.api(cast.cora).post(
        "/api/v1/activities", {**RUN, "user_id": cast.alice.public_id}
    )
    assert by_coach.status_code == 201
    assert by_coach.json()["data"]["user_id"] == cast.alice.public_id
    by_key = cast.api(cast.riverside_key).post(
        "/api/v1/activities",
        {**RUN, "start_time": "2026-11-21T07:00:00Z", "user_id": cast.alice.public_id},
    )
    assert by_key.status_code == 201
    assert by_key.json()["data"]["source"] == "api"
    assert_error(
        cast.api(cast.hilltop_key).post(
            "/api/v1/activities", {**RUN, "user_id": cast.alice.public_id}
        ),
        403,
    )
    assert_error(cast.api(cast.riverside_key).post("/api/v1/activities", RUN), 400, field="user_id")
    assert_error(
        cast.api(cast.cora).post("/api/v1/activities", {**RUN, "user_id": "usr_nobody0000000000"}),
        404,
    )


def test_a_listed_run_shows_what_its_own_page_shows(cast, django_assert_max_num_queries):
    """The list is built from one statement of plain rows: each row must still carry every
    field, value and mark the activity's own endpoint shows, and a page past the end still
    says how many there are."""
    api = cast.api(cast.alice)
    for day in range(1, 4):
        api.post(
            "/api/v1/activities",
            {**RUN, "start_time": f"2026-11-0{day}T07:00:00Z", "avg_heart_rate": 150 + day},
        )
    with django_assert_max_num_queries(6):  # the same for 3 rows as for 1 (API.md §1)
        listed = api.get("/api/v1/activities", {"per_page": 50}).json()["data"]["activities"]
    assert len(listed) == 3
    for row in listed:
        shown = api.get(f"/api/v1/activities/{row['activity_id']}").json()["data"]
        assert set(row) <= set(shown), set(row) - set(shown)
        assert row == {k: shown[k] for k in row}
    assert [row["avg_heart_rate"] for row in listed] == [153, 152, 151]  # newest first
    past = api.get("/api/v1/activities", {"page": 9, "per_page": 2}).json()["data"]
    assert past["activities"] == []
    assert past["metadata"]["total"] == 3 and past["metadata"]["total_pages"] == 2


def test_the_kept_list_never_outlives_a_write_a_new_zone_or_a_departure(cast):
    """API.md: editing or deleting an activity changes what includes it at once (no stale
    cache after a write). An integration polls the list (its rendered page is kept until the
    athlete's data changes): an edit, a new run, a new time zone (which moves `from`/`to`)
    and the athlete leaving the club each show on the very next poll."""
    key = cast.api(cast.riverside_key)
    alice = cast.api(cast.alice)
    params = {"user_id": cast.alice.public_id, "from": "2026-11-05", "to": "2026-11-05"}
    created = alice.post(
        "/api/v1/activities", {**RUN, "start_time": "2026-11-06T05:30:00Z"}
    ).json()["data"]  # 23:30 on the 5th in Chicago
    first = key.get("/api/v1/activities", params).json()["data"]["activities"]
    assert [a["name"] for a in first] == [created["name"]]
    assert key.get("/api/v1/activities", params).json()["data"]["activities"] == first

    alice.patch(f"/api/v1/activities/{created['activity_id']}", {"name": "Night tempo"})
    assert [
        a["name"] for a in key.get("/api/v1/activities", params).json()["data"]["activities"]
    ] == ["Night tempo"]
    alice.post("/api/v1/activities", {**RUN, "start_time": "2026-11-05T15:00:00Z"})
    assert key.get("/api/v1/activities", params).json()["data"]["metadata"]["total"] == 2

    # In Berlin the night run falls on the 6th: the 5th holds the afternoon run alone.
    assert alice.patch("/api/v1/users/me", {"timezone": "Europe/Berlin"}).status_code == 200
    assert key.get("/api/v1/activities", params).json()["data"]["metadata"]["total"] == 1

    owner = cast.api(cast.cora)
    gone = owner.delete(
        f"/api/v1/organizations/{cast.riverside.public_id}/members/{cast.alice.public_id}"
    )
    assert gone.status_code in (200, 204)
    assert key.get("/api/v1/activities", params).status_code in (403, 404)
