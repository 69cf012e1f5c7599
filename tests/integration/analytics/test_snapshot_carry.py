"""The hour after an athlete's local midnight (issue 18, point 3): their snapshot is stale
only because the day changed, so it carries fitness, fatigue and the streak forward from
yesterday's instead of reading a year of loads, and must say exactly what a recomputation
from all their runs says (METRICS.md §4), day after day, including the day a load leaves
the 365-day window and after a write, which recomputes in full."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.models import AthleteSnapshot
from analytics.series import load_many
from analytics.snapshots import compute, snapshots_refresh
from athletes.models import User
from athletes.services import activities
from athletes.services import changes as change_services
from tests.factories import make_activity

pytestmark = pytest.mark.django_db

# Noon in Chicago (Alice's zone), 400 days after her first run: the window moves daily.
START = datetime(2026, 11, 10, 18, tzinfo=UTC)
FIRST_RUN = START - timedelta(days=400)
BOUND = re.compile(r"'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d:\d\d)'::timestamptz")


def figures(user):
    data = AthleteSnapshot.objects.get(user=user).data
    return data["training"], data["running_analytics"]["current_streak"]


def recomputed(user):
    """The same figures from a year of the athlete's runs, nothing carried or stored, and
    the unrounded state that tomorrow would carry."""
    user = User.objects.get(pk=user.pk)
    data, carry = compute(user, load_many([user])[user.pk], integrations=0)
    return (data["training"], data["running_analytics"]["current_streak"]), carry


def same_state(stored, carry) -> bool:
    """Unrounded, so that a load a year back (weighing 0.002 in CTL) is not lost in the
    rounding the API shows."""
    return (
        stored["start"] == carry.fitness.start.isoformat()
        and stored["ctl"] == pytest.approx(carry.fitness.ctl, abs=1e-9)
        and stored["atl"] == pytest.approx(carry.fitness.atl, abs=1e-9)
        and stored["streak"] == carry.streak
    )


def spans_read(queries) -> list[timedelta]:
    """How many days each read of daily totals covered (from its two time bounds)."""
    out = []
    for query in queries.captured_queries:
        if "FROM athletes_activity" not in query["sql"] or "SUM(" not in query["sql"]:
            continue
        bounds = [datetime.fromisoformat(b) for b in BOUND.findall(query["sql"])]
        if len(bounds) == 2:
            out.append(bounds[1] - bounds[0])
    return out


def test_a_new_day_carries_forward_what_a_recomputation_gives(cast):
    alice = cast.alice
    # Runs most days for 400 days (loads from a fixed pattern), every day from day 389 on
    # (five of them still to come), and a heavy day a year back that leaves the window
    # during the test.
    for n in range(406):
        if n % 5 != 3 or n >= 391:
            make_activity(
                alice, FIRST_RUN + timedelta(days=n), training_load=float(40 + (n * 37) % 90)
            )
    make_activity(alice, FIRST_RUN + timedelta(days=36, hours=2), training_load=400.0)
    change_services.athlete_data_changed([alice.pk])
    with time_machine.travel(START, tick=False):
        with CaptureQueriesContext(connection) as queries:
            snapshots_refresh([alice.pk])
        assert max(spans_read(queries)) > timedelta(days=365)  # the first one reads the year
        assert AthleteSnapshot.objects.get(user=alice).carry["day"] == "2026-11-10"
    seen = []
    for day in range(1, 6):
        with time_machine.travel(START + timedelta(days=day), tick=False):
            with CaptureQueriesContext(connection) as queries:
                assert snapshots_refresh([alice.pk]) == 1  # stale: a new local day
            # It read five weeks of runs (and the one day leaving the window), not a year.
            assert max(spans_read(queries)) < timedelta(days=40)
            stored = AthleteSnapshot.objects.get(user=alice).carry
            assert stored["day"] == (START + timedelta(days=day)).date().isoformat()
            expected, carry = recomputed(alice)
            assert figures(alice) == expected, f"day {day}"
            assert same_state(stored, carry), f"day {day}"
            seen.append(figures(alice))
    # The streak went on growing (a run every day since day 391) and the fitness moved.
    assert [streak for _, streak in seen] == [13, 14, 15, 16, 17]  # since day 389
    assert len({training["ctl"] for training, _ in seen}) == 5
    # A write recomputes in full, from the year (a run added to last month changes it).
    with time_machine.travel(START + timedelta(days=6), tick=False):
        activities.activity_create(
            user=alice,
            fields={"start_time": START - timedelta(days=20), "distance": 30000, "duration": 9000},
        )
        with CaptureQueriesContext(connection) as queries:
            assert snapshots_refresh([alice.pk]) == 1
        assert max(spans_read(queries)) > timedelta(days=365)
        assert figures(alice) == recomputed(alice)[0]


def document(data: dict) -> dict:
    """A snapshot's document without when it was computed and since when each flag stands
    (what the stored one adds to what `compute` returns)."""
    data = {k: v for k, v in data.items() if k != "last_updated"}
    flags = [
        {k: v for k, v in f.items() if k != "since"} for f in data["attention_signals"]["flags"]
    ]
    return {**data, "attention_signals": {"flags": flags}}


def test_a_carried_snapshot_knows_the_first_run_without_reading_it(cast):
    """The carry holds the first run's local day, and the snapshot the last run's start, so
    a new day reads neither again; every figure that depends on them (the history's length
    in the attention signals, the fitness window's start, `last_activity_at`) is still what
    a recomputation gives. A carry written before it held the first run's day is still
    carried, the bounds read once."""
    alice = cast.alice  # America/Chicago
    # Three weeks of history: short enough that its length decides a signal (METRICS.md §5).
    first = START - timedelta(days=20, hours=10)  # 02:00 in Chicago on Oct 21
    for n in range(0, 21, 2):
        make_activity(alice, first + timedelta(days=n), training_load=60.0 + n)
    change_services.athlete_data_changed([alice.pk])
    with time_machine.travel(START, tick=False):
        snapshots_refresh([alice.pk])
    carry = AthleteSnapshot.objects.get(user=alice).carry
    assert carry["first"] == "2026-10-21"  # the local day, not the UTC one (Oct 21 too)
    for day, forget in ((1, False), (2, True), (3, False)):
        if forget:  # as the previous release wrote it
            AthleteSnapshot.objects.filter(user=alice).update(carry=carry_without_first(alice))
        with time_machine.travel(START + timedelta(days=day), tick=False):
            with CaptureQueriesContext(connection) as queries:
                assert snapshots_refresh([alice.pk]) == 1
            bounds_read = any("min(start_time)" in q["sql"] for q in queries.captured_queries)
            assert bounds_read == forget, f"day {day}"
            assert max(spans_read(queries)) < timedelta(days=40)  # carried, not recomputed
            stored = AthleteSnapshot.objects.get(user=alice)
            fresh = User.objects.get(pk=alice.pk)
            expected, _ = compute(fresh, load_many([fresh])[fresh.pk], integrations=0)
            assert document(stored.data) == document(expected), f"day {day}"
            assert stored.last_activity_at == first + timedelta(days=20)
            assert stored.carry["first"] == "2026-10-21"


def carry_without_first(user) -> dict:
    carry = dict(AthleteSnapshot.objects.get(user=user).carry)
    del carry["first"]
    return carry
