"""Issue 32: nothing one person sends can hurt anyone else. Each class is closed where it
cannot come back: PostgreSQL refuses non-finite numbers and dates outside 1900–2199 whatever
the path, the API's one float field refuses `NaN` as a string, and text PostgreSQL cannot
store (NUL, unpaired surrogates) is a 400 naming the field on every way in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction

from athletes.models import ActivityComment, HealthMetric, User
from tests.conftest import assert_error, signed_in
from tests.factories import make_activity

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-inf", "1e999"])
def test_a_non_finite_health_reading_is_a_400_and_the_coach_s_roster_stays_up(cast, value):
    response = cast.api(cast.alice).post(
        "/api/v1/health_metrics", {"date": "2026-11-20", "hrv": value}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "hrv")
    assert not HealthMetric.objects.filter(user=cast.alice).exists()
    roster = cast.api(cast.cora).get(
        "/api/v1/analytics/coach_athletes_metrics", {"org_id": cast.riverside.public_id}
    )
    assert roster.status_code == 200
    assert signed_in(cast.cora).get("/athletes").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/users/me", {"vdot": "NaN"}, "vdot"),
        ("/api/v1/users/me", {"weight_kg": "Infinity"}, "weight_kg"),
    ],
)
def test_non_finite_profile_numbers_are_refused(cast, path, body, field):
    assert_error(cast.api(cast.alice).patch(path, body), 400, "VALIDATION_ERROR", field)
    cast.alice.refresh_from_db()
    assert (cast.alice.vdot, cast.alice.weight_kg) == (None, None)


def test_postgresql_refuses_a_non_finite_number_on_any_path(cast):
    """The admin, a task or a shell cannot store one either: the CHECK is in the table."""
    activity = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    for table, column, where in (
        ("athletes_activity", "distance", activity.pk),
        ("athletes_user", "vdot", cast.alice.pk),
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET {column} = 'NaN' WHERE id = %s", [where])  # noqa: S608 (our own table names)
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthMetric.objects.create(user=cast.alice, date=date(2026, 11, 20), hrv=float("inf"))


def test_postgresql_refuses_a_date_outside_1900_to_2199(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        HealthMetric.objects.create(user=cast.alice, date=date(1, 1, 1), hrv=50)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_activity(cast.alice, datetime(9999, 1, 1, tzinfo=UTC))
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=cast.alice.pk).update(birth_date=date(1800, 1, 1))


def test_every_float_column_has_a_finite_check():
    """A float column added later without its CHECK fails here."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.table_name || '.' || c.column_name FROM information_schema.columns c
            WHERE c.table_schema = 'public' AND c.data_type IN ('double precision', 'real')
              AND split_part(c.table_name, '_', 1) IN ('athletes', 'organizations', 'analytics')
              AND NOT EXISTS (
                SELECT 1 FROM pg_constraint k JOIN pg_class t ON t.oid = k.conrelid
                WHERE t.relname = c.table_name AND k.contype = 'c'
                  AND k.conname = c.table_name || '_' || c.column_name || '_finite')
            """
        )
        unchecked = [row[0] for row in cursor.fetchall()]
    assert unchecked == []


@pytest.mark.parametrize(
    "raw",
    [
        '{"date": "2026-11-20", "hrv": 50, "source": "\\ud800"}',
        '{"date": "2026-11-20", "hrv": 50, "source": "a\\u0000b"}',
    ],
)
def test_unstorable_text_in_json_is_a_400_naming_the_field(cast, raw):
    response = cast.api(cast.alice).client.post(
        "/api/v1/health_metrics",
        raw,
        content_type="application/json",
        headers=cast.api(cast.alice).headers,
    )
    body = assert_error(response, 400, "VALIDATION_ERROR", "source")
    assert "NUL" in body["error"] or "surrogate" in body["error"]
    assert not HealthMetric.objects.exists()


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(cast):
    response = cast.api(cast.alice).get("/api/v1/activities", {"from": "2026-01-01\x00"})
    assert_error(response, 400, "VALIDATION_ERROR", "from")


def test_a_nul_in_a_page_form_is_a_400_and_stores_nothing(cast):
    activity = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    page = signed_in(cast.alice)
    response = page.post(f"/activities/{activity.public_id}/comments", {"text": "great\x00run"})
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not ActivityComment.objects.exists()
    # the same comment without it is stored
    page.post(f"/activities/{activity.public_id}/comments", {"text": "great run"})
    assert ActivityComment.objects.get().text == "great run"


def test_a_nul_in_a_multipart_field_is_a_400_naming_it(cast):
    api = cast.api(cast.alice)
    response = api.client.post(
        "/api/v1/activities/upload",
        {"name": "x\x00", "file": ("run.gpx", b"<gpx/>")},
        format="multipart",
        headers=api.headers,
    )
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert json.dumps(body)  # one JSON shape
    assert body["details"]["field"] == "name"


GPX_WITH_NAN = """<?xml version="1.0"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
<trk><type>running</type><trkseg>{points}</trkseg></trk></gpx>"""
POINT = (
    '<trkpt lat="{lat}" lon="13.4"><ele>{ele}</ele><time>2026-11-20T07:{m:02d}:00Z</time>'
    "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>"
    "</gpxtpx:TrackPointExtension></extensions></trkpt>"
)


def test_a_file_with_nan_numbers_is_read_without_them(cast):
    """Files are the other way numbers come in: a reading a device could not take (`NaN`,
    `inf`) is a missing reading, never a 500 from the table's CHECK."""
    points = "".join(
        POINT.format(
            lat=52.5 + m * 0.002,
            ele="NaN" if m % 3 == 0 else 40 + m,
            hr="nan" if m % 2 else 140 + m,
            m=m,
        )
        for m in range(12)
    )
    api = cast.api(cast.alice)
    response = api.client.post(
        "/api/v1/activities/upload",
        {"file": SimpleUploadedFile("nan.gpx", GPX_WITH_NAN.format(points=points).encode())},
        format="multipart",
        headers=api.headers,
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    # HR from the six finite readings only: 140, 142, …, 150 → mean 145 (time-weighted alike)
    assert 140 <= data["avg_heart_rate"] <= 150
    assert data["max_heart_rate"] == 150
    assert data["distance"] > 2000  # 11 steps of 0.002° latitude, 222 m each


HUGE = "9" * 20


def test_a_page_number_of_twenty_digits_shows_the_last_page(cast):
    """Issue 32: `?page=` past any list shows the last page on the pages, and is a 400 naming
    `page` in the API; never an offset PostgreSQL cannot hold."""
    page = signed_in(cast.cora)
    roster = page.get("/athletes", {"page": HUGE})
    assert roster.status_code == 200
    assert cast.alice.display_name in roster.content.decode()  # the last (only) page
    assert page.get("/athletes", {"page": "two"}).status_code == 200
    assert page.get("/analytics", {"tab": "plans", "page": HUGE}).status_code == 200
    assert page.get("/club", {"page": HUGE}).status_code == 200
    response = cast.api(cast.alice).get("/api/v1/activities", {"page": HUGE})
    assert_error(response, 400, "VALIDATION_ERROR", "page")


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(cast):
    """Issue 32: a name typed as a formula reads as text in every CSV Astral writes (the
    roster, an athlete's activities, the data export); negative numbers stay numbers."""
    import csv
    import io
    import zipfile

    User.objects.filter(pk=cast.alice.pk).update(display_name='=HYPERLINK("http://x","y")')
    make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC), name="@SUM(A1)", source="+cmd")
    page = signed_in(cast.cora)
    roster = list(csv.DictReader(io.StringIO(page.get("/athletes/export.csv").content.decode())))
    names = {r["display_name"] for r in roster}
    assert '\'=HYPERLINK("http://x","y")' in names
    activities_csv = b"".join(
        page.get(f"/athletes/{cast.alice.public_id}/activities.csv").streaming_content
    ).decode()
    [activity] = list(csv.DictReader(io.StringIO(activities_csv)))
    assert (activity["name"], activity["source"]) == ("'@SUM(A1)", "'+cmd")
    export = cast.api(cast.alice).get("/api/v1/users/me/export")
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    [row] = list(csv.DictReader(io.StringIO(archive.read("activities.csv").decode())))
    assert row["name"] == "'@SUM(A1)"
    assert float(row["distance"]) == 10_000


