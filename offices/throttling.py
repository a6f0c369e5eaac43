"""API rate limits, counted per caller: per API key, per staff user, per client address.

Two limits apply to a request. `CallerRateThrottle` caps all of a caller's traffic (a
key at API_THROTTLE_CLIENT, a logged-in user at API_THROTTLE_USER, anyone else at
API_THROTTLE_ANON per address). `ScopeRateThrottle` caps one kind of work (the view's
`throttle_scope`: booking, lookup, complaint, whatsapp) for the same caller, so a key or
an address that books at its limit can still look up bookings. Rates are read at each
request, so settings overrides apply (DRF's own classes read them once, at import).
"""

import time

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from immigration.ratelimit import client_ip, count_hit
from immigration.throttling import FailOpenMixin
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


# Both let a request through while Redis is down (immigration/throttling.py says why).
class CallerRateThrottle(FailOpenMixin, _CallerRateThrottle):
    pass


class ScopeRateThrottle(FailOpenMixin, _ScopeRateThrottle):
    pass
