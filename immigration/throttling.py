"""Throttles that fail open when the cache (Redis) is down (offices/throttling.py uses it).

A throttle is abuse protection, not a business rule: capacity, one booking per person
and the per-phone limits are enforced by PostgreSQL. So while Redis is unreachable a
request is let through, with a warning in the log, rather than answered 500 or 503:
an outage of the cache must not close the front desk. The outage is short and shows
in /healthz; what it lets through is what the database still checks.
"""

import logging

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class FailOpenMixin:
    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except RedisError as exc:
            logger.warning(
                "throttle %s not applied: the cache is unavailable (%s)",
                type(self).__name__,
                type(exc).__name__,
            )
            return True
