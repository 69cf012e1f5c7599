"""`GET /api/v1/changes` (API.md §5): what changed in the data the caller may read, oldest
first, a page of 100 at a time, from the log PostgreSQL keeps (athletes.models.DataChange).
A cursor is opaque to clients; one older than the log's 30 days is 410 CURSOR_EXPIRED."""

from __future__ import annotations

import base64

from django.db.models import Min
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from astral.api.errors import ApiError
from astral.api.responses import ok
from astral.api.schema import ApiDoc, query
from athletes.models import DataChange
from organizations.access import caller_of, coached_org_ids
from organizations.changes import change_items, cursor_text, visible_changes

PAGE = 100


def cursor_id(text: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        if not raw.startswith("c"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError:
        raise ApiError("cursor is not one this API gave.", field="cursor") from None


class ChangesView(APIView):
    api_doc = {
        "get": ApiDoc(
            params=[
                query("cursor", description="next_cursor of the page before; omitted: the start")
            ],
            errors=(400, 401, 410),
            summary="What changed in the data the caller may read, oldest first",
        )
    }

    def get(self, request: Request) -> Response:
        caller = caller_of(request)
        raw = request.query_params.get("cursor")
        after = cursor_id(raw) if raw else 0
        oldest = DataChange.objects.aggregate(first=Min("id"))["first"]
        if after and oldest is not None and after < oldest - 1 and _pruned():
            raise ApiError(
                "This cursor is older than the 30 days of changes kept: read everything again, "
                "then follow the feed from its new cursor.",
                "CURSOR_EXPIRED",
                field="cursor",
                status=410,
            )
        orgs = coached_org_ids(caller)
        user_pk = caller.user.pk if caller.user is not None else None
        rows = visible_changes(user_pk, orgs, after=after, limit=PAGE)
        items = change_items(rows)
        return ok(
            {
                "changes": items,
                "next_cursor": items[-1]["cursor"] if items else (raw or cursor_text(0)),
                "has_more": len(rows) == PAGE,
            }
        )


def _pruned() -> bool:
    """Whether the log has ever been pruned (its first rows are gone)."""
    return DataChange.objects.filter(id=1).exists() is False
