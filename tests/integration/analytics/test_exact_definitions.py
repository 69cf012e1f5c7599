"""Issue 35: the definitions the contract now makes exact, each from METRICS.md or API.md and
computed by hand here (the formulas are the spec's, the inputs the test's own)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from astral.localtime import local_today

pytestmark = pytest.mark.django_db

ZONES = [f"pace_z{i}_time" for i in range(1, 6)]
HR_ZONES = [f"hr_z{i}_time" for i in range(1, 6)]


def trimp(minutes: float, hr: float, rest: float, top: float) -> float:
    """METRICS.md §3, men's constants (no sex given), rounded to one decimal."""
    x = min(max((hr - rest) / (top - rest), 0.0), 1.0)
    return round(minutes * x * 0.64 * math.exp(1.92 * x), 1)


def at_noon(day: date, tz: str = "UTC") -> str:
    return datetime.combine(day, time(12), tzinfo=ZoneInfo(tz)).isoformat()


def test_an_activity_uses_the_resting_hr_of_its_own_seven_days_fixed_when_stored(cast):
    """§2: the 7 local days end on the activity's own local day (its reading included); a
    reading that arrives later does not change a stored load."""
    api = cast.api(cast.bob)
    assert api.patch("/api/v1/users/me", {"max_hr": 190}).status_code == 200
    today = local_today(cast.bob.tz)
    run_day = today - timedelta(days=10)
    api.post("/api/v1/health_metrics", {"date": run_day.isoformat(), "resting_hr": 50})
    api.post("/api/v1/health_metrics", {"date": today.isoformat(), "resting_hr": 70})
    run = api.post(
        "/api/v1/activities",
        {
            "start_time": at_noon(run_day),
            "distance": 12000,
            "duration": 3600,
            "avg_heart_rate": 150,
        },
    ).json()["data"]
    # Rest 50 (that day's), max 190: not today's 70.
    assert run["training_load"] == trimp(60, 150, 50, 190)
    assert run["training_load"] != trimp(60, 150, 70, 190)

    # A reading for the day before arrives later: the median of its 7 days would be 45
    # now, yet the stored load stays.
    api.post(
        "/api/v1/health_metrics",
        {"date": (run_day - timedelta(days=1)).isoformat(), "resting_hr": 40},
    )
    stored = api.get(f"/api/v1/activities/{run['activity_id']}").json()["data"]
    assert stored["training_load"] == trimp(60, 150, 50, 190)
    # Edited, it is computed again from its days as they are now: median of 40 and 50.
    edited = api.patch(f"/api/v1/activities/{run['activity_id']}", {"avg_heart_rate": 151})
    assert edited.json()["data"]["training_load"] == trimp(60, 151, 45, 190)


def test_zone_times_that_cannot_be_known_are_null_and_so_are_their_sums(cast):
    """§2: no pace zones derivable (no `pace_zones`, no VDOT) → pace-zone times null, not 0;
    no HR → HR-zone times null; the sums of such activities in activity_stats and
    running_stats are null too."""
    api = cast.api(cast.bob)  # Bob has set neither pace zones nor a VDOT
    day = local_today(cast.bob.tz) - timedelta(days=2)
    run = api.post(
        "/api/v1/activities", {"start_time": at_noon(day), "distance": 5000, "duration": 1500}
    ).json()["data"]
    assert [run[name] for name in ZONES + HR_ZONES] == [None] * 10
    stats = api.get(
        "/api/v1/analytics/activity_stats", {"from": day.isoformat(), "to": day.isoformat()}
    ).json()["data"]
    assert [stats["buckets"][0][name] for name in ZONES] == [None] * 5
    assert [stats["totals"][name] for name in ZONES] == [None] * 5
    assert stats["totals"]["distance"] == 5000
    window = {
        "from_timestamp": int(datetime.combine(day, time(0), tzinfo=UTC).timestamp()),
        "to_timestamp": int(
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC).timestamp()
        ),
        "range_type": "daily",
        "timezone": "UTC",
    }
    (point,) = api.get("/api/v1/analytics/running_stats", window).json()["data"]
    assert [point[name] for name in ZONES] == [None] * 5

    # With a VDOT of 50 the zones are derivable: a 5:00/km run is slower than its 4:53
    # boundary (§2), so all 25:00 sit in Z1; with 150 bpm of a max of 190 (79 %), HR Z3.
    assert api.patch("/api/v1/users/me", {"vdot": 50, "max_hr": 190}).status_code == 200
    run = api.post(
        "/api/v1/activities",
        {
            "start_time": at_noon(day - timedelta(days=1)),
            "distance": 5000,
            "duration": 1500,
            "avg_heart_rate": 150,
        },
    ).json()["data"]
    assert [run[name] for name in ZONES] == [1500, 0, 0, 0, 0]
    assert [run[name] for name in HR_ZONES] == [0, 0, 1500, 0, 0]
    both = api.get(
        "/api/v1/analytics/activity_stats",
        {"from": (day - timedelta(days=1)).isoformat(), "to": day.isoformat()},
    ).json()["data"]
    # The known times add up; the day whose run has none stays null.
    assert both["totals"]["pace_z1_time"] == 1500
    assert [b["pace_z1_time"] for b in both["buckets"]] == [1500, None]


