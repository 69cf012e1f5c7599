"""Every real file as the device recorded it (issue 17): each file of
../shared/data/activities/ uploaded through the API, its values asserted against what its
README says the device itself recorded (distance within 0.5 %, timer time within 1 s, heart
rate within 1 bpm), per session for multisport files; and each case the issue found wrong,
with a file built by hand where no freely licensed real one exists."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime

import pytest
from lxml import etree

from athletes.models import Activity, ActivityStream
from athletes.streams import unpack
from tests.conftest import ACTIVITY_FILES, assert_error
from tests.fit_writer import file_id, fit_file, session

pytestmark = pytest.mark.django_db

URL = "/api/v1/activities/upload"


def upload(api, name, content=None, **extra):
    handle = io.BytesIO((ACTIVITY_FILES / name).read_bytes() if content is None else content)
    handle.name = name
    return api.post(URL, {"file": handle, **extra}, format="multipart")


def legs_of(response):
    assert response.status_code == 201, response.content[:400]
    data = response.json()["data"]
    return data.get("legs") or [data]


def lap_weighted_hr(name):
    """The device's laps, read independently: Σ(lap average × lap time) ÷ Σ lap time."""
    ns = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
    root = etree.fromstring((ACTIVITY_FILES / name).read_bytes().lstrip())
    pairs = [
        (float(lap.findtext("t:AverageHeartRateBpm/t:Value", namespaces=ns)),
         float(lap.findtext("t:TotalTimeSeconds", namespaces=ns)))
        for lap in root.iterfind(".//t:Lap", ns)
    ]  # fmt: skip
    return sum(hr * s for hr, s in pairs) / sum(s for _, s in pairs)


# name: [(sport, start, distance m, timer s, elapsed s or None, avg HR, max HR)] per session,
# the values of ../shared/data/activities/README.md.
DEVICE = {
    "fitparse_2013-02-06-12-11-14_run.fit": [
        ("run", "2013-02-06T12:11:14Z", 4835.38, 2625.14, None, 147, 171)
    ],
    "fitparse_activity-small-fenix2-run.fit": [
        ("run", "2015-08-15T14:45:08Z", 9008.22, 2832.0, None, 153.9, 178)
    ],
    "fitparse_garmin-fenix-5-run.fit": [
        ("run", "2017-06-11T14:34:09Z", 157.56, 56.887, None, 90, 112)
    ],
    "tcxparser_test_run.tcx": [("run", "2012-12-26T21:29:53Z", 4689.24, 1992.78, None, None, 189)],
    "multisport_triathlon_fr255.fit": [
        ("swim", "2023-09-02T13:15:24Z", 513.26, 675.701, 675.701, 95, 95),
        ("transition", None, 132.35, 157.151, 157.151, 104, 120),
        ("ride", None, 13517.59, 1566.657, 1566.657, 164, 178),
        ("transition", None, 71.72, 69.623, 69.623, 161, 168),
        ("run", None, 4491.51, 1573.613, 1573.613, 168, 175),
    ],
    "multisport_bike_run_fr945.fit": [
        ("ride", "2020-04-20T19:56:20Z", 0.0, 55.353, None, 69, 76),
        ("trail_run", "2020-04-20T19:57:15Z", 0.0, 21.519, None, 74, 77),
    ],
    "swim_pool25m_hrm_fenix3.fit": [
        ("swim", "2016-08-13T13:10:47Z", 1700.0, 3485.293, 3504.649, 103, 133)
    ],
    "bike_paused_fr735xt.fit": [
        ("ride", "2021-03-11T11:34:41Z", 5288.53, 1060.57, 1201.569, 113, 138)
    ],
    "bike_indoor_zero_hr_onelap.fit": [
        ("ride", "2021-03-04T12:04:26Z", 7123.39, 720.318, 720.318, None, None)
    ],
    "bike_no_hr_igpsport.fit": [
        ("ride", "2021-06-27T01:20:13Z", 59686.96, 9142.0, 10215.0, None, None)
    ],
    "treadmill_run_fr935.fit": [
        ("treadmill", "2020-12-02T22:49:14Z", 13068.35, 3442.035, 3442.035, 143, 151)
    ],
    "treadmill_run_fr945.tcx": [
        ("run", "2025-10-24T15:25:26Z", 4111.48, 1638.07, None, "laps", 144)
    ],
    "run_intervals_16laps_fr945.tcx": [
        ("run", "2025-09-24T13:40:09Z", 12934.31, 4369.15, None, "laps", 184)
    ],
    # Written as Sport="Other": the file names no sport, so it is `other`, not a run.
    "walk_vivoactivehr.tcx": [
        ("other", "2018-10-01T15:00:44Z", 3988.82, 4495.15, None, "laps", 114)
    ],
    # GPX: no device totals; the track on the ground (2D great-circle) and time-weighted HR.
    "togeojson_run_gpxtpx.gpx": [("other", "2015-01-19T21:24:20Z", 3572.3, None, 1256, 170.3, 187)],
    "fitparse_2013-02-06-12-11-14_run.gpx": [
        ("run", "2013-02-06T12:11:14Z", 4782.6, None, 2624, None, 171)
    ],
}


