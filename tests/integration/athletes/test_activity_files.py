"""Activity files from real devices (../shared/data/activities/, its README lists what each
device recorded): POST /api/v1/activities/upload and `manage.py import_activities`."""

from __future__ import annotations

import gzip
import io
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from athletes.models import Activity, ActivityStream
from tests.conftest import ACTIVITY_FILES, assert_error

pytestmark = pytest.mark.django_db

DATA = ACTIVITY_FILES
URL = "/api/v1/activities/upload"


def data_file(name: str) -> bytes:
    path = DATA / name
    assert path.exists(), f"missing test data {path}"
    return path.read_bytes()


def upload(api, name: str, content: bytes | None = None, **extra):
    handle = io.BytesIO(data_file(name) if content is None else content)
    handle.name = name
    return api.post(URL, {"file": handle, **extra}, format="multipart")


@pytest.mark.parametrize(
    ("name", "start", "distance", "distance_tol", "moving", "avg_hr", "max_hr"),
    [
        # The file's own total: within 0.5 %.
        (
            "fitparse_2013-02-06-12-11-14_run.fit",
            "2013-02-06T12:11:14Z",
            4835.38,
            0.005,
            2625.14,
            147,
            171,
        ),
        (
            "fitparse_activity-small-fenix2-run.fit",
            "2015-08-15T14:45:08Z",
            9008.22,
            0.005,
            2832.0,
            153.9,
            178,
        ),
        ("fitparse_garmin-fenix-5-run.fit", "2017-06-11T14:34:09Z", 157.56, 0.005, 56.887, 90, 112),
        ("tcxparser_test_run.tcx", "2012-12-26T21:29:53Z", 4689.24, 0.005, 1992.78, None, 189),
        # GPS alone: within 1.5 % of the device's total (or of the track's great-circle length).
        (
            "fitparse_2013-02-06-12-11-14_run.gpx",
            "2013-02-06T12:11:14Z",
            4835.38,
            0.015,
            None,
            147,
            171,
        ),
        ("togeojson_run_gpxtpx.gpx", "2015-01-19T21:24:20Z", 3572.3, 0.015, 1256 - 160, 170.3, 187),
    ],
)
def test_device_files_match_what_the_device_showed(
    cast, name, start, distance, distance_tol, moving, avg_hr, max_hr
):
    response = upload(cast.api(cast.bob), name)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["start_time"] == start
    assert data["source"] == "file"
    # A Strava GPX without <type> names no sport: stored as `other`, never guessed (issue 17).
    assert data["sport"] == ("other" if name == "togeojson_run_gpxtpx.gpx" else "run")
    assert data["distance"] == pytest.approx(distance, rel=distance_tol)
    if moving is not None:
        # Timer time from FIT/TCX exactly; from a GPX, elapsed minus stops (about 160 s here).
        assert data["duration"] == pytest.approx(moving, rel=0.02)
    if avg_hr is not None:
        assert data["avg_heart_rate"] == pytest.approx(avg_hr, abs=1)
    assert data["max_heart_rate"] == max_hr
    # Zones and load come from the streams; pace zones add up to the moving time.
    assert data["training_load"] > 0
    assert ActivityStream.objects.filter(activity__public_id=data["activity_id"]).exists()


def test_zone_times_from_streams_add_up_to_moving_time(cast):
    api = cast.api(cast.bob)
    api.patch("/api/v1/users/me", {"vdot": 45, "max_hr": 190})
    data = upload(api, "fitparse_activity-small-fenix2-run.fit").json()["data"]
    pace = sum(data[f"pace_z{i}_time"] for i in range(1, 6))
    assert pace == pytest.approx(data["duration"], abs=1)
    hr = sum(data[f"hr_z{i}_time"] for i in range(1, 6))
    assert 0 < hr <= data["elapsed_time"]


def test_the_average_hr_is_the_devices_own_and_time_weighted_without_one(cast):
    # The Forerunner 110's session says 147 (its samples: 147.6 time-weighted, 148.1 plain):
    # the device's summary is the truth where it exists (issue 17). The Fenix 2's session has
    # no HR: the samples, time-weighted, give 153.9 (README).
    api = cast.api(cast.bob)
    data = upload(api, "fitparse_2013-02-06-12-11-14_run.fit").json()["data"]
    assert data["avg_heart_rate"] == 147
    data = upload(api, "fitparse_activity-small-fenix2-run.fit").json()["data"]
    assert data["avg_heart_rate"] == pytest.approx(153.9, abs=0.05)


def test_gpx_timer_and_elapsed_time_differ_when_the_runner_paused(cast):
    data = upload(cast.api(cast.bob), "togeojson_run_gpxtpx.gpx").json()["data"]
    assert data["elapsed_time"] == 1256
    assert data["elapsed_time"] - data["duration"] == pytest.approx(160, abs=30)


def test_streams_come_back_down_sampled_on_request(cast):
    api = cast.api(cast.bob)
    data = upload(api, "fitparse_activity-small-fenix2-run.fit").json()["data"]
    plain = api.get(f"/api/v1/activities/{data['activity_id']}").json()["data"]
    assert "samples" not in plain
    full = api.get(f"/api/v1/activities/{data['activity_id']}", {"include": "samples"}).json()[
        "data"
    ]
    assert full["sample_count"] == 2809
    assert len(full["samples"]["t"]) <= 1001
    assert full["samples"]["distance"][-1] == pytest.approx(9008.22, rel=0.005)
    assert full["samples"]["heart_rate"][0] == 69


