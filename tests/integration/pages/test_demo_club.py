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