@pytest.mark.parametrize("name", sorted(DEVICE))
def test_each_file_has_the_devices_values(cast, name):
    legs = legs_of(upload(cast.api(cast.bob), name))
    assert len(legs) == len(DEVICE[name])
    for leg, (sport, start, distance, timer, elapsed, avg_hr, max_hr) in zip(
        legs, DEVICE[name], strict=True
    ):
        assert leg["sport"] == sport
        if start:
            assert leg["start_time"] == start
        assert leg["distance"] == pytest.approx(distance, rel=0.005, abs=0.01)
        if timer is not None:
            assert leg["duration"] == pytest.approx(timer, abs=1)
        if elapsed is not None:
            assert leg["elapsed_time"] == pytest.approx(elapsed, abs=1)
        if avg_hr == "laps":
            assert leg["avg_heart_rate"] == pytest.approx(lap_weighted_hr(name), abs=0.1)
        elif avg_hr is None:
            assert name.endswith((".tcx", ".gpx")) or leg["avg_heart_rate"] is None
        else:
            assert leg["avg_heart_rate"] == pytest.approx(avg_hr, abs=1)
        if max_hr is None:
            assert leg["max_heart_rate"] is None
        else:
            assert leg["max_heart_rate"] == pytest.approx(max_hr, abs=1)


def test_a_triathlon_is_five_linked_legs_each_with_its_own_records(cast):
    legs = legs_of(upload(cast.api(cast.bob), "multisport_triathlon_fr255.fit"))
    stored = list(Activity.objects.filter(user=cast.bob).order_by("leg"))
    assert [a.leg for a in stored] == [1, 2, 3, 4, 5]
    assert len({a.multisport_id for a in stored}) == 1 and stored[0].multisport_id
    assert sum(a.distance for a in stored) == pytest.approx(18726.43, abs=0.05)  # the README
    assert sum(a.duration for a in stored) == pytest.approx(4042.745, abs=0.01)
    # 4,043 records shared out by time: each leg starts at its own t = 0.
    counts = [ActivityStream.objects.get(activity=a).sample_count for a in stored]
    assert sum(counts) == 4043
    assert legs[0]["activity_id"] == stored[0].public_id
    # The same file again is a duplicate, and nothing more is stored.
    assert_error(upload(cast.api(cast.bob), "multisport_triathlon_fr255.fit"), 409,
                 "DUPLICATE_ACTIVITY")  # fmt: skip
    assert Activity.objects.filter(user=cast.bob).count() == 5


def test_the_two_legs_of_a_short_brick_are_not_duplicates_of_each_other(cast):
    # Both legs have distance 0 and start 55 s apart: "the same run" by the overlap rule,
    # but legs of one event are never compared with each other.
    legs = legs_of(upload(cast.api(cast.bob), "multisport_bike_run_fr945.fit"))
    assert [leg["sport"] for leg in legs] == ["ride", "trail_run"]


def test_swim_heart_rate_comes_from_the_straps_hr_messages(cast):
    legs = legs_of(upload(cast.api(cast.bob), "swim_pool25m_hrm_fenix3.fit"))
    stream = ActivityStream.objects.get(activity__public_id=legs[0]["activity_id"])
    rates = [v for v in unpack(stream.data)["heart_rate"] if v is not None]
    # README: the hr messages expanded onto the 3,501 records average 96.91, max 132.
    assert len(rates) == 3501
    assert sum(rates) / len(rates) == pytest.approx(96.91, abs=1)
    assert max(rates) == 132


def test_all_zero_heart_rate_is_no_heart_rate(cast):
    legs = legs_of(upload(cast.api(cast.bob), "bike_indoor_zero_hr_onelap.fit"))
    stream = ActivityStream.objects.get(activity__public_id=legs[0]["activity_id"])
    assert "heart_rate" not in unpack(stream.data)  # not a column of zeros
    # METRICS.md §2: without any heart rate the HR-zone times are null, not 0.
    assert [legs[0][f"hr_z{i}_time"] for i in range(1, 6)] == [None] * 5


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("course_garminconnect_bike.fit", "course"),
        ("course_route.tcx", "course"),
        ("route_rte_only_gaia.gpx", "routes"),
    ],
)
def test_courses_and_routes_are_refused_as_what_they_are(cast, name, words):
    body = assert_error(upload(cast.api(cast.bob), name), 400, "INVALID_FILE", "file")
    assert words in body["error"] and "not a recorded" in body["error"]
    assert not Activity.objects.exists()