def test_the_same_file_twice_is_a_duplicate_even_gzipped(cast):
    api = cast.api(cast.bob)
    first = upload(api, "fitparse_garmin-fenix-5-run.fit").json()["data"]
    body = assert_error(upload(api, "fitparse_garmin-fenix-5-run.fit"), 409, "DUPLICATE_ACTIVITY")
    assert body["details"]["activity_id"] == first["activity_id"]
    gz = gzip.compress(data_file("fitparse_garmin-fenix-5-run.fit"))
    assert_error(upload(api, "fitparse_garmin-fenix-5-run.fit.gz", gz), 409, "DUPLICATE_ACTIVITY")
    assert Activity.objects.count() == 1


def test_gpx_and_fit_of_the_same_run_are_one_run(cast):
    api = cast.api(cast.bob)
    fit = upload(api, "fitparse_2013-02-06-12-11-14_run.fit").json()["data"]
    body = assert_error(
        upload(api, "fitparse_2013-02-06-12-11-14_run.gpx"), 409, "DUPLICATE_ACTIVITY"
    )
    assert body["details"]["activity_id"] == fit["activity_id"]
    allowed = upload(api, "fitparse_2013-02-06-12-11-14_run.gpx", allow_overlap="true")
    assert allowed.status_code == 201
    assert Activity.objects.count() == 2


def test_a_gzip_file_is_read(cast):
    gz = gzip.compress(data_file("tcxparser_test_run.tcx"))
    data = upload(cast.api(cast.bob), "export.tcx.gz", gz).json()["data"]
    assert data["distance"] == pytest.approx(4689.24, rel=0.005)


def test_whitespace_before_the_xml_declaration_is_tolerated(cast):
    content = b"\n\n   " + data_file("tcxparser_test_run.tcx")
    assert upload(cast.api(cast.bob), "padded.tcx", content).status_code == 201


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        (
            "truncated.fit",
            data_file("fitparse_2013-02-06-12-11-14_run.fit")[:400],
            400,
            "INVALID_FILE",
        ),
        ("empty.gpx", b"", 400, "INVALID_FILE"),
        (
            "no-points.gpx",
            b'<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg></trkseg></trk></gpx>',
            400,
            "INVALID_FILE",
        ),
        ("broken.tcx", b"<TrainingCenterDatabase><Activities>", 400, "INVALID_FILE"),
        ("bad.gpx.gz", b"\x1f\x8b not really gzip", 400, "INVALID_FILE"),
        ("setup.exe", b"MZ\x90\x00 a windows program", 415, "UNSUPPORTED_FILE_TYPE"),
        ("notes.txt", b"ran 10k", 415, "UNSUPPORTED_FILE_TYPE"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(cast, name, content, status, code):
    assert_error(upload(cast.api(cast.bob), name, content), status, code, "file")
    assert not Activity.objects.exists()


def test_a_file_over_25_mb_is_a_413(cast):
    big = b"<gpx>" + b" " * (25 * 1024 * 1024 + 10)
    assert_error(upload(cast.api(cast.bob), "huge.gpx", big), 413, "FILE_TOO_LARGE", "file")
    assert not Activity.objects.exists()


def test_a_missing_file_field_is_a_400(cast):
    assert_error(cast.api(cast.bob).post(URL, {}, format="multipart"), 400, field="file")


def test_coach_and_key_upload_for_their_athletes_only(cast):
    assert (
        upload(
            cast.api(cast.cora), "fitparse_garmin-fenix-5-run.fit", user_id=cast.alice.public_id
        ).status_code
        == 201
    )
    assert_error(
        upload(cast.api(cast.olga), "tcxparser_test_run.tcx", user_id=cast.alice.public_id), 403
    )
    assert_error(
        upload(cast.api(cast.hilltop_key), "tcxparser_test_run.tcx", user_id=cast.alice.public_id),
        403,
    )
    assert (
        upload(
            cast.api(cast.riverside_key), "tcxparser_test_run.tcx", user_id=cast.alice.public_id
        ).status_code
        == 201
    )
    assert Activity.objects.filter(user=cast.alice).count() == 2


def test_bulk_import_of_a_folder_is_idempotent(cast, tmp_path, capsys):
    for name in (
        "fitparse_garmin-fenix-5-run.fit",
        "tcxparser_test_run.tcx",
        "togeojson_run_gpxtpx.gpx",
    ):
        (tmp_path / name).write_bytes(data_file(name))
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "fenix2.fit.gz").write_bytes(
        gzip.compress(data_file("fitparse_activity-small-fenix2-run.fit"))
    )
    (tmp_path / "broken.fit").write_bytes(b"\x0e\x10garbage")
    (tmp_path / "readme.txt").write_text("not an activity")
    call_command("import_activities", str(tmp_path), user="bob@example.com")
    assert "4 imported, 0 duplicate, 1 rejected" in capsys.readouterr().out
    call_command("import_activities", str(tmp_path), user="bob@example.com")
    assert "0 imported, 4 duplicate, 1 rejected" in capsys.readouterr().out
    assert Activity.objects.filter(user=cast.bob).count() == 4


def test_bulk_import_of_a_zip(cast, tmp_path, capsys):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activities/1.fit", data_file("fitparse_2013-02-06-12-11-14_run.fit"))
        zf.writestr(
            "activities/1.gpx", data_file("fitparse_2013-02-06-12-11-14_run.gpx")
        )  # the same run
        zf.writestr("activities/2.tcx.gz", gzip.compress(data_file("tcxparser_test_run.tcx")))
    call_command("import_activities", str(archive), user="bob@example.com")
    assert "2 imported, 1 duplicate, 0 rejected" in capsys.readouterr().out


def test_bulk_import_names_a_missing_user(cast, tmp_path):
    with pytest.raises(CommandError, match="no user"):
        call_command("import_activities", str(tmp_path), user="ghost@example.com")
