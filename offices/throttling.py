"""API rate limits, counted per caller: per API key, per staff user, per client address.

Two limits apply to a request. `CallerRateThrottle` caps all of a caller's traffic (a
key at API_THROTTLE_CLIENT, a logged-in user at API_THROTTLE_USER, anyone else at
API_THROTTLE_ANON per address). `ScopeRateThrottle` caps one kind of work (the view's
`throttle_scope`: booking, lookup, complaint, whatsapp) for the same caller, so a key or
an address that books at its limit can still look up bookings. Rates are read at each
request, so settings overrides apply (DRF's own classes read them once, at import).

`CallerAndScopeRateThrottle` (the API's default) counts both in one Redis round trip,
as the booking endpoint's plain view does (`request_wait`): the same counters, so a
caller is counted alike whichever way its request is served.
"""

import functools
import time

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from immigration.ratelimit import client_ip, count_hit, count_hits
from immigration.throttling import FailOpenMixin
from immigration.throttling import logger as throttling_logger
from offices.access import api_client


def caller_ident(request) -> tuple[str, str]:
    """(kind, identity) of whoever calls: ("client", "key:7"), ("user", "user:3") or
    ("anon", "ip:203.0.113.9"). Never X-Forwarded-For unless it comes from a trusted
    proxy (see `client_ip`)."""
    client = api_client(request)
    if client is not None:
        return "client", f"key:{client.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return "user", f"user:{user.pk}"
    return "anon", f"ip:{client_ip(request)}"


@functools.lru_cache(maxsize=32)
def _parse_rate(rate: str) -> tuple[int, int]:
    """DRF's reading of "10/min" (its method uses nothing of the instance)."""
    return SimpleRateThrottle.parse_rate(None, rate)


def _counted_wait(limits: list[tuple[str, str]]) -> float | None:
    """Count one hit for each (scope, caller identity) whose scope has a rate, all in
    one round trip; None when every count is within its rate, else the seconds until
    the longest refusing window ends. Raises RedisError while Redis is down."""
    now = time.time()
    counted = []
    for scope, ident in limits:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is not None:
            limit, duration = _parse_rate(rate)
            window = int(now // duration)
            counted.append((f"throttle:{scope}:{ident}:{window}", duration, limit))
    if not counted:
        return None
    hits = count_hits([(key, duration) for key, duration, _limit in counted])
    waits = [
        duration - now % duration
        for (_key, duration, limit), hit in zip(counted, hits, strict=True)
        if hit > limit
    ]
    return max(waits) if waits else None


def _limits(request, scope: str | None) -> list[tuple[str, str]]:
    kind, ident = caller_ident(request)
    return [(kind, ident), (scope, ident)] if scope else [(kind, ident)]


def request_wait(request, scope: str) -> float | None:
    """For a view outside DRF: count the request against its caller's rate and
    `scope`'s, in one round trip; None to let it through, else the seconds to wait
    (the longer of the two, as DRF reports for several throttles). While Redis is
    down it lets the request through with a warning, as the throttle classes do."""
    try:
        return _counted_wait(_limits(request, scope))
    except RedisError as exc:
        throttling_logger.warning(
            "throttle %s not applied: the cache is unavailable (%s)",
            "CallerAndScopeRateThrottle",
            type(exc).__name__,
        )
        return None


class _RateThrottle(SimpleRateThrottle):
    """A fixed window per caller and scope, counted in one cache round trip.

    DRF's SimpleRateThrottle keeps every request's timestamp in a list per key and
    reads and rewrites the whole list on each request (two round trips, and a pickle of
    up to `num_requests` floats): in a booking rush that was a seventh of a booking and
    a third of a refusal (`make bench-profile`). A counter per clock-aligned window
    allows a burst of up to twice the rate across a window's edge, which is fine for
    abuse protection; the database enforces the rules.
    """

    def __init__(self):
        # The scope, and so the rate, is only known per request.
        self._wait = None

    def _allow(self, scope: str, ident: str) -> bool:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
        if rate is None:
            return True
        limit, duration = self.parse_rate(rate)
        now = time.time()
        window = int(now // duration)
        hits = count_hit(f"throttle:{scope}:{ident}:{window}", window_seconds=duration)
        if hits <= limit:
            return True
        self._wait = duration - now % duration
        return False

    def wait(self):
        return self._wait


class _CallerRateThrottle(_RateThrottle):
    def allow_request(self, request, view):
        return self._allow(*caller_ident(request))


class _ScopeRateThrottle(_RateThrottle):
    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        return self._allow(scope, caller_ident(request)[1]) if scope else True


class _CallerAndScopeRateThrottle(BaseThrottle):
    """Both of the above in one round trip (DRF asks each throttle class separately)."""

    def __init__(self):
        self._wait = None

    def allow_request(self, request, view):
        self._wait = _counted_wait(_limits(request, getattr(view, "throttle_scope", None)))
        return self._wait is None

    def wait(self):
        return self._wait


# They let a request through while Redis is down (immigration/throttling.py says why).
class CallerRateThrottle(FailOpenMixin, _CallerRateThrottle):
    pass


class CallerAndScopeRateThrottle(FailOpenMixin, _CallerAndScopeRateThrottle):
    pass


class ScopeRateThrottle(FailOpenMixin, _ScopeRateThrottle):
    pass
