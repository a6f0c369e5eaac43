"""A fixed-window rate limit on the shared cache, for the pages (the API has DRF's)."""

from django.core.cache import cache


def client_ip(request) -> str:
    # Behind the proxy gunicorn is told to trust, REMOTE_ADDR is already the client.
    return request.META.get("REMOTE_ADDR", "unknown")


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
