"""Issue 38: the athlete's export is complete (comments, laps, plan workouts, memberships,
the original files) in the format docs/guide.md documents, and Astral reads it back: the
same zip sent to `POST /api/v1/activities/import` restores the activities (from their files,
or from their JSON when they came from none), the daily readings and the goals."""

from __future__ import annotations

import io
import zipfile

import orjson
import pytest

from athletes.models import Activity
from tests.conftest import ACTIVITY_FILES
from tests.factories import make_user

pytestmark = pytest.mark.django_db

TCX = "tcxparser_test_run.tcx"


def the_export(api) -> zipfile.ZipFile:
    answer = api.client.get("/api/v1/users/me/export", headers=api.headers)
    assert answer.status_code == 200
    return zipfile.ZipFile(io.BytesIO(answer.content))


def read(archive: zipfile.ZipFile, name: str):
    return orjson.loads(archive.read(name))


def test_the_export_holds_everything_and_comes_back_whole(cast):
    alice = cast.api(cast.alice)
    coach = cast.api(cast.cora)
    sent = (ACTIVITY_FILES / TCX).read_bytes()
    handle = io.BytesIO(sent)
    handle.name = TCX
    from_file = alice.post("/api/v1/activities/upload", {"file": handle}, format="multipart")
    from_file = from_file.json()["data"]
    assert (
        coach.post(
            f"/api/v1/activities/{from_file['activity_id']}/comments", {"text": "Strong finish!"}
        ).status_code
        == 201
    )
    # A run pushed by her phone: three samples, no file.
    typed = alice.post(
        "/api/v1/activities",
        {
            "start_time": "2026-11-21T08:00:00+01:00",
            "distance": 10000,
            "duration": 3000,
            "avg_heart_rate": 150,
            "name": "Parkrun and home",
            "samples": [
                {"t": 0, "distance": 0, "heart_rate": 120},
                {"t": 1500, "distance": 5000, "heart_rate": 150},
                {"t": 3000, "distance": 10000, "heart_rate": 165},
            ],
        },
    ).json()["data"]
    alice.post("/api/v1/health_metrics", {"date": "2026-11-20", "resting_hr": 48, "hrv": 71})
    alice.post(
        "/api/v1/goals",
        {
            "race_name": "Chicago",
            "race_date": "2027-10-10",
            "distance": 42195,
            "goal_time": "3:29:00",
        },
    )
    plan = coach.post(
        "/api/v1/plans",
        {
            "name": "Base",
            "org_id": cast.riverside.public_id,
            "total_weeks": 2,
            "workouts": [{"week": 2, "day": 4, "type": "tempo", "distance": 8000}],
        },
    ).json()["data"]
    coach.post(
        f"/api/v1/plans/{plan['plan_id']}/assign",
        {"user_ids": [cast.alice.public_id], "start_date": "2026-11-18"},
    )

    archive = the_export(alice)
    manifest = read(archive, "astral-export.json")
    assert (manifest["format"], manifest["user_id"]) == ("astral-export", cast.alice.public_id)
    activities = {a["activity_id"]: a for a in read(archive, "activities.json")}
    kept = activities[from_file["activity_id"]]
    # The original file, byte for byte, and the laps the device wrote.
    assert archive.read(kept["file"]) == sent
    assert len(kept["laps"]) >= 1
    assert [c["text"] for c in kept["comments"]] == ["Strong finish!"]
    assert activities[typed["activity_id"]]["file"] is None
    assert activities[typed["activity_id"]]["samples"]["heart_rate"] == [120, 150, 165]
    (membership,) = read(archive, "memberships.json")
    assert (membership["organization"], membership["role"], membership["coach"]) == (
        "Riverside Runners",
        "athlete",
        "Cora Coach",
    )
    (following,) = read(archive, "plans.json")
    # Week 1 is the ISO week of Wednesday 18 Nov; its week 2's Thursday (day 4) is 26 Nov.
    assert [(w["date"], w["type"], w["distance"]) for w in following["workouts"]] == [
        ("2026-11-26", "tempo", 8000)
    ]
    assert "files/" in archive.read("README.txt").decode()

    # Sent back as a new account on another Astral: the same runs, readings and goal.
    again = cast.api(make_user("alice2", email="alice2@example.com"))
    zipped = io.BytesIO(the_export(alice).fp.getvalue())
    zipped.name = "astral-alice.zip"
    answer = again.post("/api/v1/activities/import", {"file": zipped}, format="multipart")
    assert answer.status_code == 202, answer.content
    batch = answer.json()["data"]
    assert (batch["total"], batch["imported"], batch["rejected"]) == (2, 2, 0), batch
    restored = {a["name"]: a for a in again.get("/api/v1/activities").json()["data"]["activities"]}
    assert restored["Parkrun and home"]["distance"] == 10000
    assert restored["Parkrun and home"]["avg_heart_rate"] == 150
    assert restored["Parkrun and home"]["start_time"].startswith("2026-11-21T07:00:00")
    assert restored[from_file["name"]]["distance"] == from_file["distance"]
    days = {"from": "2026-11-20", "to": "2026-11-20"}
    reading = again.get("/api/v1/analytics/health_metrics", days).json()["data"]["series"][0]
    assert (reading["resting_hr"], reading["hrv"]) == (48, 71)
    goals = again.get("/api/v1/goals").json()["data"]
    goals = goals.get("goals", goals) if isinstance(goals, dict) else goals
    assert [(g["race_name"], g["goal_time"]) for g in goals] == [("Chicago", "3:29:00")]

    # The same zip twice stores nothing twice.
    zipped.seek(0)
    twice = again.post("/api/v1/activities/import", {"file": zipped}, format="multipart")
    assert (twice.json()["data"]["imported"], twice.json()["data"]["duplicate"]) == (0, 2)
    assert Activity.objects.filter(user__username="alice2").count() == 2
    goals = again.get("/api/v1/goals").json()["data"]
    goals = goals.get("goals", goals) if isinstance(goals, dict) else goals
    assert len(goals) == 1


