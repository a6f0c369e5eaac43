"""`/healthz`: is this process able to serve? For load balancers and `make stack`.

It checks only what a request needs right now (the database, and Redis when one is
configured) and never says why a part failed beyond its name: the body is public.
"""

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


@never_cache
@require_GET
def healthz(request):
    results = run_checks()
    failing = sorted(name for name, state in results.items() if state == "unavailable")
    body = {"status": "error" if failing else "ok", "checks": results}
    if failing:
        body["failing"] = failing
    return JsonResponse(body, status=503 if failing else 200)
