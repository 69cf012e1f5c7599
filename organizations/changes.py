"""The change log (athletes.models.DataChange) as a reader sees it: which changes a person
or an organization may read, and each as the API writes it. Read by `GET /api/v1/changes`
and by the webhooks that push the same items (API.md §5)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from typing import Any

from athletes.models import DataChange, User

# The changes a reader may see after a cursor, oldest first: their own (`user`), those of
# the athletes of the organizations they coach (or a key's) that belong to no organization
# (an activity, a goal), and those organizations' own rows (memberships, plans). Read the
# cheaper of two ways, chosen in the statement (a one-time filter): a big club walks the
# log from the cursor until it has its page (about page x service / club rows); a small one
# reads each of its athletes' and organizations' next page from their indexes (up to page x
# club rows) and keeps the first of them. Walking the log, a club of 20 beside 2,000 others
# read 7x longer than alone, and the more so the longer the log (issue 36).
VISIBLE_SQL = """
WITH athletes AS (
  SELECT user_id FROM organizations_membership
  WHERE organization_id = ANY(%(orgs)s) AND role = 'athlete'
),
walk AS (
  SELECT (SELECT COALESCE(sum(athletes), 0) FROM analytics_club
          WHERE kind = 'org' AND ref = ANY(%(orgs)s))::float8 ^ 2
         >= GREATEST((SELECT reltuples FROM pg_class
                      WHERE oid = 'athletes_user'::regclass), 1) AS walk
)
SELECT c.* FROM athletes_datachange c
WHERE c.id = ANY(ARRAY(
  (SELECT c.id FROM athletes_datachange c
   WHERE (SELECT walk FROM walk) AND c.id > %(after)s
     AND (%(kinds)s::text[] IS NULL OR c.kind = ANY(%(kinds)s))
     AND (c.user_id = %(user)s OR c.organization_id = ANY(%(orgs)s)
          OR (c.organization_id IS NULL AND c.user_id IN (SELECT user_id FROM athletes)))
   ORDER BY c.id LIMIT %(limit)s)
  UNION ALL
  SELECT x.id FROM athletes a CROSS JOIN LATERAL (
    SELECT c.id FROM athletes_datachange c
    WHERE c.user_id = a.user_id AND c.organization_id IS NULL
      AND c.id > %(after)s AND (%(kinds)s::text[] IS NULL OR c.kind = ANY(%(kinds)s))
    ORDER BY c.user_id, c.id LIMIT %(limit)s) x
  WHERE NOT (SELECT walk FROM walk)
  UNION ALL
  SELECT x.id FROM unnest(%(orgs)s::bigint[]) o CROSS JOIN LATERAL (
    SELECT c.id FROM athletes_datachange c
    WHERE c.organization_id = o
      AND c.id > %(after)s AND (%(kinds)s::text[] IS NULL OR c.kind = ANY(%(kinds)s))
    ORDER BY c.organization_id, c.id LIMIT %(limit)s) x
  WHERE NOT (SELECT walk FROM walk)
  UNION ALL
  (SELECT c.id FROM athletes_datachange c
   WHERE NOT (SELECT walk FROM walk) AND c.user_id = %(user)s
     AND c.id > %(after)s AND (%(kinds)s::text[] IS NULL OR c.kind = ANY(%(kinds)s))
   ORDER BY c.user_id, c.id LIMIT %(limit)s)
))
ORDER BY c.id LIMIT %(limit)s
"""


def visible_changes(
    user_pk: int | None,
    org_ids: Iterable[int],
    *,
    after: int,
    limit: int,
    kinds: Sequence[str] | None = None,
) -> list[DataChange]:
    """The first `limit` changes after the cursor `after` that a person (`user_pk`) or the
    coaches of these organizations may read, of these `kinds` (all when None)."""
    params = {
        "orgs": list(org_ids),
        "user": user_pk,
        "after": after,
        "limit": limit,
        "kinds": list(kinds) if kinds else None,
    }
    return list(DataChange.objects.raw(VISIBLE_SQL, params))


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
