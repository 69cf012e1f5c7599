"""Issue 33 and 38: the file a run came from is kept (compressed) and given back as sent,
from the activity page and `GET /api/v1/activities/{id}/file`, to whoever may see the run."""

from __future__ import annotations

import gzip
import io

import pytest

from athletes.models import ActivityFile
from tests.conftest import ACTIVITY_FILES, assert_error, signed_in

pytestmark = pytest.mark.django_db


def upload(api, name: str, content: bytes):
    handle = io.BytesIO(content)
    handle.name = name
    answer = api.post("/api/v1/activities/upload", {"file": handle}, format="multipart")
    assert answer.status_code == 201, answer.content
    return answer.json()["data"]


def test_the_uploaded_file_comes_back_byte_for_byte_under_its_name(cast):
    sent = (ACTIVITY_FILES / "tcxparser_test_run.tcx").read_bytes()
    run = upload(cast.api(cast.alice), "tcxparser_test_run.tcx", sent)["activity_id"]

    answer = cast.api(cast.alice).client.get(
        f"/api/v1/activities/{run}/file", headers=cast.api(cast.alice).headers
    )
    assert answer.status_code == 200
    assert answer.content == sent
    assert 'filename="tcxparser_test_run.tcx"' in answer["Content-Disposition"]
    # Kept compressed: a TCX's XML shrinks well below its size.
    kept = ActivityFile.objects.get()
    assert kept.size == len(sent) and len(kept.data) < len(sent) / 3

    # Her coach reads it too, from the run's page; another club's coach does not.
    coach = cast.api(cast.cora)
    assert coach.client.get(f"/api/v1/activities/{run}/file", headers=coach.headers).content == sent
    page = signed_in(cast.cora).get(f"/activities/{run}")
    assert f'href="/activities/{run}/file"' in page.content.decode()
    assert signed_in(cast.cora).get(f"/activities/{run}/file").content == sent
    outsider = cast.api(cast.olga)
    assert outsider.client.get(
        f"/api/v1/activities/{run}/file", headers=outsider.headers
    ).status_code in (403, 404)
    assert signed_in(cast.olga).get(f"/activities/{run}/file").status_code in (403, 404)


def test_a_gzipped_upload_comes_back_as_the_device_wrote_it(cast):
    raw = (ACTIVITY_FILES / "fitparse_activity-small-fenix2-run.fit").read_bytes()
    run = upload(cast.api(cast.bob), "fenix2.fit.gz", gzip.compress(raw))["activity_id"]
    api = cast.api(cast.bob)
    answer = api.client.get(f"/api/v1/activities/{run}/file", headers=api.headers)
    assert answer.content == raw
    assert 'filename="fenix2.fit"' in answer["Content-Disposition"]


def test_a_multisport_file_is_kept_once_and_each_leg_gives_it_back(cast):
    raw = (ACTIVITY_FILES / "multisport_bike_run_fr945.fit").read_bytes()
    api = cast.api(cast.bob)
    ids = [leg["activity_id"] for leg in upload(api, "brick.fit", raw)["legs"]]
    assert len(ids) == 2  # a ride and a run
    for leg in ids:
        answer = api.client.get(f"/api/v1/activities/{leg}/file", headers=api.headers)
        assert answer.content == raw
    assert ActivityFile.objects.count() == 1


def test_a_run_typed_in_has_no_file_and_says_so(cast):
    api = cast.api(cast.bob)
    run = api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-20T07:00:00Z", "distance": 5000, "duration": 1500},
    ).json()["data"]["activity_id"]
    answer = api.client.get(f"/api/v1/activities/{run}/file", headers=api.headers)
    assert_error(answer, 404, "NOT_FOUND")
    assert "not uploaded as a file" in answer.json()["error"]
    assert (
        'data-testid="original-file"'
        not in signed_in(cast.bob).get(f"/activities/{run}").content.decode()
    )
