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


def _set(key: str, value: Any, ttl: int) -> None:
    try:
        cache.set(key, value, ttl)
    except Exception:
        logger.warning("cache set failed for %s", key, exc_info=True)


def cached_bytes(key: str, ttl: int, compute: Callable[[], bytes], refresh: bool = False) -> bytes:
    """Rendered bytes from the cache, or computed and stored."""
    if not refresh:
        hit = _get(key)
        if isinstance(hit, bytes):
            return hit
    body = compute()
    _set(key, body, ttl)
    return body


def cached_body(
    key: str, ttl: int, compute: Callable[[], bytes], refresh: bool = False
) -> tuple[bytes, bytes]:
    """A rendered body and its gzip, cached together: a hit is served without rendering or
    compressing anything."""
    if not refresh:
        hit = _get(key)
        if isinstance(hit, tuple) and len(hit) == 2:
            return hit
    body = compute()
    pair = (body, gzip.compress(body, compresslevel=1, mtime=0))
    _set(key, pair, ttl)
    return pair


def cached_value(key: str, ttl: int, compute: Callable[[], Any], refresh: bool = False) -> Any:
    if not refresh:
        hit = _get(key)
        if hit is not None:
            return hit
    value = compute()
    _set(key, value, ttl)
    return value


def get_many(keys: list[str]) -> dict[str, Any]:
    try:
        return cache.get_many(keys)
    except Exception:
        logger.warning("cache get_many failed", exc_info=True)
        return {}


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
