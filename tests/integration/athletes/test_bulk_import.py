"""A bulk import on every worker process (issue 17, point 7): each file of the folder or zip
is a task; a real Celery worker with two processes imports them; the batch counts every
file as it ends, so the command (and anyone) follows the progress."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core.management import call_command

from athletes.models import Activity, ImportBatch
from tests.conftest import ACTIVITY_FILES, assert_error
from tests.workers import celery_worker

FILES = (
    "fitparse_garmin-fenix-5-run.fit",
    "tcxparser_test_run.tcx",
    "treadmill_run_fr945.tcx",
    "run_intervals_16laps_fr945.tcx",
    "walk_vivoactivehr.tcx",
    "multisport_bike_run_fr945.fit",
    "course_route.tcx",  # not an activity: rejected, with its reason
)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_folder_is_imported_by_two_worker_processes(cast, tmp_path, capsys):
    for name in FILES:
        (tmp_path / name).write_bytes((ACTIVITY_FILES / name).read_bytes())
    with celery_worker("bulk-import-worker", processes=2) as log:
        call_command("import_activities", str(tmp_path), user="bob@example.com")
        out = capsys.readouterr()
        assert "6 imported, 0 duplicate, 1 rejected" in out.out
        assert "course_route.tcx" in out.err and "course" in out.err
        # The tasks ran in the worker, on both of its processes.
        text = log.read_text()
        ran = set(re.findall(r"(ForkPoolWorker-\d+)\].*import_file.*succeeded", text))
        assert len(ran) == 2, text[-2000:]
    batch = ImportBatch.objects.get()
    assert (batch.total, batch.done, batch.imported, batch.rejected) == (7, 7, 6, 1)
    # The brick's two legs are two activities: 7 activities from 6 files.
    assert Activity.objects.filter(user=cast.bob).count() == 7


def export_zip(names):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(f"activities/{name}", (ACTIVITY_FILES / name).read_bytes())
        archive.writestr("profile.csv", "not an activity")
    buffer.seek(0)
    buffer.name = "export.zip"
    return buffer


@pytest.mark.django_db
def test_a_whole_export_is_imported_through_the_api_and_followed(cast):
    api = cast.api(cast.cora)
    response = api.post(
        "/api/v1/activities/import",
        {"file": export_zip(FILES), "user_id": cast.alice.public_id},
        format="multipart",
    )
    assert response.status_code == 202, response.content
    data = response.json()["data"]
    # No broker here: the files ran in place, so the batch is already finished.
    assert (data["total"], data["imported"], data["rejected"], data["finished"]) == (7, 6, 1, True)
    assert "course_route.tcx" in data["problems"][0]
    # Her snapshot is computed once, when the last file ends, from all six activities.
    from analytics.models import AthleteSnapshot

    cast.alice.refresh_from_db()
    snapshot = AthleteSnapshot.objects.get(user=cast.alice)
    assert snapshot.source_version == cast.alice.data_version
    progress = cast.api(cast.alice).get(f"/api/v1/imports/{data['import_id']}").json()["data"]
    assert progress["done"] == 7
    assert_error(cast.api(cast.olga).get(f"/api/v1/imports/{data['import_id']}"), 403)
    # The same export again: every activity a duplicate, the course still rejected.
    again = api.post(
        "/api/v1/activities/import",
        {"file": export_zip(FILES), "user_id": cast.alice.public_id},
        format="multipart",
    ).json()["data"]
    assert (again["imported"], again["duplicate"], again["rejected"]) == (0, 6, 1)


@pytest.mark.django_db
def test_an_import_that_is_not_a_zip_is_a_400_and_a_zip_upload_is_pointed_there(cast):
    api = cast.api(cast.alice)
    single = io.BytesIO((ACTIVITY_FILES / "tcxparser_test_run.tcx").read_bytes())
    single.name = "run.tcx"
    assert_error(api.post("/api/v1/activities/import", {"file": single}, format="multipart"),
                 400, "INVALID_FILE", "file")  # fmt: skip
    body = assert_error(
        api.post("/api/v1/activities/upload", {"file": export_zip(FILES[:1])}, format="multipart"),
        415,
    )
    assert "/api/v1/activities/import" in body["error"]
    assert not Activity.objects.exists()
