"""API.md §4 coach_athletes_metrics and athlete_profile (the coach's morning view)."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from analytics.models import AthleteSnapshot
from astral.localtime import local_midnight, local_today
from organizations.models import Group, Role
from tests.conftest import assert_error
from tests.factories import add_member, make_activity, make_health, make_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/analytics/coach_athletes_metrics"
NOW = "2026-11-18 15:00:00Z"  # Wednesday


def names(response):
    assert response.status_code == 200, response.content
    return [a["display_name"] for a in response.json()["data"]["athletes"]]


@pytest.fixture
def club(cast):
    """Riverside gets three more athletes, a group, labels and an assigned coach."""
    erin = make_user("erin", display_name="Erin Early", email="erin@trackclub.org")
    fay = make_user("fay", display_name="Fay Fast")
    gus = make_user("gus.runner", display_name="Gus")
    for user in (erin, fay, gus):
        add_member(cast.riverside, user)
    sprinters = Group.objects.create(organization=cast.riverside, name="Sprinters")
    sprinters.members.add(cast.alice, fay)
    api = cast.api(cast.cora)
    api.patch(
        f"/api/v1/organizations/{cast.riverside.public_id}/members/{erin.public_id}",
        {"labels": ["masters"], "assigned_coach_id": cast.cora.public_id},
    )
    return {"erin": erin, "fay": fay, "gus": gus, "sprinters": sprinters}


def test_default_roster_is_every_athlete_in_name_order(cast, club):
    response = cast.api(cast.cora).get(URL)
    assert names(response) == ["Alice Andersen", "Bob Brown", "Erin Early", "Fay Fast", "Gus"]
    data = response.json()["data"]
    assert data["total_count"] == 5
    assert (
        data["metadata"]
        == data["pagination"]
        == {
            "total": 5,
            "page": 1,
            "per_page": 200,
            "total_pages": 1,
            "has_next": False,
            "has_prev": False,
        }
    )
    alice = data["athletes"][0]
    assert alice["groups"] == ["Sprinters"]
    assert alice["assigned_coach_id"] == cast.cora.public_id
    for key in ("running_analytics", "fitness", "training", "attention_signals", "last_updated"):
        assert key in alice["metrics"]
    assert set(alice["metrics"]["fitness"]["current"]) >= {
        "hrv_avg",
        "hrv_avg_prev",
        "vo2_max_prev",
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "ERIN"}, ["Erin Early"]),  # case-insensitive username/display name
        ({"search": "trackclub"}, ["Erin Early"]),  # email substring
        ({"search": "runner"}, ["Gus"]),  # username substring
        ({"label": "masters"}, ["Erin Early"]),
        ({"filter_by_coach": "1"}, ["Alice Andersen", "Erin Early"]),
        ({"unassigned_only": "1"}, ["Bob Brown", "Erin Early", "Gus"]),
    ],
)
def test_filters(cast, club, params, expected):
    assert names(cast.api(cast.cora).get(URL, params)) == expected


def test_group_and_assigned_coach_filters(cast, club):
    api = cast.api(cast.cora)
    assert names(api.get(URL, {"group_id": club["sprinters"].public_id})) == [
        "Alice Andersen",
        "Fay Fast",
    ]
    assert names(api.get(URL, {"assigned_coach_id": cast.cora.public_id})) == [
        "Alice Andersen",
        "Erin Early",
    ]
    assert_error(api.get(URL, {"group_id": "grp_nope000000000000"}), 404, field="group_id")
    assert_error(
        api.get(URL, {"assigned_coach_id": cast.alice.public_id}), 400, field="assigned_coach_id"
    )


def test_group_id_with_unassigned_only_is_a_400(cast, club):
    response = cast.api(cast.cora).get(
        URL, {"group_id": club["sprinters"].public_id, "unassigned_only": "1"}
    )
    assert_error(response, 400, "VALIDATION_ERROR", "unassigned_only")


def test_pagination_edges(cast, club):
    api = cast.api(cast.cora)
    last = api.get(URL, {"per_page": 2, "page": 3}).json()["data"]
    assert [a["display_name"] for a in last["athletes"]] == ["Gus"]
    assert last["metadata"] == {
        "total": 5,
        "page": 3,
        "per_page": 2,
        "total_pages": 3,
        "has_next": False,
        "has_prev": True,
    }
    past = api.get(URL, {"per_page": 2, "page": 4}).json()["data"]
    assert past["athletes"] == []
    assert past["metadata"]["total"] == 5 and past["metadata"]["has_next"] is False
    assert_error(api.get(URL, {"per_page": 201}), 400, field="per_page")
    assert_error(api.get(URL, {"per_page": 0}), 400, field="per_page")
    assert_error(api.get(URL, {"page": "two"}), 400, field="page")
    assert_error(api.get(URL, {"ordering": "age"}), 400, field="ordering")


@time_machine.travel(NOW, tick=False)
def test_orderings(cast, club):
    today = date(2026, 11, 18)
    make_activity(club["gus"], datetime(2026, 11, 17, 7, tzinfo=UTC), distance=20000)
    make_activity(cast.bob, datetime(2026, 11, 16, 7, tzinfo=UTC), distance=5000)
    make_activity(club["fay"], datetime(2026, 11, 18, 7, tzinfo=UTC), distance=8000)
    # Erin: inactive for 7 days after running before (an info flag); Alice: HRV fell (a warning).
    make_activity(club["erin"], datetime(2026, 11, 1, 7, tzinfo=UTC), distance=3000)
    for back in range(14):
        make_health(cast.alice, today - timedelta(days=back), hrv=50 if back < 7 else 70)
    api = cast.api(cast.cora)
    assert names(api.get(URL, {"ordering": "-weekly_distance"}))[:3] == [
        "Gus",
        "Fay Fast",
        "Bob Brown",
    ]
    assert names(api.get(URL, {"ordering": "-last_activity"}))[:4] == [
        "Fay Fast",
        "Gus",
        "Bob Brown",
        "Erin Early",
    ]
    attention = names(api.get(URL, {"ordering": "-attention"}))
    assert attention[:2] == ["Alice Andersen", "Erin Early"]
    alice = api.get(URL, {"ordering": "-attention"}).json()["data"]["athletes"][0]
    [flag] = alice["metrics"]["attention_signals"]["flags"]
    assert (flag["code"], flag["current"], flag["previous"], flag["change_pct"]) == (
        "hrv_drop",
        50,
        70,
        -28.6,
    )


def test_only_coaches_and_the_org_key_see_the_roster(cast, club):
    assert cast.api(cast.riverside_key).get(URL).status_code == 200
    assert_error(cast.api(cast.alice).get(URL), 403, "PERMISSION_DENIED")
    assert_error(cast.api(cast.charlie).get(URL), 403)
    assert_error(cast.api(cast.olga).get(URL, {"org_id": cast.riverside.public_id}), 403)
    assert_error(cast.api(cast.hilltop_key).get(URL, {"org_id": cast.riverside.public_id}), 403)
    assert_error(cast.api(None).get(URL), 401)
    assert names(cast.api(cast.olga).get(URL)) == ["Dave Dale"]
    assert_error(
        cast.api(cast.riverside_key).get(URL, {"filter_by_coach": "1"}),
        400,
        field="filter_by_coach",
    )


def test_org_id_is_required_for_a_coach_of_several_organizations(cast, club):
    add_member(cast.hilltop, cast.cora, Role.COACH)
    assert_error(cast.api(cast.cora).get(URL), 400, field="org_id")
    assert names(cast.api(cast.cora).get(URL, {"org_id": cast.hilltop.public_id})) == ["Dave Dale"]


@time_machine.travel(NOW, tick=False)
def test_a_write_shows_at_once_in_the_cached_roster_and_profile(cast, club):
    api = cast.api(cast.cora)
    before = api.get(URL, {"search": "bob"}).json()["data"]["athletes"][0]
    assert before["metrics"]["running_analytics"]["weekly_distance_km"] == 0
    profile_url = "/api/v1/analytics/athlete_profile"
    assert (
        api.get(profile_url, {"user_id": cast.bob.public_id}).json()["data"]["recent_activities"]
        == []
    )
    cast.api(cast.bob).post(
        "/api/v1/activities",
        {"start_time": "2026-11-17T07:00:00Z", "distance": 12345, "duration": 3600},
    )
    after = api.get(URL, {"search": "bob"}).json()["data"]["athletes"][0]
    assert after["metrics"]["running_analytics"]["weekly_distance_km"] == 12.3
    profile = api.get(profile_url, {"user_id": cast.bob.public_id}).json()["data"]
    assert [a["distance"] for a in profile["recent_activities"]] == [12345]
    # Membership changes invalidate too.
    api.patch(
        f"/api/v1/organizations/{cast.riverside.public_id}/members/{cast.bob.public_id}",
        {"labels": ["hills"]},
    )
    assert names(api.get(URL, {"label": "hills"})) == ["Bob Brown"]


def test_no_cache_bypasses_the_cache(cast, club):
    api = cast.api(cast.cora)
    api.get(URL)
    # A display name changed behind the services' back (no version bump) shows only with no_cache.
    type(cast.bob).objects.filter(pk=cast.bob.pk).update(display_name="Bobby")
    assert "Bobby" not in names(api.get(URL))
    assert "Bobby" in names(api.get(URL, {"no_cache": "1"}))


@pytest.mark.parametrize("athletes", [10, 200])
def test_roster_query_count_does_not_grow_with_the_page(
    cast, django_assert_max_num_queries, athletes
):
    group = Group.objects.create(organization=cast.riverside, name="Big")
    for index in range(athletes):
        user = make_user(f"bulk{athletes}_{index}")
        membership = add_member(cast.riverside, user, assigned_coach=cast.cora)
        group.members.add(user)
        make_activity(user, datetime(2026, 11, 1, 7, tzinfo=UTC))
        del membership
    api = cast.api(cast.cora)
    api.get(URL, {"no_cache": "1"})  # computes every snapshot once
    with django_assert_max_num_queries(14):
        response = api.get(URL, {"no_cache": "1", "per_page": 200})
    assert len(response.json()["data"]["athletes"]) == min(200, athletes + 2)


@pytest.mark.parametrize("athletes", [5, 40])
def test_snapshot_refresh_query_count_does_not_grow_with_the_batch(
    cast, django_assert_max_num_queries, athletes
):
    from analytics.snapshots import snapshots_refresh

    ids = []
    for index in range(athletes):
        user = make_user(f"snap{athletes}_{index}", timezone="Europe/Berlin" if index % 2 else "")
        add_member(cast.riverside, user)
        make_activity(user, datetime(2026, 11, 1, 7, tzinfo=UTC))
        make_health(user, date(2026, 11, 1), hrv=60)
        ids.append(user.pk)
    # 7 + 2 per distinct time zone (two here), whatever the number of athletes: one of them
    # reads which snapshots are stale (only those are computed).
    with django_assert_max_num_queries(12):  # with the previous flags, for their `since`
        assert snapshots_refresh(ids) == athletes
    assert AthleteSnapshot.objects.filter(user_id__in=ids).count() == athletes


class TestAthleteProfile:
    URL = "/api/v1/analytics/athlete_profile"

    @time_machine.travel(NOW, tick=False)
    def test_profile_has_every_documented_part(self, cast):
        api = cast.api(cast.alice)
        api.patch("/api/v1/users/me", {"vdot": 50, "unit_system": "metric"})
        api.put("/api/v1/users/me/integrations/strava", {})
        api.post(
            "/api/v1/goals",
            {
                "race_name": "Boston Marathon",
                "race_date": "2027-04-19",
                "distance": 42195,
                "goal_time": "3:05:00",
            },
        )
        for back in range(14):
            api.post(
                "/api/v1/health_metrics",
                {
                    "date": (date(2026, 11, 17) - timedelta(days=back)).isoformat(),
                    "hrv": 60,
                    "vo2_max": 52.0,
                    "recovery_score": 75,
                },
            )
        api.post(
            "/api/v1/activities",
            {"start_time": "2026-11-17T13:00:00Z", "distance": 10000, "duration": 3000},
        )
        data = api.get(self.URL).json()["data"]
        assert data["user_id"] == cast.alice.public_id
        assert data["username"] == "alice" and data["timezone"] == "America/Chicago"
        assert data["metrics"]["running_analytics"]["weekly_distance_km"] == 10.0
        assert data["metrics"]["running_analytics"]["avg_pace_per_km"] == "5:00"
        assert data["metrics"]["fitness"]["current"]["hrv_avg"] == 60
        assert len(data["metrics"]["fitness"]["vo2_max_history"]) == 14
        assert {"hrv_history", "recovery_score_history"} <= set(data["metrics"]["fitness"])
        assert data["current_goals"]["races"][0]["goal_time"] == "3:05:00"
        assert data["integrations"]["strava"]["connected"] is True
        assert len(data["recent_activities"]) == 1
        [insight] = data["insights"]["recent_activities"]
        assert insight["summary"].startswith("10.0 km at 5:00 /km")
        assert "This week so far: 10.0 km" in data["insights"]["weekly_summary"]
        # Data quality: pace zones (from VDOT) 20 + VDOT 20 + integrations 20 + timezone 10
        # + unit system 10; HR zones missing.
        assert data["data_quality"]["score"] == 80
        assert [c["key"] for c in data["data_quality"]["checks"] if not c["ok"]] == ["hr_zones"]
        assert data["attention_signals"] == {"flags": []}

    def test_profile_permissions(self, cast):
        path = self.URL
        assert cast.api(cast.cora).get(path, {"user_id": cast.alice.public_id}).status_code == 200
        assert (
            cast.api(cast.riverside_key).get(path, {"user_id": cast.alice.public_id}).status_code
            == 200
        )
        assert_error(cast.api(cast.bob).get(path, {"user_id": cast.alice.public_id}), 403)
        assert_error(cast.api(cast.olga).get(path, {"user_id": cast.alice.public_id}), 403)
        assert_error(cast.api(cast.cora).get(path, {"user_id": "usr_0000000000000000"}), 404)

    def test_refresh_recomputes(self, cast):
        api = cast.api(cast.alice)
        first = api.get(self.URL).json()["data"]
        make_activity(cast.alice, datetime.now(UTC) - timedelta(hours=1), distance=4000)
        assert api.get(self.URL).json()["data"]["recent_activities"] == first["recent_activities"]
        refreshed = api.get(self.URL, {"refresh": "true"}).json()["data"]
        assert [a["distance"] for a in refreshed["recent_activities"]] == [4000]


def test_cached_pages_are_served_gzip_compressed_to_clients_that_accept_it(cast):
    import gzip

    api = cast.api(cast.cora)
    plain = api.get(URL)
    compressed = api.client.get(URL, headers={**api.headers, "Accept-Encoding": "gzip, br"})
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content)


def test_a_snapshot_from_an_earlier_local_day_is_recomputed(cast, club):
    """A snapshot is fresh for its athlete's local day only: one left from two days ago
    (the hourly refresh missed it) is recomputed before the roster shows it."""
    # Two hours ago, or just after her local week began when that is sooner (at 06:00 UTC on
    # a Monday, two hours ago is Sunday in Chicago: last week's distance).
    now = datetime.now(UTC)
    today = local_today(cast.alice.tz)
    week_began = local_midnight(today - timedelta(days=today.weekday()), cast.alice.tz)
    start = max(now - timedelta(hours=2), min(week_began + timedelta(minutes=1), now))
    make_activity(cast.alice, start - timedelta(seconds=1), distance=7000)
    api = cast.api(cast.cora)

    def alice_metrics():
        response = api.get(URL, {"no_cache": "1"})
        assert response.status_code == 200, response.content
        [alice] = [
            a for a in response.json()["data"]["athletes"] if a["user_id"] == cast.alice.public_id
        ]
        return alice["metrics"]

    right = alice_metrics()
    assert right["running_analytics"]["weekly_distance"] == 7000
    two_days_ago = local_today(cast.alice.tz) - timedelta(days=2)
    AthleteSnapshot.objects.filter(user=cast.alice).update(
        as_of=two_days_ago, summary={"left": "from two days ago"}
    )
    recomputed = alice_metrics()
    assert recomputed.pop("last_updated") > right.pop("last_updated")
    assert recomputed == right
    snapshot = AthleteSnapshot.objects.get(user=cast.alice)
    assert snapshot.as_of == local_today(cast.alice.tz)


def test_athletes_with_the_same_name_are_each_on_exactly_one_page(cast):
    twins = [make_user(f"twin{i}", display_name="Sam Same") for i in range(3)]
    for user in twins:
        add_member(cast.riverside, user)
    seen = []
    for number in (1, 2, 3, 4, 5):
        response = cast.api(cast.cora).get(URL, {"per_page": 1, "page": number})
        seen += [a["user_id"] for a in response.json()["data"]["athletes"]]
    # Alice, Bob and the three Sams: every athlete once, none twice.
    assert sorted(seen) == sorted(
        [cast.alice.public_id, cast.bob.public_id, *(u.public_id for u in twins)]
    )


@time_machine.travel(NOW, tick=False)
def test_a_roster_row_carries_every_documented_part(cast, club):
    """API.md §4 coach_athletes_metrics, one row field by field. Wednesday 18 November,
    09:00 in Chicago, where Alice lives."""
    from athletes.models import PlanInstance

    alice_api = cast.api(cast.alice)
    alice_api.patch(
        "/api/v1/users/me",
        {
            "push_token": "device-token",
            "profile_image_url": "https://img.example/alice.png",
            "unit_system": "imperial",
        },
    )
    aardvarks = Group.objects.create(organization=cast.riverside, name="Aardvarks")
    aardvarks.members.add(cast.alice)
    coach = cast.api(cast.cora)
    coach.patch(
        f"/api/v1/organizations/{cast.riverside.public_id}/members/{cast.alice.public_id}",
        {"labels": ["zeta", "alpha"]},
    )
    plan_id = coach.post(
        "/api/v1/plans",
        {"name": "Base", "org_id": cast.riverside.public_id, "total_weeks": 4, "workouts": []},
    ).json()["data"]["plan_id"]
    for start in ("2026-11-09", "2026-12-07"):
        coach.post(
            f"/api/v1/plans/{plan_id}/assign",
            {"user_ids": [cast.alice.public_id], "start_date": start},
        )
    PlanInstance.objects.filter(start_date=date(2026, 12, 7)).update(status="scheduled")
    for name, day, goal_time in [
        ("Boston", "2027-04-19", "3:05:00"),
        ("Parkrun", "2026-11-21", "19:30"),
        ("Last month's 10K", "2026-10-31", "45:00"),
        ("Fun run", "2026-12-31", None),
    ]:
        goal = {"race_name": name, "race_date": day, "distance": 5000}
        assert (
            alice_api.post(
                "/api/v1/goals", goal | ({"goal_time": goal_time} if goal_time else {})
            ).status_code
            == 201
        )
    rows = {a["username"]: a for a in coach.get(URL).json()["data"]["athletes"]}
    alice = rows["alice"]
    assert {k: v for k, v in alice.items() if k != "metrics"} == {
        "user_id": cast.alice.public_id,
        "username": "alice",
        "display_name": "Alice Andersen",
        "profile_image": "https://img.example/alice.png",
        "email": cast.alice.email,
        "timezone": "America/Chicago",
        "unit_system": "imperial",
        "assigned_coach_id": cast.cora.public_id,
        "assigned_coach_name": "Cora Coach",
        "groups": ["Aardvarks", "Sprinters"],
        "group_ids": [aardvarks.public_id, club["sprinters"].public_id],
        "labels": ["alpha", "zeta"],
        "current_plans": [
            {
                "plan_instance_id": alice["current_plans"][0]["plan_instance_id"],
                "name": "Base",
                "status": "scheduled",
                "start_date": "2026-12-07",
                "current_week": 1,  # not begun: week 1
                "total_weeks": 4,
            },
            {
                "plan_instance_id": alice["current_plans"][1]["plan_instance_id"],
                "name": "Base",
                "status": "active",
                "start_date": "2026-11-09",
                "current_week": 2,  # 9 days in
                "total_weeks": 4,
            },
        ],
        "current_goals": {
            "races": [
                {
                    "goal_id": alice["current_goals"]["races"][0]["goal_id"],
                    "race_name": "Parkrun",
                    "race_date": "2026-11-21",
                    "distance": 5000,
                    "goal_time": "19:30",
                },
                {
                    "goal_id": alice["current_goals"]["races"][1]["goal_id"],
                    "race_name": "Fun run",
                    "race_date": "2026-12-31",
                    "distance": 5000,
                    "goal_time": None,
                },
                {
                    "goal_id": alice["current_goals"]["races"][2]["goal_id"],
                    "race_name": "Boston",
                    "race_date": "2027-04-19",
                    "distance": 5000,
                    "goal_time": "3:05:00",
                },
            ]
        },
        "has_push_token": True,
    }
    assert alice["metrics"]["running_analytics"]["weekly_distance"] == 0
    bob = rows["bob"]
    assert (bob["profile_image"], bob["unit_system"], bob["has_push_token"]) == (
        None,
        "metric",
        False,
    )
    assert (bob["groups"], bob["group_ids"], bob["labels"]) == ([], [], [])
    assert (bob["current_plans"], bob["current_goals"]) == ([], {"races": []})
    erin = rows["erin"]
    assert (erin["assigned_coach_id"], erin["assigned_coach_name"]) == (
        cast.cora.public_id,
        "Cora Coach",
    )

    assert erin["labels"] == ["masters"]


def test_a_cached_roster_does_not_outlive_an_athlete_s_midnight(cast):
    """Kathmandu is UTC+5:45: Monday begins there at 18:15 UTC on Sunday. A roster cached a
    minute before must not show Sunday's week a minute after, to the coach or to a key."""
    cast.alice.timezone = "Asia/Kathmandu"
    cast.alice.save()
    make_activity(cast.alice, datetime(2026, 11, 22, 6, tzinfo=UTC), distance=10_000)

    def weekly_distance(api):
        response = api.get(URL)
        assert response.status_code == 200, response.content
        [alice] = [
            a for a in response.json()["data"]["athletes"] if a["user_id"] == cast.alice.public_id
        ]
        return alice["metrics"]["running_analytics"]["weekly_distance"]

    with time_machine.travel("2026-11-22 18:14:00Z", tick=False):  # Sunday 23:59 there
        coach, key = cast.api(cast.cora), cast.api(cast.riverside_key)
        assert weekly_distance(coach) == 10_000
        assert weekly_distance(key) == 10_000
        assert weekly_distance(key) == 10_000  # the key's repeat, from the front cache
    with time_machine.travel("2026-11-22 18:16:00Z", tick=False):  # Monday 00:01 there
        assert weekly_distance(coach) == 0
        assert weekly_distance(key) == 0


