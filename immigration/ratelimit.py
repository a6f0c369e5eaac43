"""A fixed-window rate limit on the shared cache, for the pages (the API has DRF's).

Like the API's throttles (immigration/throttling.py) it fails open: while the cache is
unreachable nothing is counted and everything is allowed, with a warning in the log,
because a limit is abuse protection and the database still enforces the rules.
"""

import functools
import ipaddress
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


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    """TRUSTED_PROXIES parsed once per value, not on every request (it was 2.5% of a
    calendar request's CPU in a profile); keyed on the value so a changed setting
    (tests override it) is parsed afresh."""
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


IPV6_CLIENT_PREFIX = 64


def _client(address) -> str:
    """An IPv4 address as it is; an IPv6 one as its /64 network's first address.

    An IPv6 home or server line is routed a /64 (or more) of its own: a calo with one
    line has 2^64 addresses to rotate through, so a limit keyed on the full address
    limits nothing. The /64 is what one subscriber holds; it is written as an address
    (the interface bits zeroed), which django-axes and the logs take as any other."""
    if address.version == 6:
        if address.ipv4_mapped is not None:  # ::ffff:203.0.113.9 is an IPv4 client
            return str(address.ipv4_mapped)
        network = ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
        return str(network.network_address)
    return str(address)


def client_ip(request) -> str | None:
    """The address of whoever sent the request, for rate limits; an IPv6 client by its
    /64 (see `_client`).

    gunicorn does not rewrite REMOTE_ADDR from X-Forwarded-For, so behind a reverse
    proxy REMOTE_ADDR is the proxy's. Only when it is one of TRUSTED_PROXIES is
    X-Forwarded-For read, from the right (each proxy appends the address it saw): the
    first address that is not a trusted proxy is the client. Anything further left was
    written by the client and could be anything, so it is never used.
    """
    remote = request.META.get("REMOTE_ADDR") or None  # None: no socket (force_login)
    proxies = _networks(tuple(settings.TRUSTED_PROXIES))

    def trusted(address) -> bool:
        return address is not None and any(address in network for network in proxies)

    if remote is None:
        return None
    peer = _address(remote)
    if peer is None:
        return remote
    if not trusted(peer):
        return _client(peer)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        if not trusted(address):
            return _client(address)
    return _client(peer)


def hit(key: str, *, window_seconds: int) -> int:
    """Count one hit on `key` in a fixed window; returns the hits so far in it (0 when
    the cache is down)."""
    cache_key = f"ratelimit:{key}"
    try:
        return count_hit(cache_key, window_seconds=window_seconds)
    except RedisError as exc:
        _unavailable(key, exc)
        return 0


def count_hit(cache_key: str, *, window_seconds: int) -> int:
    """One hit on `cache_key`, counted in a window that starts with its first hit; the
    hits so far. Raises RedisError while the cache is down (callers fail open)."""
    if hasattr(cache, "hit"):  # immigration.cache.RedisCache: one round trip
        return cache.hit(cache_key, window_seconds=window_seconds)
    return _count_hit_locally(cache_key, window_seconds)


def count_hits(counters: list[tuple[str, int]]) -> list[int]:
    """`count_hit` for each (cache_key, window_seconds), in one round trip to Redis;
    the counts in the same order. Raises RedisError while the cache is down."""
    if hasattr(cache, "hits"):
        return cache.hits(counters)
    return [_count_hit_locally(key, window) for key, window in counters]


def _count_hit_locally(cache_key: str, window_seconds: int) -> int:
    cache.add(cache_key, 0, timeout=window_seconds)  # locmem (make run, no Redis)
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        return 1


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
