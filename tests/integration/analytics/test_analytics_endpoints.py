"""API.md §4 per-athlete analytics: values computed by hand from METRICS.md."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from tests.conftest import assert_error
from tests.factories import make_activity, make_health

pytestmark = pytest.mark.django_db

NOW = "2026-11-18 15:00:00Z"  # a Wednesday; ISO week starts Monday 2026-11-16


def at(day: date, hour: int = 7) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@time_machine.travel(NOW, tick=False)
def test_fitness_stats_totals_pace_and_weighted_heart_rate(cast):
    today = date(2026, 11, 18)
    make_activity(cast.bob, at(today), distance=10000, duration=3000, avg_heart_rate=150)
    make_activity(
        cast.bob, at(today - timedelta(days=3)), distance=5000, duration=1000, avg_heart_rate=170
    )
    make_activity(cast.bob, at(today - timedelta(days=5)), distance=5000, duration=1500)  # no HR
    make_activity(
        cast.bob, at(today - timedelta(days=40)), distance=9000, duration=2700
    )  # outside 30 days
    data = cast.api(cast.bob).get("/api/v1/analytics/fitness_stats").json()["data"]
    assert data["total_activities"] == 3
    assert data["total_distance"] == 20000
    assert data["total_duration"] == 5500
    # 5500 s / 20 km = 275 s/km = 4:35
    assert data["avg_pace"] == "4:35"
    # (150·3000 + 170·1000) / 4000 = 155
    assert data["avg_heart_rate"] == 155


@time_machine.travel(NOW, tick=False)
def test_fitness_stats_days_window_includes_today_and_hides_hr_without_data(cast):
    today = date(2026, 11, 18)
    make_activity(cast.bob, at(today - timedelta(days=6)), distance=1000, duration=700)
    make_activity(cast.bob, at(today - timedelta(days=7)), distance=1000, duration=300)
    data = cast.api(cast.bob).get("/api/v1/analytics/fitness_stats", {"days": 7}).json()["data"]
    assert data["total_activities"] == 1
    assert data["avg_pace"] == "11:40"  # 700 s per km: minutes above 9 are fine
    assert "avg_heart_rate" not in data
    empty = cast.api(cast.charlie).get("/api/v1/analytics/fitness_stats").json()["data"]
    assert empty["avg_pace"] is None
    assert empty["total_distance"] == 0


def test_health_metrics_means_by_week_with_nulls(cast):
    # Week of Mon 2026-11-02: HRV 60, 70, 80 -> 70.0; resting HR 50, 51 -> 50.5
    make_health(cast.bob, date(2026, 11, 2), hrv=60, resting_hr=50)
    make_health(cast.bob, date(2026, 11, 4), hrv=70, resting_hr=51)
    make_health(cast.bob, date(2026, 11, 8), hrv=80)
    # Week of 2026-11-16: one VO2max reading 51.25 -> 51.2 or 51.3 (rounded to one decimal)
    make_health(cast.bob, date(2026, 11, 17), vo2_max=51.26)
    series = (
        cast.api(cast.bob)
        .get(
            "/api/v1/analytics/health_metrics",
            {"from": "2026-11-02", "to": "2026-11-22", "granularity": "week"},
        )
        .json()["data"]["series"]
    )
    assert [p["date"] for p in series] == ["2026-11-02", "2026-11-09", "2026-11-16"]
    assert series[0] == {
        "date": "2026-11-02",
        "resting_hr": 50.5,
        "hrv": 70.0,
        "vo2_max": None,
        "recovery_score": None,
        "samples": 3,
    }
    assert series[1] == {
        "date": "2026-11-09",
        "resting_hr": None,
        "hrv": None,
        "vo2_max": None,
        "recovery_score": None,
        "samples": 0,
    }
    assert series[2]["vo2_max"] == 51.3


def test_health_metrics_by_day_and_month(cast):
    make_health(cast.bob, date(2026, 10, 31), recovery_score=80)
    make_health(cast.bob, date(2026, 11, 1), recovery_score=60)
    make_health(cast.bob, date(2026, 11, 2), recovery_score=71)
    days = (
        cast.api(cast.bob)
        .get("/api/v1/analytics/health_metrics", {"from": "2026-10-31", "to": "2026-11-03"})
        .json()["data"]["series"]
    )
    assert [p["recovery_score"] for p in days] == [80, 60, 71, None]
    months = (
        cast.api(cast.bob)
        .get(
            "/api/v1/analytics/health_metrics",
            {"from": "2026-10-31", "to": "2026-11-03", "granularity": "month"},
        )
        .json()["data"]["series"]
    )
    assert [(p["date"], p["recovery_score"]) for p in months] == [
        ("2026-10-01", 80.0),
        ("2026-11-01", 65.5),
    ]


class TestStreaks:
    URL = "/api/v1/analytics/running_streaks"

    @time_machine.travel(NOW, tick=False)
    def test_current_streak_ends_today_or_yesterday(self, cast):
        today = date(2026, 11, 18)
        for back in (1, 2, 3, 6, 7):  # yesterday and two before; a 2-day streak earlier
            make_activity(cast.bob, at(today - timedelta(days=back)))
        data = cast.api(cast.bob).post(self.URL, {"days": 14}).json()["data"]
        # No run today yet: the streak ending yesterday still counts.
        assert data["current_streak"] == 3
        assert data["longest_streak"] == 3
        assert data["active_days"] == 5
        assert len(data["calendar"]) == 14
        assert data["calendar"][-1] == {
            "date": "2026-11-18",
            "active": False,
            "runs": 0,
            "distance": 0,
        }
        assert data["calendar"][-2]["active"] is True

    @time_machine.travel(NOW, tick=False)
    def test_a_missed_yesterday_breaks_the_current_streak(self, cast):
        today = date(2026, 11, 18)
        for back in (2, 3, 4, 5):
            make_activity(cast.bob, at(today - timedelta(days=back)))
        data = cast.api(cast.bob).post(self.URL, {"days": 30}).json()["data"]
        assert data["current_streak"] == 0
        assert data["longest_streak"] == 4

    @time_machine.travel(NOW, tick=False)
    def test_today_extends_the_streak_and_only_runs_count(self, cast):
        today = date(2026, 11, 18)
        make_activity(cast.bob, at(today, 6))
        make_activity(cast.bob, at(today - timedelta(days=1)))
        make_activity(cast.bob, at(today - timedelta(days=2)), sport="ride")
        data = cast.api(cast.bob).post(self.URL, {}).json()["data"]
        assert data["current_streak"] == 2
        assert len(data["calendar"]) == 90

    @time_machine.travel("2026-11-18 03:00:00Z", tick=False)
    def test_today_is_the_local_day_of_the_timezone(self, cast):
        # 03:00 UTC on the 18th is still the 17th in Chicago; a run at 22:00 local on the 17th.
        make_activity(cast.bob, datetime(2026, 11, 18, 4, 0, tzinfo=UTC) - timedelta(hours=2))
        chicago = (
            cast.api(cast.bob)
            .post(self.URL, {"days": 3, "timezone": "America/Chicago"})
            .json()["data"]
        )
        assert chicago["calendar"][-1]["date"] == "2026-11-17"
        assert chicago["calendar"][-1]["active"] is True

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"days": 0}, "days"), ({"days": 366}, "days"), ({"timezone": "Atlantis"}, "timezone")],
    )
    def test_bad_body_names_the_field(self, cast, body, field):
        assert_error(cast.api(cast.bob).post(self.URL, body), 400, field=field)

    def test_permissions_use_the_body_user_id(self, cast):
        assert (
            cast.api(cast.cora).post(self.URL, {"user_id": cast.alice.public_id}).status_code == 200
        )
        assert_error(cast.api(cast.olga).post(self.URL, {"user_id": cast.alice.public_id}), 403)


@time_machine.travel(NOW, tick=False)
def test_summary_numbers(cast):
    today = date(2026, 11, 18)  # Wednesday
    # This week (Mon 16 - Wed 18): 6 km + 9 km; last week: 10 km.
    make_activity(cast.bob, at(date(2026, 11, 16)), distance=6000, training_load=60)
    make_activity(cast.bob, at(date(2026, 11, 18)), distance=9000, training_load=90)
    make_activity(cast.bob, at(date(2026, 11, 11)), distance=10000, training_load=100)
    # Last Friday is later in its week than today: "vs last week" compares the same days
    # (API.md, user_metrics_summary), so this run is not part of the comparison.
    make_activity(cast.bob, at(date(2026, 11, 13)), distance=30000, training_load=0)
    # The four weeks before this one: loads 100 (w-1), 0, 200, 100 (w-4) -> mean 100.
    make_activity(cast.bob, at(date(2026, 10, 28)), distance=20000, training_load=200)
    make_activity(cast.bob, at(date(2026, 10, 19)), distance=10000, training_load=100)
    for back, (rhr, hrv, vo2) in enumerate([(50, 60, 50.0), (52, 62, 50.4), (48, 70, 50.2)]):
        make_health(cast.bob, today - timedelta(days=back), resting_hr=rhr, hrv=hrv, vo2_max=vo2)
    data = cast.api(cast.bob).get("/api/v1/analytics/user_metrics_summary").json()["data"]
    assert data["weekly_distance"] == 15000
    assert data["weekly_distance_change_pct"] == 50.0  # 15 km vs 10 km
    assert data["current_week_load"] == 150
    assert data["four_week_avg_load"] == 100
    # Acute: last 7 days (12-18 Nov) = 150. Chronic: 28 days (22 Oct-18 Nov) = 150+100+200 = 450 -> /4 = 112.5
    assert data["acute_chronic_ratio"] == 1.33
    assert data["resting_hr"] == 50  # median of 50, 52, 48
    assert data["hrv_avg"] == 64.0  # (60 + 62 + 70) / 3
    assert data["vo2_max"] == 50.2
    assert data["current_streak"] == 1
    assert data["last_activity_at"].startswith("2026-11-18T07:00:00")


@time_machine.travel(NOW, tick=False)
def test_charts_series_lengths_and_trends(cast):
    today = date(2026, 11, 18)
    make_activity(cast.bob, at(today), distance=7000, training_load=100)
    make_health(cast.bob, today - timedelta(days=1), resting_hr=50)
    make_health(cast.bob, today, resting_hr=54)
    data = cast.api(cast.bob).get("/api/v1/analytics/user_metrics_charts").json()["data"]
    daily = data["daily_distance"]
    assert len(daily) == 30 and daily[-1]["date"] == "2026-11-18"
    # METRICS.md §4: chart distances in km to one decimal.
    assert daily[-1]["value"] == 7.0
    assert daily[-1]["trend"] == 1.0  # 7 km over 7 days
    weekly = data["weekly_training_load"]
    assert len(weekly) == 12 and weekly[-1]["week_start"] == "2026-11-16"
    assert weekly[-1]["value"] == 100 and weekly[-1]["trend"] == 25.0
    rhr = data["resting_hr"]
    assert len(rhr) == 90
    assert rhr[-1] == {"date": "2026-11-18", "value": 54, "trend": 52.0}
    assert rhr[-3]["value"] is None
    ff = data["fitness_fatigue"]
    assert len(ff) == 90 and ff[-1]["date"] == "2026-11-18"
    # First day of data is today: CTL = 100/42, ATL = 100/7, TSB = yesterday's 0 - 0.
    assert ff[-1] == {"date": "2026-11-18", "ctl": 2.4, "atl": 14.3, "tsb": 0.0}


@time_machine.travel(NOW, tick=False)
def test_cached_results_change_at_once_after_a_write(cast):
    api = cast.api(cast.bob)
    params = {"from": "2026-11-01", "to": "2026-11-18", "timezone": "UTC"}
    before = api.get("/api/v1/analytics/activity_stats", params).json()["data"]["totals"][
        "distance"
    ]
    created = api.post(
        "/api/v1/activities",
        {"start_time": "2026-11-17T07:00:00Z", "distance": 4321, "duration": 1500},
    ).json()["data"]
    after = api.get("/api/v1/analytics/activity_stats", params).json()["data"]["totals"]["distance"]
    assert (before, after) == (0, 4321)
    api.patch(f"/api/v1/activities/{created['activity_id']}", {"distance": 5000})
    assert (
        api.get("/api/v1/analytics/activity_stats", params).json()["data"]["totals"]["distance"]
        == 5000
    )
    api.delete(f"/api/v1/activities/{created['activity_id']}")
    assert (
        api.get("/api/v1/analytics/activity_stats", params).json()["data"]["totals"]["distance"]
        == 0
    )
    health = {"from": "2026-11-17", "to": "2026-11-17"}
    assert (
        api.get("/api/v1/analytics/health_metrics", health).json()["data"]["series"][0]["hrv"]
        is None
    )
    api.post("/api/v1/health_metrics", {"date": "2026-11-17", "hrv": 66})
    assert (
        api.get("/api/v1/analytics/health_metrics", health).json()["data"]["series"][0]["hrv"] == 66
    )


@time_machine.travel(NOW, tick=False)
def test_results_are_served_from_the_cache_for_five_minutes(cast, django_assert_max_num_queries):
    api = cast.api(cast.bob)
    params = {"from": "2026-01-01", "to": "2026-11-18"}
    first = api.get("/api/v1/analytics/activity_stats", params)
    # A row written behind the API's back (no version bump) is not seen until refresh=true.
    make_activity(cast.bob, at(date(2026, 11, 10)), distance=1234)
    assert api.get("/api/v1/analytics/activity_stats", params).content == first.content
    refreshed = api.get("/api/v1/analytics/activity_stats", {**params, "refresh": "true"}).json()[
        "data"
    ]
    assert refreshed["totals"]["distance"] == 1234


ENDPOINTS = [
    ("get", "fitness_stats", {}),
    (
        "get",
        "running_stats",
        {"from_timestamp": 1762000000, "to_timestamp": 1762600000, "range_type": "daily"},
    ),
    ("get", "activity_stats", {"from": "2026-11-01", "to": "2026-11-10"}),
    ("get", "health_metrics", {"from": "2026-11-01", "to": "2026-11-10"}),
    ("post", "running_streaks", {}),
    ("get", "user_metrics_charts", {}),
    ("get", "user_metrics_summary", {}),
]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS)
def test_permission_matrix(cast, method, path, params):
    def call(who, user):
        body = {**params, "user_id": user.public_id} if user else dict(params)
        return getattr(cast.api(who), method)(f"/api/v1/analytics/{path}", body)

    assert call(cast.alice, None).status_code == 200  # self
    assert call(cast.alice, cast.alice).status_code == 200
    assert call(cast.cora, cast.alice).status_code == 200  # coach of the athlete's org
    assert call(cast.riverside_key, cast.alice).status_code == 200  # the org's API key
    assert_error(call(cast.bob, cast.alice), 403, "PERMISSION_DENIED")  # another athlete
    assert_error(call(cast.olga, cast.alice), 403, "PERMISSION_DENIED")  # coach of another org
    assert_error(call(cast.hilltop_key, cast.alice), 403, "PERMISSION_DENIED")  # another org's key
    assert_error(call(None, cast.alice), 401, "NOT_AUTHENTICATED")
    unknown = {**params, "user_id": "usr_0000000000000000"}
    assert_error(
        getattr(cast.api(cast.cora), method)(f"/api/v1/analytics/{path}", unknown), 404, "NOT_FOUND"
    )


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(("method", "path", "params"), ENDPOINTS)
def test_query_count_is_constant_whatever_the_range(
    cast, django_assert_max_num_queries, method, path, params
):
    for back in range(0, 300, 2):
        make_activity(cast.bob, at(date(2026, 11, 18) - timedelta(days=back)))
    with django_assert_max_num_queries(8):
        response = getattr(cast.api(cast.bob), method)(f"/api/v1/analytics/{path}", params)
    assert response.status_code == 200


@time_machine.travel("2026-11-20 18:00:00Z", tick=False)  # a Friday
def test_on_a_friday_the_week_so_far_is_compared_with_the_same_days_of_last_week(cast):
    """The complaint: on a Friday every profile said "down 69% on last week", four days
    against seven. API.md and METRICS.md §8: Monday through today's weekday, both weeks."""
    make_activity(cast.bob, at(date(2026, 11, 17)), distance=8000)  # this Tuesday
    make_activity(cast.bob, at(date(2026, 11, 10)), distance=8000)  # last Tuesday
    make_activity(cast.bob, at(date(2026, 11, 14)), distance=16000)  # last Saturday
    make_activity(cast.bob, at(date(2026, 11, 15)), distance=20000)  # last Sunday
    api = cast.api(cast.bob)
    summary = api.get("/api/v1/analytics/user_metrics_summary").json()["data"]
    assert summary["weekly_distance"] == 8000
    assert summary["weekly_distance_change_pct"] == 0.0  # 8 km vs 8 km, not vs 44 km
    profile = api.get("/api/v1/analytics/athlete_profile").json()["data"]
    weekly = profile["insights"]["weekly_summary"]
    assert weekly.startswith("This week so far: 8.0 km, level with the same days last week.")
    assert profile["metrics"]["running_analytics"]["last_week_same_days_distance"] == 8000