def test_flags_say_what_their_current_is(cast):
    """§5: `change_pct` signed, one decimal; `inactive`'s current is the days since the last
    activity, its previous and change_pct null."""
    api = cast.api(cast.bob)
    today = local_today(cast.bob.tz)
    api.post(
        "/api/v1/activities",
        {"start_time": at_noon(today - timedelta(days=10)), "distance": 8000, "duration": 2400},
    )
    # HRV 80 three mornings of last week, 60 three mornings of this one: −25.0 %.
    for back, hrv in ((8, 80), (9, 80), (10, 80), (1, 60), (2, 60), (3, 60)):
        api.post(
            "/api/v1/health_metrics",
            {"date": (today - timedelta(days=back)).isoformat(), "hrv": hrv},
        )
    flags = api.get("/api/v1/analytics/athlete_profile", {"refresh": "true"}).json()["data"]
    flags = {f["code"]: f for f in flags["attention_signals"]["flags"]}
    assert (flags["hrv_drop"]["current"], flags["hrv_drop"]["previous"]) == (60, 80)
    assert flags["hrv_drop"]["change_pct"] == -25.0
    inactive = flags["inactive"]
    assert (inactive["current"], inactive["previous"], inactive["change_pct"]) == (10, None, None)


def test_load_spike_reports_the_ratio_as_its_current(cast):
    api = cast.api(cast.bob)
    today = local_today(cast.bob.tz)
    loads = {}
    for back in (27, 5, 4, 3, 2, 1):
        run = api.post(
            "/api/v1/activities",
            {
                "start_time": at_noon(today - timedelta(days=back)),
                "distance": 10000,
                "duration": 3000,
                "avg_heart_rate": 160,
            },
        ).json()["data"]
        loads[back] = run["training_load"]
    # §4: (load of the last 7 days) ÷ (load of the last 28 days ÷ 4), two decimals.
    last_7 = sum(v for k, v in loads.items() if k <= 6)
    last_28 = sum(loads.values())
    ratio = round(last_7 / (last_28 / 4), 2)
    assert ratio >= 1.5
    profile = api.get("/api/v1/analytics/athlete_profile", {"refresh": "true"}).json()["data"]
    spike = next(f for f in profile["attention_signals"]["flags"] if f["code"] == "load_spike")
    assert (spike["current"], spike["previous"], spike["change_pct"]) == (ratio, None, None)


def test_derived_calories_are_whole_kcal(cast):
    """§7: 1.0 kcal × 70 kg (weight unknown) × 3.333 km = 233.31 → 233 kcal, stored whole."""
    api = cast.api(cast.bob)
    run = api.post(
        "/api/v1/activities",
        {
            "start_time": at_noon(local_today(cast.bob.tz) - timedelta(days=1)),
            "distance": 3333,
            "duration": 1000,
        },
    ).json()["data"]
    assert run["calories"] == 233


def test_health_samples_count_days_with_a_reading_and_history_only_those_days(cast):
    """API.md: `samples` = days in the bucket with at least one reading; the profile's
    history arrays hold only days with a reading of their metric."""
    api = cast.api(cast.bob)
    today = local_today(cast.bob.tz)
    monday = today - timedelta(days=today.weekday())
    api.post("/api/v1/health_metrics", {"date": monday.isoformat(), "hrv": 70, "vo2_max": 51})
    # Only the night's sleep logged the day after: no reading of a metric the series shows.
    if today > monday:
        api.post(
            "/api/v1/health_metrics",
            {"date": (monday + timedelta(days=1)).isoformat(), "sleep_seconds": 27000},
        )
    api.post(
        "/api/v1/health_metrics",
        {"date": (monday - timedelta(days=1)).isoformat(), "recovery_score": 80},
    )
    week = api.get(
        "/api/v1/analytics/health_metrics",
        {"from": monday.isoformat(), "to": today.isoformat(), "granularity": "week"},
    ).json()["data"]["series"]
    assert [(p["hrv"], p["samples"]) for p in week] == [(70, 1)]
    days = api.get(
        "/api/v1/analytics/health_metrics",
        {"from": monday.isoformat(), "to": monday.isoformat()},
    ).json()["data"]["series"]
    assert days[0]["samples"] == 1
    profile = api.get("/api/v1/analytics/athlete_profile").json()["data"]
    fitness = profile["metrics"]["fitness"]
    assert fitness["vo2_max_history"] == [{"date": monday.isoformat(), "value": 51}]
    assert fitness["recovery_score_history"] == [
        {"date": (monday - timedelta(days=1)).isoformat(), "value": 80}
    ]


