"""The only module that touches the cache.

Every cached value depends on a few *generation tokens*, named by what they stand for
(`athlete(pk)`, `org(pk)`, `apikey(key_hash)`): random strings held in the cache itself.
A value is stored together with the tokens it was computed under, and read back in the same
round trip as their current values; it is served only if they all still match. A write
invalidates by replacing the tokens it affects with new random ones, once inside the
transaction and again after it commits, so nothing is served stale after a write and a hit
costs no PostgreSQL query.

Why this is race-free: a reader reads the tokens *before* it reads the database. A reader
that saw the data before a commit also saw tokens that the commit replaces, so the stale
value is never matched again. If Redis is down nothing is cached and everything is read
from PostgreSQL.

A request answers first and stores after: what it computed is written to the cache once its
response has been sent (`request_finished`), so a miss costs the client no write round
trip. A later read in the same request sees the pending entry.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from astral.celery import FORGET_CACHE_TOKENS, enqueue

logger = logging.getLogger(__name__)
T = TypeVar("T")

CODE_VERSION = "5"
# How long an answer is kept at most (a write replaces its tokens long before).
ANALYTICS_TTL = 5 * 60
ROSTER_TTL = 10 * 60
PROFILE_TTL = 10 * 60
PLANS_TTL = 15 * 60
ACCESS_TTL = 10 * 60  # an organization's access to one athlete
APIKEY_TTL = 10 * 60  # an API key's row, for its sign-in
TOKEN_TTL = 24 * 60 * 60


def make_key(namespace: str, *parts: Any, params: Mapping[str, Any] | None = None) -> str:
    key = ":".join(["astral", CODE_VERSION, namespace, *(str(p) for p in parts)])
    if params:
        canonical = "&".join(f"{k}={params[k]}" for k in sorted(params))
        key += ":" + hashlib.sha256(canonical.encode()).hexdigest()[:24]
    return key


def access_key(org_pk: int, user_id: str) -> str:
    """Where an organization's access to one athlete (by public id) is cached."""
    return make_key("access", org_pk, params={"user": user_id})


def apikey_entry(key_hash: str) -> str:
    """Where an API key's row is cached for its sign-in."""
    return make_key("apikey", key_hash)


def apikey_used(key_hash: str) -> str:
    """Set for a minute each time a key's use is recorded."""
    return make_key("apikey-used", key_hash)


def front_entry(key_hash: str, path: str, query: str, gzipped: bool) -> str:
    """Where a key's repeated GET is answered from (astral/api/front.py)."""
    return make_key("front", key_hash, params={"path": path, "query": query, "gz": gzipped})


# Where each answer is kept: every key of Astral is built here.
def calendar_key(athlete_id: str, first: Any, last: Any, today: Any) -> str:
    return make_key("calendar", athlete_id, first, last, today)


def personal_records_key(athlete_id: str, today: Any) -> str:
    return make_key("personal_records", athlete_id, today)


def pace_curve_key(athlete_id: str, days: int, hour: Any) -> str:
    return make_key("pace_curve", athlete_id, days, hour)


def plans_overview_key(org_pk: int, slot: Any) -> str:
    return make_key("plans_overview", org_pk, slot.strftime("%Y%m%d%H%M"))


def activities_key(athlete_pk: int, first: Any, last: Any, offset: int, limit: int) -> str:
    return make_key("activities", athlete_pk, first, last, offset, limit)


def activity_stats_key(athlete_id: str, first: Any, last: Any, tz: str, granularity: str) -> str:
    return make_key(
        "activity_stats", athlete_id, params={"from": first, "to": last, "tz": tz, "g": granularity}
    )


def health_metrics_key(athlete_id: str, first: Any, last: Any, granularity: str) -> str:
    return make_key(
        "health_metrics", athlete_id, params={"from": first, "to": last, "g": granularity}
    )


def athlete_answer_key(namespace: str, athlete_id: str, tz: str, today: Any) -> str:
    """An athlete's charts, summary or other day-bound answer."""
    return make_key(namespace, athlete_id, tz, today)


