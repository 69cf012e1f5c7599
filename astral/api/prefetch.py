"""What an API key's sign-in reads for the view, in the round trip it makes anyway.

A key's request reads its key, tokens and access to the athlete asked about from the cache
in one round trip (organizations/authentication.py). A view that reads one cached answer of that
athlete (the activity list an integration polls) names its entry and tokens in
`prefetch_keys(query_params, athlete_pk)`, and the sign-in reads them in the same round
trip: a hit, and the first read after a write, cost one round trip to the cache instead of
two. The view only serves what it read after its own access check; a name that turns out
wrong (a public id this process mapped to another pk) is simply read again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

KNOWN_ATHLETES = 10_000

# Public id -> pk of the athletes this process has resolved for a key. Neither ever changes,
# so this is safe to keep; it only says which entries to read, their tokens decide.
_athletes: OrderedDict[str, int] = OrderedDict()


def remember_athlete(public_id: str, pk: int) -> None:
    _athletes[public_id] = pk
    _athletes.move_to_end(public_id)
    while len(_athletes) > KNOWN_ATHLETES:
        _athletes.popitem(last=False)


def view_keys(request: Any, public_id: str) -> list[str]:
    """The cache names the view of this DRF `request` will read about the athlete
    `public_id` (none when this process does not know the athlete yet)."""
    pk = _athletes.get(public_id)
    view = (getattr(request, "parser_context", None) or {}).get("view")
    keys = getattr(view, "prefetch_keys", None)
    if pk is None or keys is None:
        return []
    return list(keys(request.query_params, pk))
