"""The only module that touches the cache.

Keys carry a code version and the database-held generation counters of what they depend
on (`User.data_version`, `Organization.data_version`), bumped by every write. Nothing is
ever deleted key by key and nothing is served stale after a write; if Redis is down
(django-redis ignores the error) everything is recomputed from PostgreSQL.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

CODE_VERSION = "3"
ANALYTICS_TTL = 5 * 60
ROSTER_TTL = 10 * 60
PROFILE_TTL = 10 * 60


def make_key(namespace: str, *parts: Any, params: Mapping[str, Any] | None = None) -> str:
    key = ":".join(["astral", CODE_VERSION, namespace, *(str(p) for p in parts)])
    if params:
        canonical = "&".join(f"{k}={params[k]}" for k in sorted(params))
        key += ":" + hashlib.sha256(canonical.encode()).hexdigest()[:24]
    return key


def _get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # an embedded or misconfigured cache must never fail a request
        logger.warning("cache get failed for %s", key, exc_info=True)
        return None


def cached_body(
    key: str, ttl: int, compute: Callable[[], bytes], refresh: bool = False, gzipped: bool = False
) -> bytes:
    """A rendered body, as stored bytes (gzip-compressed when `gzipped`).

    The plain and the compressed body are stored under two keys, so a hit moves only the
    bytes the client gets (a 200-athlete roster: 220 KB plain, 30 KB compressed).
    """
    wanted = f"{key}:gz" if gzipped else f"{key}:raw"
    if not refresh:
        hit = _get(wanted)
        if isinstance(hit, bytes):
            return hit
    body = compute()
    compressed = gzip.compress(body, compresslevel=1, mtime=0)
    set_many({f"{key}:raw": body, f"{key}:gz": compressed}, ttl)
    return compressed if gzipped else body


def set_many(values: Mapping[str, Any], ttl: int) -> None:
    try:
        cache.set_many(dict(values), ttl)
    except Exception:
        logger.warning("cache set_many failed", exc_info=True)


def incr_counter(key: str, ttl: int) -> int:
    """A counter for rate limits; falls back to 0 (allow) when the cache is away."""
    try:
        if cache.add(key, 1, ttl):
            return 1
        return int(cache.incr(key))
    except Exception:
        logger.warning("cache incr failed for %s", key, exc_info=True)
        return 0
