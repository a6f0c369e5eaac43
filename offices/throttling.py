"""API rate limits, counted per caller: per API key, per staff user, per client address.

Two limits apply to a request. `CallerRateThrottle` caps all of a caller's traffic (a
key at API_THROTTLE_CLIENT, a logged-in user at API_THROTTLE_USER, anyone else at
API_THROTTLE_ANON per address). `ScopeRateThrottle` caps one kind of work (the view's
`throttle_scope`: booking, lookup, complaint, whatsapp) for the same caller, so a key or
an address that books at its limit can still look up bookings. Rates are read at each
request, so settings overrides apply (DRF's own classes read them once, at import).
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from immigration.ratelimit import client_ip
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
    def __init__(self):
        # The scope, and so the rate, is only known per request.
        pass

    def _use_scope(self, scope: str) -> None:
        self.scope = scope
        self.rate = api_settings.DEFAULT_THROTTLE_RATES[scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": caller_ident(request)[1]}


class _CallerRateThrottle(_RateThrottle):
    def allow_request(self, request, view):
        self._use_scope(caller_ident(request)[0])
        return super().allow_request(request, view)


class _ScopeRateThrottle(_RateThrottle):
    def allow_request(self, request, view):
        scope = getattr(view, "throttle_scope", None)
        if not scope:
            return True
        self._use_scope(scope)
        return super().allow_request(request, view)


# Both let a request through while Redis is down (immigration/throttling.py says why).
class CallerRateThrottle(FailOpenMixin, _CallerRateThrottle):
    pass


class ScopeRateThrottle(FailOpenMixin, _ScopeRateThrottle):
    pass
