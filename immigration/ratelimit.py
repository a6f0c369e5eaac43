"""A fixed-window rate limit on the shared cache, for the pages (the API has DRF's).

Like the API's throttles (immigration/throttling.py) it fails open: while the cache is
unreachable nothing is counted and everything is allowed, with a warning in the log,
because a limit is abuse protection and the database still enforces the rules.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _unavailable(key: str, exc: Exception) -> None:
    # Only the kind of key: the rest may be a phone number.
    logger.warning(
        "rate limit %s not counted: the cache is unavailable (%s)",
        key.split(":", 1)[0],
        type(exc).__name__,
    )


def client_ip(request) -> str | None:
    """The client's address, as the page limits, the API throttles (DRF's NUM_PROXIES)
    and the login lockout all count it.

    gunicorn leaves REMOTE_ADDR as the socket's peer: behind a reverse proxy that is the
    proxy. Each of our TRUSTED_PROXY_COUNT proxies appends the address it was reached
    from to X-Forwarded-For, so the client is that many entries from the right; entries
    further left were written by the client and are never believed. None for a request
    that came from no socket (a test's force_login)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if not proxies or not forwarded:
        return remote
    return forwarded[-min(proxies, len(forwarded))]


def hit(key: str, *, window_seconds: int) -> int:
    """Count one hit on `key` in a fixed window; returns the hits so far in it (0 when
    the cache is down)."""
    cache_key = f"ratelimit:{key}"
    try:
        cache.add(cache_key, 0, timeout=window_seconds)
        try:
            return cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window_seconds)
            return 1
    except RedisError as exc:
        _unavailable(key, exc)
        return 0


def count(key: str) -> int:
    """Hits on `key` in its current window, without adding one (0 when the cache is down)."""
    try:
        return cache.get(f"ratelimit:{key}") or 0
    except RedisError as exc:
        _unavailable(key, exc)
        return 0


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once `limit` hits fell in the current window."""
    return hit(key, window_seconds=window_seconds) <= limit
