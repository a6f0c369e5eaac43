"""A fixed-window rate limit on the shared cache, for the pages (the API has DRF's)."""

import ipaddress

from django.conf import settings
from django.core.cache import cache


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_ip(request) -> str:
    """The address of whoever sent the request, for rate limits.

    gunicorn does not rewrite REMOTE_ADDR from X-Forwarded-For, so behind a reverse
    proxy REMOTE_ADDR is the proxy's. Only when it is one of TRUSTED_PROXIES is
    X-Forwarded-For read, from the right (each proxy appends the address it saw): the
    first address that is not a trusted proxy is the client. Anything further left was
    written by the client and could be anything, so it is never used.
    """
    remote = request.META.get("REMOTE_ADDR") or "unknown"
    proxies = [ipaddress.ip_network(p, strict=False) for p in settings.TRUSTED_PROXIES]

    def trusted(address) -> bool:
        return address is not None and any(address in network for network in proxies)

    if not trusted(_address(remote)):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        if not trusted(address):
            return str(address)
    return remote


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
