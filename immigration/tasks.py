"""Tasks that belong to the system as a whole rather than to one app."""

from celery import shared_task
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

HEARTBEAT_CACHE_KEY = "celery:heartbeat"


@shared_task(ignore_result=False)
def ping() -> str:
    """Answer "pong" from a worker: proves broker, worker and result backend connect."""
    return "pong"


@shared_task(ignore_result=False)
def database_session() -> int:
    """The PostgreSQL backend this worker process talks to: the same number from two
    calls shows the worker keeps its connection between tasks (CELERY_DB_REUSE_MAX)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


@shared_task
def heartbeat() -> str:
    """Record when beat last drove a worker, for operators checking the scheduler."""
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, stamp, timeout=None)
    return stamp
