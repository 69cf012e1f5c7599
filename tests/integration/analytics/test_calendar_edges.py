"""API.md §4: buckets are local calendar days of the requested time zone, exactly."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import assert_error
from tests.factories import make_activity

pytestmark = pytest.mark.django_db

CHICAGO = ZoneInfo("America/Chicago")


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def buckets(cast, who, **params):
    response = cast.api(who).get("/api/v1/analytics/activity_stats", params)
    assert response.status_code == 200, response.content
    return {b["date"]: b for b in response.json()["data"]["buckets"]}


def test_a_run_at_2330_in_chicago_is_on_its_local_day_and_the_next_day_in_utc(cast):
    # 2026-04-21 23:30 CDT (UTC-5) = 2026-04-22 04:30 UTC.
    make_activity(cast.alice, datetime(2026, 4, 21, 23, 30, tzinfo=CHICAGO), distance=8000)
    local = buckets(
        cast,
        cast.alice,
        **{"from": "2026-04-21", "to": "2026-04-22", "timezone": "America/Chicago"},
    )
    assert local["2026-04-21"]["distance"] == 8000
    assert local["2026-04-22"]["distance"] == 0
    utc = buckets(cast, cast.alice, **{"from": "2026-04-21", "to": "2026-04-22", "timezone": "UTC"})
    assert utc["2026-04-21"]["distance"] == 0
    assert utc["2026-04-22"]["distance"] == 8000


def test_timezone_defaults_to_the_athletes_profile(cast):
    make_activity(cast.alice, datetime(2026, 4, 22, 4, 30, tzinfo=UTC), distance=8000)
    data = (
        cast.api(cast.alice)
        .get("/api/v1/analytics/activity_stats", {"from": "2026-04-21", "to": "2026-04-22"})
        .json()["data"]
    )
    assert data["timezone"] == "America/Chicago"
    assert data["buckets"][0] == {**data["buckets"][0], "date": "2026-04-21", "distance": 8000}


@pytest.mark.parametrize(
    ("tz", "day", "before", "after"),
    [
        # US spring forward: 2026-03-08 has 23 hours in New York.
        ("America/New_York", "2026-03-08", "2026-03-07", "2026-03-09"),
        # US fall back: 2026-11-01 has 25 hours.
        ("America/New_York", "2026-11-01", "2026-10-31", "2026-11-02"),
        # EU: 2026-03-29 (23 h) and 2026-10-25 (25 h) in Berlin.
        ("Europe/Berlin", "2026-03-29", "2026-03-28", "2026-03-30"),
        ("Europe/Berlin", "2026-10-25", "2026-10-24", "2026-10-26"),
    ],
)
def test_dst_days_keep_runs_at_both_ends_of_the_local_day(cast, tz, day, before, after):
    zone = ZoneInfo(tz)
    y, m, d = (int(p) for p in day.split("-"))
    make_activity(cast.bob, datetime(y, m, d, 0, 15, tzinfo=zone), distance=1000)
    make_activity(cast.bob, datetime(y, m, d, 23, 45, tzinfo=zone), distance=2000)
    result = buckets(cast, cast.bob, **{"from": before, "to": after, "timezone": tz})
    assert result[before]["distance"] == 0
    assert result[day]["distance"] == 3000
    assert result[day]["runs"] == 2
    assert result[after]["distance"] == 0


def test_a_leap_day_is_a_bucket_of_its_own(cast):
    make_activity(cast.bob, datetime(2028, 2, 29, 12, tzinfo=UTC), distance=5000)
    result = buckets(
        cast, cast.bob, **{"from": "2028-02-27", "to": "2028-03-01", "timezone": "UTC"}
    )
    assert list(result) == ["2028-02-27", "2028-02-28", "2028-02-29", "2028-03-01"]
    assert result["2028-02-29"]["distance"] == 5000


def test_month_granularity_buckets_by_local_month(cast):
    # 2026-01-31 20:00 in Chicago is already February 1st in UTC.
    make_activity(cast.bob, datetime(2026, 1, 31, 20, tzinfo=CHICAGO), distance=7000)
    result = buckets(
        cast,
        cast.bob,
        **{
            "from": "2026-01-01",
            "to": "2026-03-15",
            "timezone": "America/Chicago",
            "granularity": "month",
        },
    )
    assert list(result) == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert result["2026-01-01"]["distance"] == 7000
    assert result["2026-02-01"]["distance"] == 0


def zones(*seconds: float) -> dict[str, float]:
    """An activity's five pace-zone times (PostgreSQL keeps all five or none)."""
    return {f"pace_z{i}_time": value for i, value in enumerate(seconds, start=1)}


