"""Small builders for test data; every default is a plausible runner."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Any

from athletes.models import Activity, HealthMetric, User
from organizations.models import Membership, Organization, Role
from organizations.services import api_key_create

_seq = itertools.count(1)


def make_user(username: str | None = None, **fields: Any) -> User:
    n = next(_seq)
    username = username or f"runner{n}"
    fields.setdefault("email", f"{username}@example.com")
    fields.setdefault("display_name", username.capitalize())
    password = fields.pop("password", "correct-horse-battery-staple")
    return User.objects.create_user(username=username, password=password, **fields)


def make_org(name: str = "Riverside Runners") -> Organization:
    return Organization.objects.create(name=name)


def add_member(
    org: Organization, user: User, role: str = Role.ATHLETE, **fields: Any
) -> Membership:
    return Membership.objects.create(organization=org, user=user, role=role, **fields)


def make_activity(
    user: User,
    start_time: datetime,
    distance: float = 10_000,
    duration: float = 3_000,
    **fields: Any,
) -> Activity:
    """A stored activity, written straight to the table (no derived fields unless given)."""
    return Activity.objects.create(
        user=user, start_time=start_time, distance=distance, duration=duration, **fields
    )


def make_health(user: User, day: date, **fields: Any) -> HealthMetric:
    return HealthMetric.objects.create(user=user, date=day, **fields)


def make_api_key(org: Organization) -> str:
    return api_key_create(organization=org, name="integration", created_by=None)[1]
