"""Issue 32, point 6: imports always finish. The request reads only the zip's directory and
answers 202; each member is bounded by /upload's 25 MB on the bytes it really unpacks to,
never its header's claim; a damaged, encrypted or unknown member is a rejected file with its
reason; and a batch whose worker died is ended by the sweeper, never left at 14 of 20.

The zips are built here with Python's zipfile and then damaged by hand, byte by byte, as a
broken download or a hostile client would send them."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from athletes.models import Activity, ImportBatch, ImportChunk
from athletes.services.imports import import_batches_finish_stalled
from tests.conftest import ACTIVITY_FILES

pytestmark = pytest.mark.django_db
RUN = (ACTIVITY_FILES / "tcxparser_test_run.tcx").read_bytes()
MB = 1024 * 1024


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytearray:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return bytearray(buffer.getvalue())


def _local_header(data: bytearray, name: str) -> int:
    """Where a member's local header starts: 30 bytes before its first name."""
    return data.index(name.encode()) - 30


def _central_header(data: bytearray, name: str) -> int:
    """Where its central directory entry starts: 46 bytes before its last name."""
    return data.rindex(name.encode()) - 46


def _post(cast, data: bytes):
    upload = io.BytesIO(bytes(data))
    upload.name = "export.zip"
    return cast.api(cast.alice).post(
        "/api/v1/activities/import", {"file": upload}, format="multipart"
    )


def test_damaged_encrypted_unknown_and_lying_members_are_rejected_files(cast):
    data = _zip(
        {
            "activities/a_good.tcx": RUN,
            "activities/b_bad_crc.tcx": RUN.replace(b"Running", b"Biking!", 1),
            "activities/c_encrypted.tcx": RUN,
            "activities/d_unknown_method.tcx": RUN,
            "activities/e_lying_size.tcx": b"<x/>" * 200_000,
        }
    )
    # b: the stored CRC of the member is wrong (local and central headers).
    for at in (
        _local_header(data, "activities/b_bad_crc.tcx") + 14,
        _central_header(data, "activities/b_bad_crc.tcx") + 16,
    ):
        data[at : at + 4] = struct.pack("<I", 0xDEADBEEF)
    # c: the "encrypted" flag (bit 0) in both headers.
    data[_local_header(data, "activities/c_encrypted.tcx") + 6] |= 1
    data[_central_header(data, "activities/c_encrypted.tcx") + 8] |= 1
    # d: compression method 99 (AES), unknown to any reader here.
    for at in (
        _local_header(data, "activities/d_unknown_method.tcx") + 8,
        _central_header(data, "activities/d_unknown_method.tcx") + 10,
    ):
        data[at : at + 2] = struct.pack("<H", 77)
    # e: the header claims 100 bytes; it unpacks to 800 KB.
    for at in (
        _local_header(data, "activities/e_lying_size.tcx") + 22,
        _central_header(data, "activities/e_lying_size.tcx") + 24,
    ):
        data[at : at + 4] = struct.pack("<I", 100)
    response = _post(cast, data)
    assert response.status_code == 202, response.content
    batch = response.json()["data"]
    assert (batch["total"], batch["done"], batch["finished"]) == (5, 5, True)
    assert (batch["imported"], batch["rejected"]) == (1, 4)
    problems = " ".join(batch["problems"])
    for name in ("b_bad_crc", "c_encrypted", "d_unknown_method", "e_lying_size"):
        assert name in problems
    assert "encrypted" in problems
    assert Activity.objects.filter(user=cast.alice).count() == 1
    assert not ImportChunk.objects.exists()  # the kept zip is gone once unpacked


def test_a_member_larger_than_an_upload_when_unpacked_is_refused_unread_past_the_limit(cast):
    """A 26 MB member of zeros (a few KB compressed): /upload refuses 25 MB, so does the
    import, after reading at most 25 MB + 1 byte of it."""
    data = _zip({"activities/zeros.gpx": b"\0" * (26 * MB), "activities/run.tcx": RUN})
    assert len(data) < MB
    batch = _post(cast, data).json()["data"]
    assert (batch["imported"], batch["rejected"], batch["finished"]) == (1, 1, True)
    assert "zeros.gpx" in batch["problems"][0] and "25 MB" in batch["problems"][0]


def test_a_batch_whose_worker_died_is_ended_by_the_sweeper(cast):
    batch = ImportBatch.objects.create(user=cast.alice, total=20, done=14, imported=14)
    ImportBatch.objects.filter(pk=batch.pk).update(touched_at=timezone.now() - timedelta(hours=1))
    fresh = ImportBatch.objects.create(user=cast.alice, total=5, done=1, imported=1)
    assert import_batches_finish_stalled() == 1
    batch.refresh_from_db()
    assert (batch.done, batch.total, batch.imported, batch.rejected) == (20, 20, 14, 6)
    assert "6 files not imported" in batch.problems[-1]
    fresh.refresh_from_db()
    assert fresh.done == 1  # still moving: left alone
    progress = cast.api(cast.alice).get(f"/api/v1/imports/{batch.public_id}").json()["data"]
    assert progress["finished"] is True
