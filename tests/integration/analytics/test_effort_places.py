"""Each best effort's place among its athlete's efforts at that distance ("PR", "2nd",
"3rd": 1 + how many were faster, 002_…txt's personal records) is stored while it is 1-3 and
kept by PostgreSQL in the transaction of every write of efforts (analytics/records.py). After
random inserts, bulk statements, edits, deletes of runs and of whole athletes, rollbacks and
ties, every stored place must equal a count over the efforts themselves, and the marks the
activity list shows must follow."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from analytics.records import MARKS, marks_for
from athletes.models import Activity, BestEffort, User
from athletes.services import activities as activity_services
from athletes.services import changes
from tests.factories import make_activity, make_user

pytestmark = pytest.mark.django_db

KEYS = ["1k", "5k", "10k"]
ORIGIN = datetime(2026, 3, 2, 7, tzinfo=UTC)


def expected_places() -> dict[int, int | None]:
    """Every effort's place counted from scratch: 1 + the efforts of the same athlete and
    distance strictly faster, kept while it is at most 3."""
    rows = list(BestEffort.objects.values_list("pk", "user_id", "distance_key", "seconds"))
    out = {}
    for pk, user_id, key, seconds in rows:
        faster = sum(1 for _, u, k, s in rows if u == user_id and k == key and s < seconds)
        out[pk] = faster + 1 if faster + 1 <= 3 else None
    return out


def stored_places() -> dict[int, int | None]:
    return dict(BestEffort.objects.values_list("pk", "place"))


def add_run(user: User, rng: random.Random, day: int) -> Activity:
    activity = make_activity(user, ORIGIN + timedelta(days=day), distance=10_000)
    # Whole seconds from a narrow range: ties for a place are common.
    BestEffort.objects.bulk_create(
        BestEffort(
            activity=activity,
            user=user,
            distance_key=key,
            seconds=float(rng.randint(200, 212) * (1 + KEYS.index(key))),
            start_time=activity.start_time,
        )
        for key in rng.sample(KEYS, rng.randint(1, len(KEYS)))
    )
    return activity


def test_places_equal_a_count_after_random_writes():
    rng = random.Random(18)
    athletes = [make_user(f"placed{n}") for n in range(3)]
    for step in range(160):
        day = step + 1
        user = rng.choice(athletes)
        runs = list(Activity.objects.filter(user=user))
        action = rng.random()
        if action < 0.45 or not runs:
            add_run(user, rng, day)
        elif action < 0.6:
            # One statement touching several athletes' efforts at once.
            BestEffort.objects.filter(
                pk__in=rng.sample(
                    list(BestEffort.objects.order_by("pk").values_list("pk", flat=True)),
                    min(4, BestEffort.objects.count()),
                )
            ).update(seconds=float(rng.randint(195, 215)))
        elif action < 0.7:
            # Chosen by the test's seed, not PostgreSQL's random(): the same run every time.
            efforts = list(BestEffort.objects.filter(user=user).order_by("pk"))
            effort = rng.choice(efforts) if efforts else None
            if effort is not None:  # a run's effort moved to another distance
                free = [k for k in KEYS if not effort.activity.best_efforts.filter(distance_key=k)]
                if free:
                    effort.distance_key = rng.choice(free)
                    effort.save()
        elif action < 0.85:
            rng.choice(runs).delete()  # its efforts go with it
        elif action < 0.95:
            try:
                with transaction.atomic():
                    add_run(user, rng, day)
                    BestEffort.objects.filter(user=user).update(seconds=1.0)
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
        else:
            # The efforts of a run found again (efforts_rebuild): deleted and inserted anew.
            run = rng.choice(runs)
            kept = list(run.best_efforts.values("distance_key", "seconds"))
            with transaction.atomic():
                run.best_efforts.all().delete()
                BestEffort.objects.bulk_create(
                    BestEffort(activity=run, user=user, start_time=run.start_time, **row)
                    for row in kept
                )
        if step % 20 == 19:
            assert stored_places() == expected_places(), f"after step {step}"
    assert stored_places() == expected_places()
    # Some places were shared and some efforts placed nowhere, or the test proved little.
    places = list(stored_places().values())
    assert places.count(None) > 10
    assert len([p for p in places if p == 1]) > len(athletes) * len(KEYS)
    # Deleting an athlete takes their efforts, and nobody else's places move.
    before = {pk: p for pk, p in stored_places().items()}
    gone = set(BestEffort.objects.filter(user=athletes[0]).values_list("pk", flat=True))
    athletes[0].delete()
    assert stored_places() == {pk: p for pk, p in before.items() if pk not in gone}


def test_the_list_marks_follow_a_new_record_and_its_deletion(cast):
    """002_…txt: a run that beats the athlete's 5 km becomes their PR, the former PR
    their 2nd; deleting the new one gives the PR back, and the (cached) list says so."""
    athlete = cast.alice
    client = cast.api(athlete)
    first = make_activity(athlete, ORIGIN, distance=5_000)
    BestEffort.objects.create(
        activity=first, user=athlete, distance_key="5k", seconds=1300, start_time=ORIGIN
    )
    second = make_activity(athlete, ORIGIN + timedelta(days=1), distance=5_000)
    BestEffort.objects.create(
        activity=second, user=athlete, distance_key="5k", seconds=1250, start_time=ORIGIN
    )
    changes.athlete_data_changed([athlete.pk])  # what every write through the API does

    def marks() -> dict[str, list[str]]:
        body = client.get("/api/v1/activities").json()["data"]["activities"]
        return {a["activity_id"]: a["marks"] for a in body}

    assert marks() == {second.public_id: ["PR 5 km"], first.public_id: ["2nd 5 km"]}
    activity_services.activity_delete(activity=second)
    assert marks() == {first.public_id: ["PR 5 km"]}
    assert marks_for([first.pk]) == {first.pk: [f"{MARKS[1]} 5 km"]}


@pytest.mark.django_db(transaction=True)
def test_two_writers_of_one_athletes_efforts_rank_one_after_the_other():
    """Two transactions storing a record for the same athlete at once: the second to
    commit must see the first's effort, or both would call themselves the PR."""
    athlete = make_user("racing")
    runs = [make_activity(athlete, ORIGIN + timedelta(days=n)) for n in range(2)]
    stored = threading.Barrier(2)

    def store(run: Activity, seconds: float) -> None:
        try:
            with transaction.atomic():
                stored.wait(timeout=10)
                BestEffort.objects.create(
                    activity=run,
                    user=athlete,
                    distance_key="5k",
                    seconds=seconds,
                    start_time=run.start_time,
                )
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=store, args=(run, seconds))
        for run, seconds in zip(runs, (1200.0, 1190.0), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    connection.close()
    assert sorted(BestEffort.objects.values_list("seconds", "place")) == [(1190.0, 1), (1200.0, 2)]