def _gpx(points: list[tuple[float, float]]) -> bytes:
    rows = "".join(
        f'<trkpt lat="{lat}" lon="{lon}"><time>2026-11-20T07:{m:02d}:00Z</time></trkpt>'
        for m, (lat, lon) in enumerate(points)
    )
    return GPX_WITH_NAN.format(points=rows).encode()


def test_positions_off_the_earth_are_dropped_and_greenwich_is_kept(cast):
    """Issue 32: a latitude of 1000 is no place (not stored, no distance to it); longitude 0
    is Greenwich (kept, drawn). 0.001° of latitude is 111.2 m; three steps along it."""
    api = cast.api(cast.alice)
    points = [(51.000, 0.0), (51.001, 0.0), (1000.0, 0.0), (51.002, 0.0), (51.003, 0.0)]
    response = api.client.post(
        "/api/v1/activities/upload",
        {"file": SimpleUploadedFile("greenwich.gpx", _gpx(points))},
        format="multipart",
        headers=api.headers,
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["distance"] == pytest.approx(3 * 111.19, rel=0.01)
    full = api.get(f"/api/v1/activities/{data['activity_id']}", {"include": "samples"}).json()
    samples = full["data"]["samples"]
    assert samples["lat"] == [51.0, 51.001, None, 51.002, 51.003]
    assert samples["lon"] == [0.0, 0.0, None, 0.0, 0.0]
    page = signed_in(cast.alice).get(f"/activities/{data['activity_id']}").content.decode()
    assert "No GPS track" not in page


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("athletes_activity", "avg_heart_rate", 900),
        ("athletes_activity", "distance", -1),
        ("athletes_user", "weight_kg", 5),
        ("athletes_healthmetric", "hrv", 0),
    ],
)
def test_postgresql_refuses_an_implausible_number_on_any_path(cast, table, column, value):
    """The bounds of the API's fields and athletes/plausibility.py, kept by the table."""
    activity = make_activity(cast.alice, datetime(2026, 11, 20, 7, tzinfo=UTC))
    health = HealthMetric.objects.create(user=cast.alice, date=date(2026, 11, 20), hrv=50)
    row = {"athletes_activity": activity.pk, "athletes_user": cast.alice.pk}.get(table, health.pk)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row])  # noqa: S608


