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
