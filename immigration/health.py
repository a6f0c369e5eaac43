"""`/healthz`: is this process able to serve? For load balancers and `make stack`.

It checks only what a request needs right now (the database, and Redis when one is
configured). The public answer is only `{"status": "ok"}` (200) or `{"status": "error"}`
(503): which part fails, and when, tells an attacker when the lockouts are down and
what to push on. Staff signed in, and probes that send `Authorization: Bearer
<HEALTHZ_TOKEN>`, get each part's state too; never why it failed beyond its name.
"""

import hmac
import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_timeout=PROBE_TIMEOUT_SECONDS,
        socket_connect_timeout=PROBE_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def run_checks() -> dict[str, str]:
    """Return each part's state: "ok", "unavailable" or "not configured"."""
    checks = {"database": _check_database}
    results = {"redis": "not configured"}
    if settings.REDIS_URL:
        checks["redis"] = _check_redis
    for name, check in checks.items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready"; the class is logged
            logger.warning("health check failed: %s (%s)", name, type(exc).__name__)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    return results


def may_see_detail(request) -> bool:
    """A probe with the token, or a signed-in staff member. Reading the session needs
    the database (or cache) that may be the part that is down: then only the token."""
    token = settings.HEALTHZ_TOKEN
    if token:
        given = request.META.get("HTTP_AUTHORIZATION", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    try:
        return bool(request.user.is_active and request.user.is_staff)
    except Exception:  # the session store is unreachable: no detail, still an answer
        return False


@never_cache
@require_GET
def healthz(request):
    results = run_checks()
    failing = sorted(name for name, state in results.items() if state == "unavailable")
    body = {"status": "error" if failing else "ok"}
    if may_see_detail(request):
        body["checks"] = results
        if failing:
            body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