@pytest.mark.django_db(transaction=True)
def test_a_fourth_upload_in_flight_is_a_429_and_the_slots_free_again(cast):
    """Issue 32: one athlete holds at most three web workers with uploads. Three uploads
    being read elsewhere (their slots held from another connection, as another process
    would) make a fourth a 429 at once; a free slot lets the next one in; another athlete is
    never affected."""
    import psycopg
    from django.conf import settings

    from athletes.services.activities import _UPLOAD_LOCK, UPLOADS_IN_FLIGHT

    db = settings.DATABASES["default"]
    other = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"],
        password=db.get("PASSWORD") or None, autocommit=True,
    )  # fmt: skip
    gpx = _gpx([(51.0 + i * 0.001, 0.0) for i in range(5)])
    api = cast.api(cast.alice)

    def upload(who, name):
        caller = cast.api(who)
        return caller.client.post(
            "/api/v1/activities/upload",
            {"file": SimpleUploadedFile(name, gpx)},
            format="multipart",
            headers=caller.headers,
        )

    try:
        for slot in range(UPLOADS_IN_FLIGHT):
            other.execute("SELECT pg_advisory_lock(%s, %s)", [_UPLOAD_LOCK + slot, cast.alice.pk])
        assert_error(upload(cast.alice, "a.gpx"), 429, "TOO_MANY_UPLOADS", "file")
        assert upload(cast.bob, "b.gpx").status_code == 201  # his slots are his own
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [_UPLOAD_LOCK, cast.alice.pk])
        assert upload(cast.alice, "a.gpx").status_code == 201
    finally:
        other.close()
    assert api.get("/api/v1/activities").json()["data"]["metadata"]["total"] == 1
