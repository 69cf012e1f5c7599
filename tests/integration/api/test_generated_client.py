"""Issue 37, API.md §5: "A client generated with a mainstream generator (e.g.
`openapi-python-client`) parses every response into typed models without hand edits."

The test generates a Python client from the live schema with openapi-python-client (its one
setting: enums as `Literal`s, since a timezone enum holds names that differ only in case or
sign) and runs an integration's sync with it over HTTP against a live server: sign in, push
runs, replace one by its external id, upload a watch file, then read the profile, the roster,
the stats, the change feed and the group dashboards; errors too. Each answer must come back
as the generated model of its status, holding the numbers that were sent."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from tests.conftest import ACTIVITY_FILES

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
CONFIG = "literal_enums: true\npost_hooks: []\npackage_name_override: astral_client\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: Any) -> Any:
    """The client package, generated from the schema the server publishes."""
    where = tmp_path_factory.mktemp("client")
    schema = SchemaGenerator().get_schema(request=None, public=True)
    (where / "schema.json").write_bytes(OpenApiJsonRenderer().render(schema))
    (where / "config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(where / "schema.json"),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(where / "astral_client"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Every JSON answer is understood: the only operations left unparsed are the two file
    # downloads (a zip and a FIT file), which a client reads as bytes.
    said = (done.stdout + done.stderr).splitlines()
    skipped = [line for line in said if line.startswith("WARNING parsing")]
    assert sorted(skipped) == [
        "WARNING parsing GET /api/v1/analytics/calendar/workout.fit within api.",
        "WARNING parsing GET /api/v1/users/me/export within api.",
    ], done.stdout
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module("astral_client")
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m.startswith("astral_client")]:
            del sys.modules[name]


def op(name: str) -> Any:
    return importlib.import_module(f"astral_client.api.api.{name}")


def model(name: str) -> Any:
    return getattr(importlib.import_module("astral_client.models"), name)


def test_a_sync_runs_on_a_generated_client_and_every_answer_is_a_typed_model(
    generated: Any, live_server: Any, cast: Any
) -> None:
    from astral_client import AuthenticatedClient, Client
    from astral_client.types import File

    Error = model("Error")
    Activity = model("Activity")
    key = Client(base_url=live_server.url, headers={"X-API-Key": cast.riverside_key})

    # Sign in as the club's owner through the client itself.
    signed = op("auth_token_post").sync_detailed(
        client=Client(base_url=live_server.url),
        body=model("TokenRequestRequest")(
            email="cora@example.com", password="correct-horse-battery-staple"
        ),
    )
    assert isinstance(signed.parsed, model("AuthTokenPostResponse200"))
    assert signed.parsed.user.organizations[0].role == "owner"
    coach = AuthenticatedClient(base_url=live_server.url, token=signed.parsed.access)

    # Push a run for Alice (Chicago) with its external id, then replace it by that id.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    pushed = op("activities_post").sync_detailed(
        client=key,
        body=model("ActivityWriteRequest")(
            start_time=start,
            distance=10000.0,
            duration=3000.0,
            user_id=cast.alice.public_id,
            external_id="watch-1",
            source="garmin",
        ),
    )
    assert pushed.status_code == 201, pushed.content
    run = pushed.parsed.data
    assert isinstance(run, Activity)
    assert (run.distance, run.duration, run.start_time) == (10000.0, 3000.0, start)
    chicago = cast.alice.tz.utcoffset(start.replace(tzinfo=None))
    assert run.start_time_local.utcoffset() == chicago and run.start_time_local == start

    replaced = op("activities_by_external_id_source_external_id_put").sync_detailed(
        "garmin",
        "watch-1",
        client=key,
        body=model("ActivityPutRequest")(
            start_time=start, distance=10500.0, duration=3100.0, user_id=cast.alice.public_id
        ),
    )
    assert replaced.status_code == 200
    assert isinstance(replaced.parsed.data, Activity)
    assert (replaced.parsed.data.activity_id, replaced.parsed.data.distance) == (
        run.activity_id,
        10500.0,
    )

    # A bad run is an Error model naming the field; an unknown one a 404 Error.
    refused = op("activities_post").sync_detailed(
        client=key,
        body=model("ActivityWriteRequest")(
            start_time=start, distance=-5.0, duration=3000.0, user_id=cast.alice.public_id
        ),
    )
    assert refused.status_code == 400 and isinstance(refused.parsed, Error)
    assert (refused.parsed.details.code, refused.parsed.details.field) == (
        "VALIDATION_ERROR",
        "distance",
    )
    missing = op("activities_activity_id_get").sync_detailed("act_0000000000000000", client=key)
    assert missing.status_code == 404 and isinstance(missing.parsed, Error)

    # Upload Bob's treadmill TCX: the README's laps sum to 4111.48 m in 1638.07 s.
    upload = op("activities_upload_post").sync_detailed(
        client=key,
        body=model("ActivitiesUploadPostBody")(
            file=File(
                payload=io.BytesIO((ACTIVITY_FILES / "treadmill_run_fr945.tcx").read_bytes()),
                file_name="treadmill_run_fr945.tcx",
            ),
            user_id=cast.bob.public_id,
        ),
    )
    assert upload.status_code == 201, upload.content
    assert isinstance(upload.parsed.data, Activity)
    assert round(upload.parsed.data.distance, 2) == 4111.48
    assert round(upload.parsed.data.duration, 2) == 1638.07

    # The athlete's profile holds the replaced run.
    profile = op("analytics_athlete_profile_get").sync_detailed(
        client=key, user_id=cast.alice.public_id
    )
    assert isinstance(profile.parsed, model("AnalyticsAthleteProfileGetResponse200"))
    recent = profile.parsed.data.recent_activities
    assert [(a.activity_id, a.distance) for a in recent] == [(run.activity_id, 10500.0)]

    # The roster lists the club's athletes, typed to their metrics.
    roster = op("analytics_coach_athletes_metrics_get").sync_detailed(
        client=key, org_id=cast.riverside.public_id
    )
    rows = {row.user_id: row for row in roster.parsed.data.athletes}
    assert set(rows) == {cast.alice.public_id, cast.bob.public_id}
    assert isinstance(rows[cast.alice.public_id].metrics.training.current_week_load, float)

    # The stats count the one run of the last week.
    today = datetime.now(UTC).date()
    stats = op("analytics_activity_stats_get").sync_detailed(
        client=key,
        user_id=cast.alice.public_id,
        from_=today - timedelta(days=7),
        to=today + timedelta(days=1),
    )
    assert stats.status_code == 200, stats.content
    assert (stats.parsed.data.totals.runs, stats.parsed.data.totals.distance) == (1, 10500.0)

    # The change feed: Alice's run created then updated, Bob's upload created.
    feed = op("changes_get").sync_detailed(client=key)
    changes = [(c.type_, c.id, c.change) for c in feed.parsed.data.changes if c.type_ == "activity"]
    assert changes == [
        ("activity", run.activity_id, "created"),
        ("activity", run.activity_id, "updated"),
        ("activity", upload.parsed.data.activity_id, "created"),
    ]

    # The group dashboards, for a group the coach makes with the client.
    group = op("organizations_org_id_groups_post").sync_detailed(
        cast.riverside.public_id, client=coach, body=model("GroupRequest")(name="Milers")
    )
    assert group.status_code == 201, group.content
    group_id = group.parsed.data.group_id
    joined = op("groups_group_id_members_post").sync_detailed(
        group_id,
        client=coach,
        body=model("GroupMembersRequest")(user_ids=[cast.alice.public_id]),
    )
    assert joined.parsed.data.member_count == 1
    overview = op("analytics_group_overview_get").sync_detailed(
        client=coach, org_id=cast.riverside.public_id
    )
    assert overview.parsed.data.athlete_count == 2
    comparison = op("analytics_group_comparison_get").sync_detailed(
        client=coach, org_id=cast.riverside.public_id, period="7"
    )
    by_group = {g.name: g for g in comparison.parsed.data.groups}
    assert (by_group["Milers"].athlete_count, by_group["Milers"].total_distance) == (1, 10500.0)
    assert comparison.parsed.data.unassigned.athlete_count == 1
    group_stats = op("analytics_group_stats_get").sync_detailed(
        client=coach, group_id=group_id, period="7"
    )
    assert [(m.user_id, m.total_distance) for m in group_stats.parsed.data.members] == [
        (cast.alice.public_id, 10500.0)
    ]