def test_every_metric_is_in_every_bucket_and_totals_add_up(cast):
    make_activity(
        cast.bob,
        datetime(2026, 4, 1, 7, tzinfo=UTC),
        distance=5000,
        duration=1500,
        calories=300,
        elevation_gain=40,
        training_load=50,
        **zones(0, 1000, 500, 0, 0),
    )
    make_activity(
        cast.bob,
        datetime(2026, 4, 3, 7, tzinfo=UTC),
        distance=7000,
        duration=2100,
        calories=420,
        elevation_gain=60,
        training_load=70,
        **zones(2100, 0, 0, 0, 0),
    )
    data = (
        cast.api(cast.bob)
        .get(
            "/api/v1/analytics/activity_stats",
            {"from": "2026-04-01", "to": "2026-04-05", "timezone": "UTC"},
        )
        .json()["data"]
    )
    assert len(data["buckets"]) == 5
    expected_keys = {
        "date",
        "distance",
        "duration",
        "nexrex_training_load",
        "runs",
        "calories",
        "elevation_gain",
        "pace_z1_time",
        "pace_z2_time",
        "pace_z3_time",
        "pace_z4_time",
        "pace_z5_time",
    }
    assert all(set(b) == expected_keys for b in data["buckets"])
    assert data["totals"] == {
        "distance": 12000,
        "duration": 3600,
        "nexrex_training_load": 120,
        "runs": 2,
        "calories": 720,
        "elevation_gain": 100,
        "pace_z1_time": 2100,
        "pace_z2_time": 1000,
        "pace_z3_time": 500,
        "pace_z4_time": 0,
        "pace_z5_time": 0,
    }


