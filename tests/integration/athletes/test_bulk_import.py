"""A bulk import on every worker process (issue 17, point 7): each file of the folder or zip
is a task; a real Celery worker with two processes imports them; the batch counts every
file as it ends, so the command (and anyone) follows the progress."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from athletes.models import Activity, ImportBatch
from tests.conftest import ACTIVITY_FILES
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
