"""Cached answers and cached API-key sign-in (astral/cache.py, astral/api/front.py).

Integrations poll the same answers all day: a repeated request is served from Redis without
a PostgreSQL query (from the third on, before the view even runs), and nothing cached
outlives the write, membership change, key revocation or midnight that makes it wrong.
"""

import gzip
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache as django_cache
from django.utils import timezone
from django_redis import get_redis_connection

from astral import cache
from astral.api.keys import hash_api_key
from organizations.models import ApiKey
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

NOW = "2026-11-18 15:00:00Z"  # Wednesday
STATS = "/api/v1/analytics/activity_stats"
RANGE = {"from": "2026-11-01", "to": "2026-11-18"}


def poll(api, path, params, times=3):
    """An integration asking the same question again and again; the answers agree."""
    answers = [api.get(path, params) for _ in range(times)]
    assert len({(a.status_code, a.content) for a in answers}) == 1, "repeated answers differ"
    return answers[-1]


def run(api, at="2026-11-17T07:00:00Z", distance=8000):
    response = api.post(
        "/api/v1/activities",
        {"start_time": at, "distance": distance, "duration": 2400, "sport": "run"},
    )
    assert response.status_code == 201, response.content


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "path",
    ["/api/v1/analytics/athlete_profile", STATS, "/api/v1/analytics/coach_athletes_metrics"],
)
def test_a_repeated_request_with_an_api_key_needs_no_database_query(
    cast, django_assert_num_queries, path
):
    api = cast.api(cast.riverside_key)
    params = {**RANGE, "user_id": cast.alice.public_id}
    first = api.get(path, params)
    assert first.status_code == 200, first.content
    with django_assert_num_queries(0):
        again = api.get(path, params)
    assert again.status_code == 200
    assert again.content == first.content


@time_machine.travel(NOW, tick=False)
def test_a_new_activity_shows_at_once_in_a_cached_answer(cast):
    key = cast.api(cast.riverside_key)
    params = {**RANGE, "user_id": cast.alice.public_id}
    roster = "/api/v1/analytics/coach_athletes_metrics"

    def alice_in_roster():
        rows = poll(key, roster, {}).json()["data"]["athletes"]
        return next(a for a in rows if a["user_id"] == cast.alice.public_id)

    assert poll(key, STATS, params).json()["data"]["totals"]["distance"] == 0
    assert alice_in_roster()["metrics"]["last_activity_at"] is None
    run(cast.api(cast.alice), distance=8000)
    assert key.get(STATS, params).json()["data"]["totals"]["distance"] == 8000
    assert alice_in_roster()["metrics"]["last_activity_at"].startswith("2026-11-17T07:00")


@time_machine.travel(NOW, tick=False)
def test_a_teammates_run_leaves_the_keys_answers_about_alice_cached(
    cast, django_assert_num_queries
):
    """In a big club somebody writes a run every minute: Bob's run changes nothing about
    Alice, so her list is answered from the cache, her access not checked again."""
    key = cast.api(cast.riverside_key)
    path = "/api/v1/activities"
    params = {"user_id": cast.alice.public_id}
    run(cast.api(cast.alice), distance=6000)
    before = poll(key, path, params)
    run(cast.api(cast.bob), distance=9000)
    with django_assert_num_queries(0):
        after = key.get(path, params)
    assert after.content == before.content


@time_machine.travel(NOW, tick=False)
def test_alices_own_run_reaches_the_key_although_her_access_stays_cached(cast):
    """The access a key has to Alice stays cached through her writes; what it says about
    her training is read afresh (her profile counts the run at once)."""
    key = cast.api(cast.riverside_key)
    path = "/api/v1/analytics/athlete_profile"
    params = {"user_id": cast.alice.public_id}
    assert poll(key, path, params).json()["data"]["metrics"]["training"]["current_week_load"] == 0
    run(cast.api(cast.alice), at="2026-11-17T07:00:00Z", distance=8000)  # this Tuesday
    assert key.get(path, params).json()["data"]["metrics"]["training"]["current_week_load"] > 0


@time_machine.travel(NOW, tick=False)
def test_an_athlete_who_leaves_the_club_is_hidden_from_its_key_at_once(cast):
    key = cast.api(cast.riverside_key)
    params = {**RANGE, "user_id": cast.alice.public_id}
    assert poll(key, STATS, params).status_code == 200  # cached answer and cached access
    member = f"/api/v1/organizations/{cast.riverside.public_id}/members/{cast.alice.public_id}"
    assert cast.api(cast.cora).delete(member).status_code == 200
    assert_error(key.get(STATS, params), 403, "PERMISSION_DENIED")