def test_the_400_day_limit_is_inclusive(cast):
    api = cast.api(cast.bob)
    ok = api.get("/api/v1/analytics/activity_stats", {"from": "2025-01-01", "to": "2026-02-05"})
    assert ok.status_code == 200  # exactly 400 days after
    assert len(ok.json()["data"]["buckets"]) == 401
    assert_error(
        api.get("/api/v1/analytics/activity_stats", {"from": "2025-01-01", "to": "2026-02-06"}),
        400,
        field="to",
    )
    assert (
        api.get(
            "/api/v1/analytics/health_metrics", {"from": "2025-01-01", "to": "2026-02-05"}
        ).status_code
        == 200
    )
    assert_error(
        api.get("/api/v1/analytics/health_metrics", {"from": "2025-01-01", "to": "2026-02-06"}),
        400,
        field="to",
    )


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("activity_stats", {"to": "2026-01-02"}, "from"),
        ("activity_stats", {"from": "2026-01-02"}, "to"),
        ("activity_stats", {"from": "2026-01-02", "to": "2026-01-01"}, "to"),
        ("activity_stats", {"from": "02/01/2026", "to": "2026-01-05"}, "from"),
        (
            "activity_stats",
            {"from": "2026-01-01", "to": "2026-01-05", "granularity": "week"},
            "granularity",
        ),
        (
            "activity_stats",
            {"from": "2026-01-01", "to": "2026-01-05", "timezone": "Mars/Base"},
            "timezone",
        ),
        (
            "activity_stats",
            {"from": "2026-01-01", "to": "2026-01-05", "refresh": "maybe"},
            "refresh",
        ),
        (
            "health_metrics",
            {"from": "2026-01-01", "to": "2026-01-05", "granularity": "year"},
            "granularity",
        ),
        ("fitness_stats", {"days": 0}, "days"),
        ("fitness_stats", {"days": 366}, "days"),
        ("fitness_stats", {"days": "ten"}, "days"),
        ("fitness_stats", {"timezone": "Nowhere/Land"}, "timezone"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(cast, path, params, field):
    assert_error(
        cast.api(cast.bob).get(f"/api/v1/analytics/{path}", params), 400, "VALIDATION_ERROR", field
    )


class TestRunningStats:
    URL = "/api/v1/analytics/running_stats"

    def get(self, cast, **params):
        return cast.api(cast.bob).get(self.URL, params)

    @time_machine.travel("2027-02-01 12:00:00Z", tick=False)
    def test_monthly_view_has_one_point_per_iso_week_and_2026_w53_spans_new_year(self, cast):
        # 2027-01-01 (a Friday) belongs to ISO week 2026-W53, which starts Monday 2026-12-28.
        make_activity(cast.bob, datetime(2027, 1, 1, 9, tzinfo=UTC), distance=10000)
        make_activity(cast.bob, datetime(2026, 12, 28, 9, tzinfo=UTC), distance=4000)
        response = self.get(
            cast,
            from_timestamp=ts("2026-12-16T00:00:00+00:00"),
            to_timestamp=ts("2027-01-13T00:00:00+00:00"),
            range_type="monthly",
            timezone="UTC",
        )
        points = {p["date"]: p for p in response.json()["data"]}
        # The window starts on a Wednesday: the first point is that week's Monday.
        assert list(points) == [
            "2026-12-14",
            "2026-12-21",
            "2026-12-28",
            "2027-01-04",
            "2027-01-11",
        ]
        assert points["2026-12-28"]["distance"] == 14000
        assert points["2026-12-28"]["runs"] == 2

    @time_machine.travel("2026-05-01 12:00:00Z", tick=False)
    def test_weekly_view_is_seven_local_days_from_the_start(self, cast):
        make_activity(cast.bob, datetime(2026, 4, 7, 23, 30, tzinfo=CHICAGO), distance=6000)
        response = self.get(
            cast,
            from_timestamp=ts("2026-04-06T05:00:00+00:00"),
            to_timestamp=ts("2026-04-13T05:00:00+00:00"),
            range_type="weekly",
            metric_type="duration",
            timezone="America/Chicago",
        )
        body = response.json()
        dates = [p["date"] for p in body["data"]]
        assert dates == [f"2026-04-{d:02d}" for d in range(6, 13)]
        assert body["data"][1]["distance"] == 6000
        assert body["meta"]["metric_type"] == "duration"
        point = body["data"][0]
        assert set(point) == {
            "date",
            "distance",
            "duration",
            "nexrex_training_load",
            "runs",
            "calories",
            "pace_z1_time",
            "pace_z2_time",
            "pace_z3_time",
            "pace_z4_time",
            "pace_z5_time",
        }

    @time_machine.travel("2026-12-31 12:00:00Z", tick=False)
    def test_yearly_view_has_one_point_per_month(self, cast):
        make_activity(cast.bob, datetime(2026, 3, 15, 9, tzinfo=UTC), distance=3000)
        response = self.get(
            cast,
            from_timestamp=ts("2026-01-10T00:00:00+00:00"),
            to_timestamp=ts("2026-04-02T00:00:00+00:00"),
            range_type="yearly",
            timezone="UTC",
        )
        points = response.json()["data"]
        assert [p["date"] for p in points] == [
            "2026-01-01",
            "2026-02-01",
            "2026-03-01",
            "2026-04-01",
        ]
        assert points[2]["distance"] == 3000

    @time_machine.travel("2026-05-01 12:00:00Z", tick=False)
    def test_window_is_half_open(self, cast):
        make_activity(cast.bob, datetime(2026, 4, 10, 0, 0, tzinfo=UTC), distance=1000)
        make_activity(cast.bob, datetime(2026, 4, 9, 0, 0, tzinfo=UTC), distance=2000)
        points = self.get(
            cast,
            from_timestamp=ts("2026-04-09T00:00:00+00:00"),
            to_timestamp=ts("2026-04-10T00:00:00+00:00"),
            range_type="daily",
            timezone="UTC",
        ).json()["data"]
        assert points == [{**points[0], "date": "2026-04-09", "distance": 2000}]

    @time_machine.travel("2026-05-01 12:00:00Z", tick=False)
    def test_legacy_offset_is_used_only_without_timezone(self, cast):
        # 2026-04-09 22:00 UTC is April 10th at UTC+05:00.
        make_activity(cast.bob, datetime(2026, 4, 9, 22, 0, tzinfo=UTC), distance=1000)
        window = {
            "from_timestamp": ts("2026-04-08T00:00:00+00:00"),
            "to_timestamp": ts("2026-04-12T00:00:00+00:00"),
            "range_type": "daily",
        }
        shifted = {
            p["date"]: p["distance"]
            for p in self.get(cast, **window, timezone_offset_minutes=300).json()["data"]
        }
        assert shifted["2026-04-10"] == 1000
        plain = {
            p["date"]: p["distance"]
            for p in self.get(cast, **window, timezone="UTC", timezone_offset_minutes=300).json()[
                "data"
            ]
        }
        assert plain["2026-04-09"] == 1000

    @time_machine.travel("2026-05-01 12:00:00Z", tick=False)
    def test_span_limit_is_365_days_inclusive(self, cast):
        start = ts("2025-04-01T00:00:00+00:00")
        assert (
            self.get(
                cast, from_timestamp=start, to_timestamp=start + 365 * 86400, range_type="yearly"
            ).status_code
            == 200
        )
        assert_error(
            self.get(
                cast,
                from_timestamp=start,
                to_timestamp=start + 365 * 86400 + 1,
                range_type="yearly",
            ),
            400,
            field="to_timestamp",
        )

    @time_machine.travel("2026-05-01 12:00:00Z", tick=False)
    def test_to_timestamp_at_most_seven_days_ahead(self, cast):
        now = ts("2026-05-01T12:00:00+00:00")
        assert (
            self.get(
                cast, from_timestamp=now - 86400, to_timestamp=now + 7 * 86400, range_type="daily"
            ).status_code
            == 200
        )
        assert_error(
            self.get(
                cast,
                from_timestamp=now - 86400,
                to_timestamp=now + 7 * 86400 + 1,
                range_type="daily",
            ),
            400,
            field="to_timestamp",
        )

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"to_timestamp": 1746057600, "range_type": "daily"}, "from_timestamp"),
            (
                {"from_timestamp": "yesterday", "to_timestamp": 1746057600, "range_type": "daily"},
                "from_timestamp",
            ),
            (
                {"from_timestamp": 1746057600, "to_timestamp": 1743465600, "range_type": "daily"},
                "to_timestamp",
            ),
            ({"from_timestamp": 1743465600, "to_timestamp": 1746057600}, "range_type"),
            (
                {"from_timestamp": 1743465600, "to_timestamp": 1746057600, "range_type": "hourly"},
                "range_type",
            ),
            (
                {
                    "from_timestamp": 1743465600,
                    "to_timestamp": 1746057600,
                    "range_type": "daily",
                    "metric_type": "speed",
                },
                "metric_type",
            ),
            (
                {
                    "from_timestamp": 1743465600,
                    "to_timestamp": 1746057600,
                    "range_type": "daily",
                    "timezone": "Bad/Zone",
                },
                "timezone",
            ),
            (
                {
                    "from_timestamp": 1743465600,
                    "to_timestamp": 1746057600,
                    "range_type": "daily",
                    "timezone_offset_minutes": 900,
                },
                "timezone_offset_minutes",
            ),
        ],
    )
    def test_bad_parameters_name_the_field(self, cast, params, field):
        assert_error(self.get(cast, **params), 400, "VALIDATION_ERROR", field)