def test_group_comparison_ends_on_the_requesters_local_today(cast):
    """API.md: `period=7|14|30` are the days ending on the requester's local today (an API
    key's: UTC)."""
    cast.cora.timezone = "Pacific/Kiritimati"  # UTC+14: a day ahead of UTC most hours
    cast.cora.save(update_fields=["timezone"])
    params = {"org_id": cast.riverside.public_id, "period": "7"}
    mine = cast.api(cast.cora).get("/api/v1/analytics/group_comparison", params).json()["data"]
    today = local_today(ZoneInfo("Pacific/Kiritimati"))
    assert (mine["from"], mine["to"]) == (
        (today - timedelta(days=6)).isoformat(),
        today.isoformat(),
    )
    keyed = cast.api(cast.riverside_key).get("/api/v1/analytics/group_comparison", params)
    utc_today = local_today(UTC)
    assert keyed.json()["data"]["to"] == utc_today.isoformat()


def test_chart_trends_include_the_days_before_the_charts_first_point(cast):
    """§4: each trend point is the trailing mean including the real data before the chart's
    first day (never a mean cut short at the window's start). A 7 km run 31 days ago, none
    since: the 30-day chart's first point (29 days ago) has the 7-day mean 7 ÷ 7 = 1.0 km."""
    api = cast.api(cast.bob)
    today = local_today(cast.bob.tz)
    api.post(
        "/api/v1/activities",
        {"start_time": at_noon(today - timedelta(days=31)), "distance": 7000, "duration": 2400},
    )
    daily = api.get("/api/v1/analytics/user_metrics_charts").json()["data"]["daily_distance"]
    assert len(daily) == 30 and daily[0]["date"] == (today - timedelta(days=29)).isoformat()
    assert (daily[0]["value"], daily[0]["trend"]) == (0, 1.0)
    # The window of 25 days ago (31..25 days ago) still holds the run; 24 days ago it has left.
    assert (daily[4]["trend"], daily[5]["trend"]) == (1.0, 0)


def test_a_runs_insight_compares_it_with_the_whole_four_weeks_before_its_day(cast):
    """§8: an activity's insight says how it compares with the last 4 weeks, the 28 local
    days before its own day. A 12 km run 20 days back is compared with a 30 km run 40 days
    back (inside its four weeks, though older than the five weeks whose runs get insights):
    it is a short one against that average (12 / 30 = 0.4 ≤ 0.75), not a run with nothing to
    compare it with."""
    from analytics.models import AthleteSnapshot
    from analytics.snapshots import snapshots_refresh
    from athletes.services.changes import athlete_data_changed
    from tests.factories import make_activity

    alice = cast.alice
    today = local_today(alice.tz)
    for days_back, distance in ((100, 5000), (40, 30000), (20, 12000)):
        start = datetime.combine(today - timedelta(days=days_back), time(7), tzinfo=alice.tz)
        make_activity(alice, start, distance=distance, duration=distance * 0.3)
    athlete_data_changed([alice.pk])
    snapshots_refresh([alice.pk])
    recent = AthleteSnapshot.objects.get(user=alice).data["insights_by_units"]["metric"][
        "recent_activities"
    ]
    # Only the run of the last five weeks gets a sentence: 12 km at 5:00 /km (0.3 s a metre).
    assert [r["summary"] for r in recent] == [
        "12.0 km at 5:00 /km. A short one compared with your 4-week average."
    ]


def test_an_activity_is_compared_with_the_activities_of_its_kind(cast):
    """§8: a run's four weeks are runs (of any running sport), a ride's are rides: a 60 km
    ride does not make a 12 km run look short, nor is the ride "the longest run"."""
    from analytics.models import AthleteSnapshot
    from analytics.snapshots import snapshots_refresh
    from athletes.services.changes import athlete_data_changed
    from tests.factories import make_activity

    alice = cast.alice
    today = local_today(alice.tz)
    # (days back, sport, metres, seconds a metre): the first one makes the history 100 days.
    for days_back, sport, distance, pace in (
        (100, "run", 5000, 0.3),
        (15, "trail_run", 10000, 0.3),
        (10, "ride", 60000, 0.12),
        (5, "run", 12000, 0.3),
    ):
        start = datetime.combine(today - timedelta(days=days_back), time(7), tzinfo=alice.tz)
        make_activity(alice, start, distance=distance, duration=distance * pace, sport=sport)
    athlete_data_changed([alice.pk])
    snapshots_refresh([alice.pk])
    recent = AthleteSnapshot.objects.get(user=alice).data["insights_by_units"]["metric"][
        "recent_activities"
    ]
    assert [r["summary"] for r in recent] == [
        # Its four weeks hold the 10 km trail run only: 12 > 10 (and 1.2× is no remark).
        "12.0 km at 5:00 /km. Longest run in 4 weeks.",
        # No ride in the four weeks before it: nothing to compare it with.
        "60.0 km at 2:00 /km.",
        # Its four weeks (days 43 to 16 back) hold no run.
        "10.0 km at 5:00 /km.",
    ]