@time_machine.travel(NOW, tick=False)
def test_an_athletes_new_time_zone_applies_at_once_to_key_reads(cast):
    key = cast.api(cast.riverside_key)
    params = {**RANGE, "user_id": cast.alice.public_id}
    assert poll(key, STATS, params).json()["data"]["timezone"] == "America/Chicago"
    patched = cast.api(cast.alice).patch("/api/v1/users/me", {"timezone": "Asia/Tokyo"})
    assert patched.status_code == 200, patched.content
    assert key.get(STATS, params).json()["data"]["timezone"] == "Asia/Tokyo"


def test_a_key_revoked_in_the_admin_is_refused_at_once(cast):
    key = cast.api(cast.riverside_key)
    path = f"/api/v1/users/{cast.alice.public_id}"
    assert key.get(path).status_code == 200  # the sign-in is now cached
    stored = ApiKey.objects.get(organization=cast.riverside)
    stored.revoked_at = timezone.now()
    stored.save()
    assert_error(key.get(path), 401, "INVALID_TOKEN")


def test_key_use_is_recorded_once_a_minute_not_on_every_request(cast):
    key = cast.api(cast.riverside_key)
    path = f"/api/v1/users/{cast.alice.public_id}"
    assert key.get(path).status_code == 200
    recorded = ApiKey.objects.get(organization=cast.riverside).last_used_at
    assert recorded is not None
    ApiKey.objects.filter(organization=cast.riverside).update(
        last_used_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert key.get(path).status_code == 200  # within the minute: not written again
    assert ApiKey.objects.get(organization=cast.riverside).last_used_at == datetime(
        2026, 1, 1, tzinfo=UTC
    )


def test_an_answer_computed_before_a_write_is_never_served_after_it():
    """The race the tokens close: a reader reads the tokens, then the database; a write
    commits in between; the reader stores what it computed from the old rows."""
    key = cache.make_key("test-answer", "race")
    deps = [cache.athlete(987654321)]
    reader = cache.fetch(key, deps)
    assert not reader.hit
    cache.invalidate(deps)  # the write commits while the reader computes
    cache.store(key, reader.tokens, "computed from the old rows", 60)
    after = cache.fetch(key, deps)
    assert not after.hit
    cache.store(key, after.tokens, "computed from the new rows", 60)
    assert cache.fetch(key, deps).value == "computed from the new rows"


@time_machine.travel(NOW, tick=False)
def test_a_key_revoked_by_its_owner_gets_no_more_answers(cast):
    key = cast.api(cast.riverside_key)
    params = {"user_id": cast.alice.public_id}
    assert poll(key, "/api/v1/analytics/athlete_profile", params).status_code == 200
    base = f"/api/v1/organizations/{cast.riverside.public_id}/api_keys"
    key_id = cast.api(cast.cora).get(base).json()["data"]["api_keys"][0]["key_id"]
    assert cast.api(cast.cora).delete(f"{base}/{key_id}").status_code == 200
    assert_error(key.get("/api/v1/analytics/athlete_profile", params), 401, "INVALID_TOKEN")


def test_another_key_of_the_club_gets_its_own_answers_and_another_club_none(cast):
    key = cast.api(cast.riverside_key)
    params = {"user_id": cast.alice.public_id}
    assert poll(key, "/api/v1/analytics/athlete_profile", params).status_code == 200
    hilltop = cast.api(cast.hilltop_key)
    assert_error(hilltop.get("/api/v1/analytics/athlete_profile", params), 403)


def test_a_race_day_goal_leaves_the_profile_at_the_athletes_midnight(cast):
    """Alice lives in Chicago: her race is today until 00:00 there (06:00 UTC)."""
    path = "/api/v1/analytics/athlete_profile"
    key = cast.api(cast.riverside_key)
    params = {"user_id": cast.alice.public_id}

    def races():
        return [
            g["race_name"] for g in poll(key, path, params).json()["data"]["current_goals"]["races"]
        ]

    with time_machine.travel("2026-11-19 05:30:00Z", tick=False):  # 23:30 in Chicago
        created = cast.api(cast.alice).post(
            "/api/v1/goals",
            {"race_name": "Turkey Trot", "race_date": "2026-11-18", "distance": 10000},
        )
        assert created.status_code == 201, created.content
        assert races() == ["Turkey Trot"]
    with time_machine.travel("2026-11-19 06:10:00Z", tick=False):  # 00:10 the next day
        assert races() == []


def test_key_use_is_still_recorded_when_answers_come_from_the_cache(cast):
    key = cast.api(cast.riverside_key)
    params = {"user_id": cast.alice.public_id}
    poll(key, "/api/v1/analytics/athlete_profile", params)
    ApiKey.objects.filter(organization=cast.riverside).update(last_used_at=None)
    # A minute later the marker of the last recording has expired (its TTL in Redis).
    django_cache.delete(cache.apikey_used(hash_api_key(cast.riverside_key)))
    assert key.get("/api/v1/analytics/athlete_profile", params).status_code == 200
    assert ApiKey.objects.get(organization=cast.riverside).last_used_at is not None


def cache_reads():
    """How many reads (MGET round trips) Redis itself has served so far."""
    stats = get_redis_connection("default").info("commandstats")
    return stats.get("cmdstat_mget", {}).get("calls", 0)


@time_machine.travel(NOW, tick=False)
def test_a_keys_polled_activity_list_costs_one_cache_read_and_after_a_write_one_query(
    cast, django_assert_num_queries
):
    """An integration polls an athlete's activities: the key's sign-in reads the list's entry
    and the athlete's token in the round trip it makes for the key (astral.api.prefetch), so
    a repeated request reads the cache once, and the first one after a write reads it once
    and PostgreSQL once, and shows the new run."""
    key = cast.api(cast.riverside_key)
    params = {"user_id": cast.alice.public_id, "per_page": 20}
    run(cast.api(cast.alice), at="2026-11-16T07:00:00Z", distance=5000)
    assert len(poll(key, "/api/v1/activities", params).json()["data"]["activities"]) == 1

    before = cache_reads()
    with django_assert_num_queries(0):
        again = key.get("/api/v1/activities", params)
    assert again.status_code == 200
    assert cache_reads() - before == 1

    run(cast.api(cast.alice), at="2026-11-17T07:00:00Z", distance=8000)
    before = cache_reads()
    with django_assert_num_queries(1):
        after = key.get("/api/v1/activities", params)
    assert cache_reads() - before == 1
    assert [a["distance"] for a in after.json()["data"]["activities"]] == [8000, 5000]


@time_machine.travel(NOW, tick=False)
def test_another_clubs_key_never_gets_a_list_this_process_has_cached(cast):
    """Riverside's key has Alice's list cached and this process knows her; Hilltop's key
    asking for it is still refused, in the API's error shape."""
    run(cast.api(cast.alice))
    params = {"user_id": cast.alice.public_id, "per_page": 20}
    assert poll(cast.api(cast.riverside_key), "/api/v1/activities", params).status_code == 200
    hilltop = cast.api(cast.hilltop_key)
    for _ in range(2):
        assert_error(hilltop.get("/api/v1/activities", params), 403, "PERMISSION_DENIED", "user_id")


@time_machine.travel(NOW, tick=False)
def test_a_list_computed_for_a_plain_client_is_served_compressed_to_the_next(
    cast, django_assert_num_queries
):
    """The body is compressed for the cache after the plain response went out; a client
    that accepts gzip then gets the same answer, compressed, without a query."""
    run(cast.api(cast.alice))
    key = cast.api(cast.riverside_key)
    params = {"user_id": cast.alice.public_id}
    plain = key.get("/api/v1/activities", params)
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    with django_assert_num_queries(0):
        packed = key.get("/api/v1/activities", params, HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content


def test_a_snapshot_read_for_a_cached_athlete_knows_their_current_version():
    """The athlete a request resolved comes from the cache without their data version
    (organizations.access): reading their snapshot reads the version with it, one
    statement, and a write since (the version moved) still makes it stale and recomputed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.snapshots import fresh_snapshots, snapshots_refresh
    from athletes.models import User
    from athletes.services.changes import athlete_data_changed
    from tests.factories import add_member, make_activity, make_org, make_user

    athlete = make_user(timezone="Europe/Berlin")
    add_member(make_org(), athlete)
    make_activity(athlete, timezone.now(), distance=8000)
    athlete_data_changed([athlete.pk])
    snapshots_refresh([athlete.pk])
    cached = User.objects.defer("data_version").get(pk=athlete.pk)
    with CaptureQueriesContext(connection) as queries:
        snapshot = fresh_snapshots([cached])[athlete.pk]
    assert len(queries.captured_queries) == 1
    assert snapshot.data["running_analytics"]["weekly_distance"] == 8000
    # A run written since: the version moved, the same cached copy gets a new snapshot.
    make_activity(athlete, timezone.now(), distance=5000)
    athlete_data_changed([athlete.pk])
    snapshot = fresh_snapshots([cached])[athlete.pk]
    assert snapshot.data["running_analytics"]["weekly_distance"] == 13000
