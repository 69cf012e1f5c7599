"""`make run` loads the demo club with `seed_demo`: it must load on the current schema, its
members have all accepted their invitations (nobody joins without one), and it is served."""

import pytest
from django.core.management import call_command

from analytics.standings import stale_instances
from athletes.models import PlanInstance, User
from organizations.models import Invitation, Membership
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_demo_club_loads_and_every_member_accepted_an_invitation():
    call_command("seed_demo", "--athletes", "6")
    members = Membership.objects.exclude(role="owner")
    accepted = set(
        Invitation.objects.filter(status="accepted").values_list("answered_by_id", flat=True)
    )
    assert members.count() == 7  # a coach and six athletes
    assert set(members.values_list("user_id", flat=True)) <= accepted
    assert Invitation.objects.filter(status="pending").count() == 1
    coach = User.objects.get(email="maria@riverside.example")
    assert signed_in(coach).get("/athletes").status_code == 200
    # Every plan's standing was computed by the seed: the Plans tab reads, it does not wait.
    organization = Membership.objects.get(user=coach).organization
    assert PlanInstance.objects.filter(plan__organization=organization).exists()
    assert stale_instances(organization_id=organization.pk) == []
    plans = signed_in(coach).get("/analytics?tab=plans")
    assert plans.status_code == 200 and b'data-testid="plans-by-athlete"' in plans.content
    call_command("seed_demo", "--if-empty")  # a second `make run` keeps the club
    assert User.objects.filter(email="maria@riverside.example").count() == 1


def test_the_demos_recent_runs_are_watch_recordings_with_splits_a_route_and_charts():
    """Issue 33: a coach trying Astral sees what a watch records: the demo's recent runs are
    TCX files stored by the upload's import (track, heart rate, cadence, laps), so their
    pages show splits, a route and charts, and every athlete has a pace curve."""
    from athletes.models import Activity, ActivityFile, PaceCurve

    call_command("seed_demo", "--athletes", "3", "--days", "40", "--track-days", "10")
    recorded = Activity.objects.filter(stream__isnull=False).select_related("user")
    assert recorded.exists()
    assert ActivityFile.objects.filter(activity__in=recorded).count() == recorded.count()
    run = recorded.filter(user__email="alex@riverside.example").latest("start_time")
    assert run.name in {"Easy run", "Tempo", "Intervals", "Recovery jog", "Long run"}
    assert run.stream.laps and len(run.stream.laps) >= run.distance // 1000
    html = signed_in(run.user).get(f"/activities/{run.public_id}").content.decode()
    for part in (
        'data-testid="splits"',
        'class="route"',
        'id="chart-pace"',
        'id="chart-hr"',
        'id="chart-elevation"',
        'id="chart-cadence"',
    ):
        assert part in html, part
    assert "No GPS track" not in html
    runners = {a.user_id for a in recorded}
    assert set(PaceCurve.objects.values_list("user_id", flat=True)) >= runners