def test_a_gpx_counts_untimed_points_and_leaves_out_a_track_it_cannot_place(cast):
    # README: track 2 has 115 timed points over 1783.8 m; the third track (7740.8 m) has no
    # time at all; the first is 0 m in 2 s.
    response = upload(cast.api(cast.bob), "gpx10_osm_partly_untimed.gpx")
    legs = legs_of(response)
    assert len(legs) == 1
    assert legs[0]["start_time"] == "2009-09-13T09:51:22Z"
    assert legs[0]["distance"] == pytest.approx(1783.8, rel=0.005)
    assert legs[0]["elapsed_time"] == 161
    assert "7.7 km" in response.json()["data"]["file_warning"]


GPX = """<?xml version="1.0"?>
<gpx version="{version}" creator="by hand" xmlns="http://www.topografix.com/GPX/{ns}"
     xmlns:gpxdata="http://www.cluetrust.com/XML/GPXDATA/1/0"><trk><type>running</type>{segments}</trk></gpx>"""


def point(lat, time=None, hr=None):
    extra = f"<time>{time}</time>" if time else ""
    extra += f"<gpxdata:hr>{hr}</gpxdata:hr>" if hr else ""
    return f'<trkpt lat="{lat}" lon="7.0">{extra}</trkpt>'


def test_gpx_untimed_points_count_and_segment_gaps_do_not(cast):
    # Built by hand: along a meridian, 0.001° of latitude is 111.2 m (R = 6371008.8 m).
    # Segment 1: 0.000 → 0.010 in 11 points, only the first and last timed (1112 m).
    # Segment 2 starts 0.005° further north (a 556 m gap, not distance): 0.015 → 0.020 (556 m).
    first = "".join(
        point(46 + i / 1000, "2024-05-01T08:00:00Z" if i == 0 else
              ("2024-05-01T08:05:00Z" if i == 10 else None))
        for i in range(11)
    )  # fmt: skip
    second = point(46.015, "2024-05-01T08:07:00Z") + point(46.020, "2024-05-01T08:10:00Z")
    content = GPX.format(
        version="1.1", ns="1/1", segments=f"<trkseg>{first}</trkseg><trkseg>{second}</trkseg>"
    ).encode()
    legs = legs_of(upload(cast.api(cast.bob), "by-hand.gpx", content))
    meter_per_degree = 6371008.8 * 3.141592653589793 / 180
    assert legs[0]["distance"] == pytest.approx(0.015 * meter_per_degree, rel=0.001)


def test_gpx_1_0_heart_rate_is_read(cast):
    # No freely licensed GPX 1.0 with heart rate was found: built by hand, HR as a child
    # element of each point (GPX 1.0 has no <extensions> wrapper).
    points = "".join(
        point(46 + i / 1000, f"2024-05-01T08:0{i}:00Z", 120 + 10 * i) for i in range(3)
    )
    content = GPX.format(version="1.0", ns="1/0", segments=f"<trkseg>{points}</trkseg>").encode()
    legs = legs_of(upload(cast.api(cast.bob), "gpx10-hr.gpx", content))
    # Time-weighted: 120 for the first minute, 130 for the second.
    assert legs[0]["avg_heart_rate"] == pytest.approx(125, abs=0.1)
    assert legs[0]["max_heart_rate"] == 140


