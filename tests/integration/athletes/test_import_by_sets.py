"""Issue 36, item 1: a bulk import writes its files a set at a time. Each set's files are
parsed and computed before the athlete is locked, their duplicates found in one read (among
the stored runs and among each other), each table written once for the set, and the
athlete's data changes once per set, not per file. What PostgreSQL keeps from those writes
(month and club totals, effort places) must still equal a count from scratch."""

from __future__ import annotations

import base64
import zlib
from datetime import date, timedelta

import pytest

from athletes import files
from athletes.models import Activity, ActivityFile, BestEffort, ImportBatch
from athletes.services import imports
from athletes.services.activities import activity_import_file
from athletes.tasks import import_file
from tests.conftest import ACTIVITY_FILES
from tests.integration.analytics.test_club_totals import (
    assert_equal_to_recomputation as club_totals_exact,
)
from tests.integration.analytics.test_effort_places import expected_places, stored_places
from tests.integration.analytics.test_month_totals import (
    assert_equal_to_recomputation as month_totals_exact,
)

pytestmark = pytest.mark.django_db

RUN = (ACTIVITY_FILES / "run_intervals_16laps_fr945.tcx").read_text()
RUN_DAY = date(2025, 9, 24)


def run_moved(days: int) -> bytes:
    """The Forerunner 945's 16-lap run (12.9 km), moved `days` earlier."""
    return RUN.replace(RUN_DAY.isoformat(), (RUN_DAY - timedelta(days=days)).isoformat()).encode()


def members(named: list[tuple[str, bytes]]):
    return [(name, lambda content=content: content) for name, content in named]


def test_a_batch_written_in_sets_counts_every_file_and_keeps_every_table_exact(cast):
    alice = cast.alice  # a Riverside athlete: her runs count in the club's totals
    activity_import_file(user=alice, filename="stored.tcx", content=run_moved(40))
    alice.refresh_from_db()
    version = alice.data_version
    named = [(f"run-{i}.tcx", run_moved(i)) for i in range(2)]
    # The same file twice in one set (16 files: sets of 2): the second is a duplicate.
    named += [("run-2.tcx", run_moved(2)), ("copy-of-run-2.tcx", run_moved(2))]
    # The same run from another source (another file, the same start and distance).
    named += [("run-3.tcx", run_moved(3)), ("run-3-resaved.tcx", run_moved(3) + b"\n")]
    named += [(f"run-{i}.tcx", run_moved(i)) for i in range(4, 12)]
    named += [("brick.fit", (ACTIVITY_FILES / "multisport_bike_run_fr945.fit").read_bytes())]
    named += [("course.tcx", (ACTIVITY_FILES / "course_route.tcx").read_bytes())]  # no activity
    assert len(named) == 16

    batch = imports.import_batch_start(user=alice, members=members(named))

    batch.refresh_from_db()
    # Runs 0-11 and the brick stored; the copy and the resaved run duplicates; the course
    # rejected with its reason.
    assert (batch.done, batch.imported, batch.duplicate, batch.rejected) == (16, 13, 2, 1)
    assert len(batch.problems) == 1 and batch.problems[0].startswith("course.tcx: ")
    assert Activity.objects.filter(user=alice).count() == 1 + 12 + 2  # the brick's two legs
    # Each stored file kept once (the brick's with its first leg), as sent.
    kept = ActivityFile.objects.filter(activity__user=alice)
    assert kept.count() == 1 + 12 + 1
    run_5 = kept.get(filename="run-5.tcx")
    assert files.file_kind(run_5.filename, bytes(run_5.data))[1] == run_moved(5)
    # One data change per set (8 sets of 2, each storing something), not one per file.
    alice.refresh_from_db()
    assert alice.data_version - version == 8
    # What PostgreSQL keeps from the sets' statements equals a count from scratch.
    month_totals_exact()
    club_totals_exact()
    assert BestEffort.objects.filter(user=alice).exists()
    assert stored_places() == expected_places()

    # The same files again: all duplicates, whichever set they fall in.
    again = imports.import_batch_start(user=alice, members=members(named))
    again.refresh_from_db()
    assert (again.imported, again.duplicate, again.rejected) == (0, 15, 1)


def test_a_file_that_breaks_its_set_is_the_only_one_refused(cast, monkeypatch):
    """Should a set fail as a whole (here a parser fault on one file), its files are
    imported one by one: the other seven are stored, the one at fault is rejected and
    logged, and the batch still reaches its end."""
    parse = files.parse

    def faulty(kind: str, raw: bytes):
        if b"2025-09-20" in raw:
            raise RuntimeError("a parser fault")
        return parse(kind, raw)

    monkeypatch.setattr(files, "parse", faulty)
    named = [(f"run-{i}.tcx", run_moved(i)) for i in range(8)]
    batch = imports.import_batch_create(user=cast.bob, total=8)
    outcomes = imports.import_batch_files(batch_id=batch.pk, uploads=named)
    assert outcomes == ["imported"] * 4 + ["rejected"] + ["imported"] * 3
    batch.refresh_from_db()
    assert (batch.done, batch.imported, batch.rejected) == (8, 7, 1)
    assert batch.problems == ["run-4.tcx: could not be imported (an error was logged)"]
    assert Activity.objects.filter(user=cast.bob).count() == 7


def test_a_file_task_sent_before_sets_still_imports(cast):
    """A task of one file, queued by the previous release (its file zlib-compressed), is
    taken after an upgrade and imported like a set of one."""
    batch = imports.import_batch_create(user=cast.bob, total=1)
    payload = base64.b64encode(zlib.compress(run_moved(0), 1)).decode()
    assert import_file(batch.pk, "old.tcx", payload, False) == ["imported"]
    batch.refresh_from_db()
    assert (batch.done, batch.imported) == (1, 1)
    kept = ActivityFile.objects.get(activity__user=cast.bob)
    assert files.file_kind(kept.filename, bytes(kept.data))[1] == run_moved(0)
    assert ImportBatch.objects.get(pk=batch.pk).touched_at is not None