def athlete_profile_key(athlete_id: str, today: Any) -> str:
    return make_key("athlete_profile", athlete_id, today)


def profile_page_key(athlete_id: str, today: Any, hour: int, units: str, health_view: str) -> str:
    """The profile page's figures: the athlete's day, the hour (the pace curve's window), the
    viewer's units (its sentences) and the health chart's view."""
    return make_key("profile-page", athlete_id, today, hour, units, health_view)


def roster_key(
    identity: str, org_id: str, slot: Any, filters: Mapping[str, Any], number: int, per_page: int
) -> str:
    """A roster page: `filters` is the filter object's own `cache_parts()` (every field of
    it), so a filter added later is part of the key without anyone listing it here."""
    return make_key(
        "roster",
        identity,
        org_id,
        slot.strftime("%Y%m%d%H%M"),
        params={**filters, "page": number, "per_page": per_page},
    )


# What a cached answer depends on: the generation tokens a write replaces.
def athlete(pk: int) -> str:
    """An athlete's data, profile and settings."""
    return make_key("gen", "user", pk)


def org(pk: int) -> str:
    """An organization: its members, their data, memberships, groups and labels."""
    return make_key("gen", "org", pk)


def members(pk: int) -> str:
    """Who belongs to an organization, in which role, and what their profiles say: what its
    API keys' access to an athlete is cached under. Training data written by a member
    does not replace it; a membership, a role or a profile change does."""
    return make_key("gen", "members", pk)


def org_and_members(pk: int) -> list[str]:
    """What a change to the organization itself replaces (a membership, a role, a group, a
    member's profile): its answers and its keys' access to its athletes."""
    return [org(pk), members(pk)]


def apikey(key_hash: str) -> str:
    """An API key (revoking it replaces this)."""
    return make_key("gen", "apikey", key_hash)


def invalidate(names: Iterable[str]) -> None:
    """Replaces the tokens now and again once the current transaction commits; with a read
    replica, once more when the replica has had time to replay the commit (a reader of the
    lagging replica could otherwise store old rows under a token read after the commit)."""
    names = sorted(set(names))
    if not names:
        return
    _replace(names)
    transaction.on_commit(lambda: _after_commit(names))


def _after_commit(names: list[str]) -> None:
    _replace(names)
    if settings.ASTRAL_ANALYTICS_DB is None:
        return
    # Past the bound, reads have left the replica within a probe (astral/db.py).
    delay = settings.ASTRAL_REPLICA_LAG_SECONDS + 1
    # By name: the task (analytics.tasks.forget_cache_tokens) calls `forget` below. A lost
    # broker never fails a write: this process forgets them itself after the same delay
    # (only a process that dies within those seconds leaves it to the answers' TTL).
    if not enqueue(FORGET_CACHE_TOKENS, (names,), countdown=delay):
        timer = threading.Timer(delay, forget, (names,))
        timer.daemon = True
        timer.start()


def forget(names: list[str]) -> None:
    _replace(names)


def _replace(names: list[str]) -> None:
    """New random tokens: the next reader finds one instead of minting it (a round trip
    fewer on the first read after a write)."""
    fresh = {name: secrets.token_hex(8) for name in names}
    if _guarded("replace", lambda: cache.set_many(fresh, TOKEN_TTL) or True, False) is False:
        # Not replaced: deleted as soon as the cache answers again (in this process), so
        # an answer cached before the write is not served once Redis is back.
        _undeleted.update(names)


@dataclass(frozen=True)
class Lookup:
    """A validated read: the value on a hit, and the tokens it is valid under; on a miss,
    the tokens to store a new one under (None when the cache is unavailable, so nothing is
    stored)."""

    hit: bool
    value: Any = None
    tokens: tuple[str, ...] | None = None
    extra: Mapping[str, Any] | None = None


