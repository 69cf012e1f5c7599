"""The change log (athletes.models.DataChange) as a reader sees it: which changes a person
or an organization may read, and each as the API writes it. Read by `GET /api/v1/changes`
and by the webhooks that push the same items (API.md §5)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q

from athletes.models import DataChange, User
from organizations.models import Membership, Role


def visible(user_pk: int | None, org_ids: Iterable[int]) -> Q:
    """A person's own changes and those of the athletes of the organizations they coach (or
    a key's), and those organizations' own rows (memberships, plans)."""
    orgs = list(org_ids)
    athletes = Membership.objects.filter(organization_id__in=orgs, role=Role.ATHLETE).values(
        "user_id"
    )
    own = Q(user_id=user_pk) if user_pk is not None else Q(pk__in=[])
    return own | Q(user_id__in=athletes, organization_id__isnull=True) | Q(organization_id__in=orgs)


def cursor_text(change_id: int) -> str:
    return base64.urlsafe_b64encode(f"c{change_id}".encode()).decode().rstrip("=")


def change_items(rows: Sequence[DataChange]) -> list[dict[str, Any]]:
    """Each change as the feed and the webhooks write it (one query for the users' ids)."""
    users = dict(
        User.objects.filter(
            pk__in={r.user_id for r in rows if r.user_id}
            | {int(r.object_id) for r in rows if r.kind == "membership" and r.object_id}
        ).values_list("pk", "public_id")
    )
    return [
        {
            "cursor": cursor_text(row.id),
            "type": row.kind,
            "id": users.get(int(row.object_id))
            if row.kind == "membership" and row.object_id
            else row.object_id,
            "user_id": users.get(row.user_id),
            "change": row.change,
            "at": row.at,
        }
        for row in rows
    ]