def test_a_club_read_with_every_snapshot_stale_is_refreshed_in_batches(cast, monkeypatch):
    """After a restore, every snapshot of a club may be stale when a coach opens the roster:
    they are recomputed batch by batch (one batch of 10,000 passed PostgreSQL's 65,535
    parameters), and the page lists every athlete with their numbers."""
    from analytics import snapshots

    monkeypatch.setattr(snapshots, "REFRESH_BATCH", 2)
    for index in range(5):
        athlete = make_user(f"stale{index}")
        add_member(cast.riverside, athlete)
        make_activity(athlete, datetime.now(UTC) - timedelta(days=index + 1), distance=5000)
    AthleteSnapshot.objects.all().delete()
    response = cast.api(cast.cora).get(
        "/api/v1/analytics/coach_athletes_metrics", {"no_cache": "1"}
    )
    assert response.status_code == 200, response.content
    rows = response.json()["data"]["athletes"]
    assert len(rows) == 7  # alice, bob and the five
    assert all(row["metrics"] for row in rows)
    assert AthleteSnapshot.objects.count() == 7


def test_the_roster_statement_is_planned_for_its_club_on_every_call(cast):
    """Issue 36: a prepared statement's generic plan is made for a club of the service's
    average size; beside 2,000 clubs of 20 it sorted all 10,000 roster rows of the big club
    for a page of 200 (23 against 14 ms). The roster's statement is never prepared, while
    statements run as often otherwise are (so this test can see them)."""
    from django.db import connection

    api = cast.api(cast.riverside_key)
    for _ in range(8):
        response = api.get("/api/v1/analytics/coach_athletes_metrics", {"no_cache": "1"})
        assert response.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE statement LIKE '%%WITH page(id, user_id, ord)%%'),"
            " count(*) FROM pg_prepared_statements"
        )
        roster, prepared = cursor.fetchone()
    assert roster == 0
    assert prepared > 0