def fetch(
    key: str,
    deps: Sequence[str],
    also: Sequence[str] = (),
    known: Mapping[str, Any] | None = None,
) -> Lookup:
    """The entry under `key` if it was stored under the current tokens of `deps`, in one
    round trip (with the plain keys `also`, returned as `extra`), or in none when `known`
    holds them all, read earlier in the request (None for what was missing)."""
    names = [key, *deps, *also]
    if known is not None and all(name in known for name in names):
        found = {name: known[name] for name in names if known[name] is not None}
    else:
        found = get_many(names)
    extra = {name: found[name] for name in also if name in found}
    pending = _pending.get()
    entry = _settled(pending[key][0]) if pending and key in pending else found.get(key)
    current = tuple(found.get(d) for d in deps)
    if isinstance(entry, tuple) and len(entry) == 2 and None not in current and entry[0] == current:
        return Lookup(hit=True, value=entry[1], tokens=current, extra=extra)
    return Lookup(hit=False, tokens=_mint(deps, current), extra=extra)


def current_tokens(deps: Sequence[str]) -> tuple[str, ...] | None:
    found = get_many(list(deps))
    return _mint(deps, tuple(found.get(d) for d in deps))


class Later:
    """A value to store that is made only when it is stored: in a request, after the
    response went out (a body compressed for the cache that the client did not ask
    compressed)."""

    __slots__ = ("made", "make")

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make
        self.made: Any = None

    def value(self) -> Any:
        if self.make is not None:
            self.made, self.make = self.make(), None
        return self.made


def _settled(entry: Any) -> Any:
    tokens, value = entry
    return (tokens, value.value()) if isinstance(value, Later) else entry


def store(key: str, tokens: tuple[str, ...] | None, value: Any, ttl: int) -> None:
    """Stores `value` (or what a `Later` makes) under `tokens` (nothing when they are None:
    the cache is away); in a request, once its response has been sent."""
    if tokens is None:
        return
    pending = _pending.get()
    if pending is not None:
        pending[key] = ((tokens, value), ttl)
    else:
        set_many({key: _settled((tokens, value))}, ttl)


# key -> (entry, ttl) of what the current request will store once it has answered; None
# outside a request (a task, a command), which stores at once.
_pending: ContextVar[dict[str, tuple[Any, int]] | None] = ContextVar("pending", default=None)


def request_started(**kwargs: Any) -> None:
    _pending.set({})


def request_finished(**kwargs: Any) -> None:
    """Stores what the request computed, after its response went out (one round trip per
    distinct ttl)."""
    pending = _pending.get()
    _pending.set(None)
    if not pending:
        return
    by_ttl: defaultdict[int, dict[str, Any]] = defaultdict(dict)
    for key, (entry, ttl) in pending.items():
        by_ttl[ttl][key] = _settled(entry)
    for ttl, entries in by_ttl.items():
        set_many(entries, ttl)


def _mint(deps: Sequence[str], current: tuple[Any, ...]) -> tuple[str, ...] | None:
    """The current tokens, creating the missing ones (`add`, so racing readers agree)."""
    tokens = []
    for name, value in zip(deps, current, strict=True):
        if value is None:
            minted = secrets.token_hex(8)
            value = _guarded(
                "token",
                lambda name=name, minted=minted: (
                    minted if cache.add(name, minted, TOKEN_TTL) else cache.get(name)
                ),
                None,
            )
            if value is None:  # the cache is away: store nothing
                return None
        tokens.append(value)
    return tuple(tokens)


def get_many(keys: list[str]) -> dict[str, Any]:
    return _guarded("get_many", lambda: cache.get_many(keys), {})


def cached_value(key: str, ttl: int, deps: Sequence[str], compute: Callable[[], T]) -> T:
    """A computed value, valid while the tokens `deps` are unchanged (and `ttl` seconds at
    most); computed again on a miss, or every time when the cache is away."""
    lookup = fetch(key, deps)
    if lookup.hit:
        return lookup.value  # type: ignore[no-any-return]
    value = compute()
    store(key, lookup.tokens, value, ttl)
    return value


