"""A fixed-window rate limit on the shared cache, for the pages (the API has DRF's)."""

from django.conf import settings
from django.core.cache import cache


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
    """Count one hit on `key` in a fixed window; returns the hits so far in it."""
    cache_key = f"ratelimit:{key}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return 1


def count(key: str) -> int:
    """Hits on `key` in its current window, without adding one."""
    return cache.get(f"ratelimit:{key}") or 0


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once `limit` hits fell in the current window."""
    return hit(key, window_seconds=window_seconds) <= limit
