"""Issue 37, API.md §5 "Stable pages": the activity list's `cursor` (from `next_cursor`) is
keyed on the list's order, so runs written during a walk neither repeat nor skip the ones
that were there (offset pages shifted: an item came twice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def post(api, start: datetime, distance: float) -> str:
    return api.post(
        "/api/v1/activities",
        {"start_time": start.isoformat(), "distance": distance, "duration": 1500},
    ).json()["data"]["activity_id"]


def test_a_cursor_walk_sees_every_run_once_while_runs_are_written(cast):
    api = cast.api(cast.alice)
    base = datetime(2026, 10, 1, 7, tzinfo=UTC)
    there = [post(api, base + timedelta(days=d), 5000 + d) for d in range(25)]
    seen: list[str] = []
    page = api.get("/api/v1/activities", {"per_page": 10}).json()["data"]
    while True:
        seen += [a["activity_id"] for a in page["activities"]]
        # Meanwhile the watch syncs a newer run and an older one.
        post(api, base + timedelta(days=40 + len(seen)), 7000 + len(seen))
        post(api, base - timedelta(days=len(seen)), 9000 + len(seen))
        if not page["next_cursor"]:
            break
        page = api.get(
            "/api/v1/activities", {"per_page": 10, "cursor": page["next_cursor"]}
        ).json()["data"]
    # Newest first, every run that was there exactly once (the older ones written during
    # the walk come after them, as the list's order puts them).
    assert len(seen) == len(set(seen))
    assert [r for r in seen if r in there] == list(reversed(there))
    assert_error(api.get("/api/v1/activities", {"cursor": "bm90LW91cnM"}), 400, None, "cursor")


def test_every_list_walks_by_cursor_without_repeats_or_gaps_while_rows_change(cast):
    """API.md §5: list endpoints also take `cursor`. The goals list (in race order) walked
    two at a time while goals are added before and after the walk's position and one not yet
    reached is deleted: every goal that stayed is seen exactly once, in order."""
    api = cast.api(cast.bob)

    def goal(day: int, name: str) -> str:
        return api.post(
            "/api/v1/goals",
            {
                "race_name": name,
                "race_date": f"2027-0{1 + day // 28}-{1 + day % 28:02d}",
                "distance": 10000,
            },
        ).json()["data"]["goal_id"]

    there = [goal(3 * d + 1, f"Race {d}") for d in range(7)]  # Jan 2 … Jan 20, ascending
    seen: list[str] = []
    page = api.get("/api/v1/goals", {"per_page": 2}).json()["data"]
    assert page["metadata"]["total"] == 7
    deleted = there[5]
    while True:
        seen += [g["goal_id"] for g in page["goals"]]
        if len(seen) == 2:
            goal(0, "Before everything")  # before the walk's position: not seen
            api.delete(f"/api/v1/goals/{deleted}")  # ahead of it: never shown
            goal(40, "After everything")  # after all of them: seen at the end
        if not page["next_cursor"]:
            break
        page = api.get("/api/v1/goals", {"per_page": 2, "cursor": page["next_cursor"]}).json()[
            "data"
        ]
    stayed = [g for g in there if g != deleted]
    assert len(seen) == len(set(seen)) == len(stayed) + 1
    assert seen[:-1] == stayed
    # A cursor of another list, or one tampered with, is refused naming it.
    members = cast.api(cast.cora).get(
        f"/api/v1/organizations/{cast.riverside.public_id}/members", {"per_page": 1}
    )
    other = members.json()["data"]["next_cursor"]
    assert other
    assert_error(api.get("/api/v1/goals", {"cursor": other}), 400, None, "cursor")
    forged = "WyJnb2FscyIsIngiLCJ5Il0"  # ["goals","x","y"]: not a date, not an id
    assert_error(api.get("/api/v1/goals", {"cursor": forged}), 400, None, "cursor")


def test_a_member_list_walk_by_cursor_reads_each_member_once(cast):
    api = cast.api(cast.cora)
    url = f"/api/v1/organizations/{cast.riverside.public_id}/members"
    seen = []
    page = api.get(url, {"per_page": 1}).json()["data"]
    while True:
        seen += [m["display_name"] for m in page["members"]]
        if not page["next_cursor"]:
            break
        page = api.get(url, {"per_page": 1, "cursor": page["next_cursor"]}).json()["data"]
    assert seen == ["Alice Andersen", "Bob Brown", "Cora Coach"]