def test_a_damaged_export_row_is_named_and_the_rest_restored(cast):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("astral-export.json", orjson.dumps({"format": "astral-export", "version": 1}))
        out.writestr(
            "activities.json",
            orjson.dumps(
                [
                    {"start_time": "2026-11-20T07:00:00Z", "distance": "far", "duration": 10},
                    {
                        "start_time": "2026-11-21T07:00:00Z",
                        "distance": 5000,
                        "duration": 1500,
                        "name": "Kept",
                    },
                ]
            ),
        )
    archive.seek(0)
    archive.name = "export.zip"
    api = cast.api(cast.bob)
    batch = api.post("/api/v1/activities/import", {"file": archive}, format="multipart")
    batch = batch.json()["data"]
    assert (batch["imported"], batch["rejected"]) == (1, 1)
    assert batch["problems"] == ["activities.json[0]: distance is not a number"]
    assert [a.name for a in Activity.objects.filter(user=cast.bob)] == ["Kept"]


def test_a_multisport_file_comes_back_as_its_legs_once(cast):
    bob = cast.api(cast.bob)
    handle = io.BytesIO((ACTIVITY_FILES / "multisport_bike_run_fr945.fit").read_bytes())
    handle.name = "brick.fit"
    legs = bob.post("/api/v1/activities/upload", {"file": handle}, format="multipart")
    legs = legs.json()["data"]["legs"]
    bob.patch(f"/api/v1/activities/{legs[1]['activity_id']}", {"name": "Brick run off the bike"})
    archive = the_export(bob)
    rows = read(archive, "activities.json")
    assert len({row["file"] for row in rows}) == 1  # one file, named by both legs

    again = cast.api(make_user("bob2", email="bob2@example.com"))
    zipped = io.BytesIO(archive.fp.getvalue())
    zipped.name = "astral-bob.zip"
    batch = again.post("/api/v1/activities/import", {"file": zipped}, format="multipart")
    assert (batch.json()["data"]["imported"], batch.json()["data"]["total"]) == (2, 2)
    restored = Activity.objects.filter(user__username="bob2").order_by("leg")
    assert [(a.leg, a.sport) for a in restored] == [(1, legs[0]["sport"]), (2, legs[1]["sport"])]
    assert restored[1].name == "Brick run off the bike"


def test_the_settings_download_goes_back_in_through_the_upload_form(cast):
    """The page's way: Settings → Download my data, then the profile's upload form takes the
    zip and lands on the run library."""
    from tests.conftest import signed_in

    handle = io.BytesIO((ACTIVITY_FILES / TCX).read_bytes())
    handle.name = TCX
    cast.api(cast.bob).post("/api/v1/activities/upload", {"file": handle}, format="multipart")
    zipped = io.BytesIO(signed_in(cast.bob).get("/settings/export").content)
    zipped.name = "astral-bob.zip"
    newcomer = make_user("bob3", email="bob3@example.com")
    page = signed_in(newcomer)
    answer = page.post(f"/athletes/{newcomer.public_id}/upload", {"file": zipped})
    assert answer["Location"] == f"/athletes/{newcomer.public_id}/activities"
    shown = page.get(answer["Location"]).content.decode()
    assert "Importing 1 activities from the zip: 1 imported" in shown
    assert Activity.objects.filter(user=newcomer).count() == 1