def cached_body(
    key: str,
    ttl: int,
    compute: Callable[[], bytes],
    deps: Sequence[str],
    refresh: bool = False,
    gzipped: bool = False,
    known: Mapping[str, Any] | None = None,
) -> tuple[bytes, tuple[str, ...] | None]:
    """A rendered body, as stored bytes (gzip-compressed when `gzipped`), valid while the
    tokens `deps` are unchanged; with those tokens (None when the cache is away). `known`:
    the entry and tokens, when the request has read them already (see `fetch`).

    Only the compressed body is stored (a 200-athlete roster: 220 KB plain, 30 KB
    compressed): a hit moves the bytes the client gets, and the rare client that does not
    accept gzip costs a decompression, not a second copy in Redis. For that client the
    body is compressed for the cache after its response went out.
    """
    if refresh:
        tokens = current_tokens(deps)
    else:
        lookup = fetch(key, deps, known=known)
        if lookup.hit and isinstance(lookup.value, bytes):
            return (lookup.value if gzipped else gzip.decompress(lookup.value)), lookup.tokens
        tokens = lookup.tokens
    body = compute()
    if not gzipped:
        store(key, tokens, Later(lambda: gzip.compress(body, compresslevel=1, mtime=0)), ttl)
        return body, tokens
    compressed = gzip.compress(body, compresslevel=1, mtime=0)
    store(key, tokens, compressed, ttl)
    return compressed, tokens


def set_many(values: Mapping[str, Any], ttl: int) -> None:
    _guarded("set_many", lambda: cache.set_many(dict(values), ttl), None)


def add_marker(key: str, ttl: int) -> bool:
    """Sets `key` unless it is set; True when it was set, or when the cache is away (so the
    caller does its once-a-while work rather than never)."""
    return _guarded("add", lambda: cache.add(key, 1, ttl) is not False, True)


class ThrottleStore:
    """What DRF's throttles read and write their request history through: this module,
    with its breaker (a lost cache lets requests through; the sign-in lockout is kept in
    PostgreSQL and still holds)."""

    def get(self, key: str, default: Any = None) -> Any:
        return _guarded("throttle get", lambda: cache.get(key, default), default)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        _guarded("throttle set", lambda: cache.set(key, value, timeout), None)


throttle_store = ThrottleStore()


def budget_count(key: str, ttl: int) -> int | None:
    """This request counted in `key`'s window: the count so far, None with the cache away."""

    def count() -> int:
        try:
            return int(cache.incr(key))
        except ValueError:  # the window's first request
            cache.add(key, 0, ttl)
            return int(cache.incr(key))

    return _guarded("budget", count, None)


def guarded_get(key: str) -> Any:
    return _guarded("get", lambda: cache.get(key), None)


def guarded_add(key: str, value: Any, ttl: int) -> bool:
    """True when `key` was not there and is now `value` (or the cache is away)."""
    return _guarded("add", lambda: bool(cache.add(key, value, ttl)), True)


def guarded_set(key: str, value: Any, ttl: int) -> None:
    _guarded("set", lambda: cache.set(key, value, ttl), None)


def guarded_delete(key: str) -> None:
    _guarded("delete", lambda: cache.delete(key), None)


# A Redis that stops answering (stopped, frozen, cut off) costs one socket timeout, then is
# skipped for BREAKER_SECONDS, so no request waits on it twice and a write never waits on it
# more than once; everything is read from PostgreSQL meanwhile.
BREAKER_SECONDS = 5.0
_down_until = 0.0
_undeleted: set[str] = set()


def _guarded(what: str, call: Callable[[], T], default: T) -> T:
    global _down_until
    if time.monotonic() < _down_until:
        return default
    try:
        if _undeleted:
            names = sorted(_undeleted)
            cache.delete_many(names)
            _undeleted.difference_update(names)
        return call()
    except Exception:
        _down_until = time.monotonic() + BREAKER_SECONDS
        logger.warning("cache %s failed; not used for %.0f s", what, BREAKER_SECONDS, exc_info=True)
        return default


def answering() -> bool:
    """Whether the cache answers now (one round trip within its socket timeout), asked past
    the breaker: for the health check, which must not report what it remembers."""
    try:
        cache.get("healthz")
    except Exception:
        return False
    return True


def breaker_reset() -> None:
    """For tests: use the cache again at once."""
    global _down_until
    _down_until = 0.0