def test_a_fit_broken_mid_file_keeps_its_records_and_its_sport(cast):
    # The cycling file cut at 60 %: no session, no laps; its `sport` message says cycling.
    content = (ACTIVITY_FILES / "bike_paused_fr735xt.fit").read_bytes()
    response = upload(cast.api(cast.bob), "cut.fit", content[: len(content) * 6 // 10])
    legs = legs_of(response)
    assert legs[0]["sport"] == "ride"  # not guessed as a run
    assert legs[0]["start_time"].startswith("2021-03-11T11:3")
    assert "damaged" in response.json()["data"]["file_warning"]


def test_a_pool_swim_with_only_its_session_is_stored_from_it(cast):
    # No freely licensed file has a session without records: written by hand (tests/fit_writer).
    start = datetime(2024, 3, 5, 6, 30, tzinfo=UTC)
    content = fit_file([
        file_id(start),
        session(start, timer=1820.5, elapsed=1900, distance=1500, sport=5, sub_sport=17,
                avg_hr=128, max_hr=151),
    ])  # fmt: skip
    legs = legs_of(upload(cast.api(cast.bob), "pool.fit", content))
    assert (legs[0]["sport"], legs[0]["distance"], legs[0]["duration"]) == ("swim", 1500, 1820.5)
    assert (legs[0]["avg_heart_rate"], legs[0]["max_heart_rate"]) == (128, 151)


def test_a_fit_course_written_by_hand_is_refused(cast):
    start = datetime(2024, 3, 5, 6, 30, tzinfo=UTC)
    content = fit_file([file_id(start, kind=6)])
    body = assert_error(upload(cast.api(cast.bob), "course.fit", content), 400, "INVALID_FILE")
    assert "course" in body["error"]


def test_a_tcx_multisport_session_is_one_activity_per_leg(cast):
    # No freely licensed multisport TCX was found: the smallest one, by hand.
    def lap(start, seconds, meters):
        return (f'<Lap StartTime="{start}"><TotalTimeSeconds>{seconds}</TotalTimeSeconds>'
                f"<DistanceMeters>{meters}</DistanceMeters></Lap>")  # fmt: skip

    content = f"""<?xml version="1.0"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><MultiSportSession><Id>2024-06-01T07:00:00Z</Id>
<FirstSport><Activity Sport="Biking"><Id>2024-06-01T07:00:00Z</Id>{lap("2024-06-01T07:00:00Z", 3600, 30000)}</Activity></FirstSport>
<NextSport><Transition StartTime="2024-06-01T08:00:00Z"><TotalTimeSeconds>90</TotalTimeSeconds><DistanceMeters>150</DistanceMeters></Transition>
<Activity Sport="Running"><Id>2024-06-01T08:01:30Z</Id>{lap("2024-06-01T08:01:30Z", 1500, 5000)}</Activity></NextSport>
</MultiSportSession></Activities></TrainingCenterDatabase>""".encode()
    legs = legs_of(upload(cast.api(cast.bob), "brick.tcx", content))
    assert [(leg["sport"], leg["distance"], leg["duration"]) for leg in legs] == [
        ("ride", 30000, 3600),
        ("transition", 150, 90),
        ("run", 5000, 1500),
    ]


def test_the_overlap_message_names_the_sport(cast):
    api = cast.api(cast.bob)
    legs_of(upload(api, "bike_paused_fr735xt.fit"))
    response = api.post(
        "/api/v1/activities",
        {"start_time": "2021-03-11T11:35:00Z", "distance": 5300, "duration": 1060,
         "sport": "ride"},
    )  # fmt: skip
    body = assert_error(response, 409, "DUPLICATE_ACTIVITY")
    assert "The same ride" in body["error"]


def test_a_gzipped_multisport_file_is_read_like_the_plain_one(cast):
    content = gzip.compress((ACTIVITY_FILES / "multisport_bike_run_fr945.fit").read_bytes())
    assert len(legs_of(upload(cast.api(cast.bob), "brick.fit.gz", content))) == 2


def test_the_api_and_the_page_show_the_legs_together(cast):
    from tests.conftest import signed_in

    legs = legs_of(upload(cast.api(cast.bob), "multisport_triathlon_fr255.fit"))
    bike = legs[2]["activity_id"]
    data = cast.api(cast.bob).get(f"/api/v1/activities/{bike}").json()["data"]
    assert [leg["sport"] for leg in data["multisport"]["legs"]] == [
        "swim", "transition", "ride", "transition", "run"
    ]  # fmt: skip
    html = signed_in(cast.bob).get(f"/activities/{bike}").content.decode()
    listed = html.split('data-testid="legs"')[1].split("</ol>")[0]
    assert listed.count("<li>") == 5 and 'aria-current="page">3. Ride' in listed
    assert f'href="/activities/{legs[0]["activity_id"]}"' in listed


def test_gpx_tracks_hours_apart_are_two_activities_not_one_event(cast):
    morning = point(46.0, "2024-05-01T08:00:00Z") + point(46.01, "2024-05-01T08:06:00Z")
    evening = point(46.0, "2024-05-01T18:00:00Z") + point(46.02, "2024-05-01T18:12:00Z")
    content = GPX.format(version="1.1", ns="1/1", segments=f"<trkseg>{morning}</trkseg>")
    content = content.replace("</trk>", f"</trk><trk><trkseg>{evening}</trkseg></trk>").encode()
    legs = legs_of(upload(cast.api(cast.bob), "two-runs.gpx", content))
    assert [leg["start_time"] for leg in legs] == ["2024-05-01T08:00:00Z", "2024-05-01T18:00:00Z"]
    assert [leg["multisport_id"] for leg in legs] == [None, None]
