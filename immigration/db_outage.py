"""PostgreSQL unreachable (restarting, failing over, out of connections): 503, not 500.

A request that meets a dead database answers 503 Service Unavailable with Retry-After:
under /api/ in the one error shape, elsewhere as a small self-contained page (the
site's templates may query the database themselves). Nothing half-done survives: the
services are atomic, so the transaction rolled back with the connection. Django drops
a broken connection at the end of the request, and CONN_HEALTH_CHECKS makes the next
request test a persistent one before use, so the service resumes by itself once the
database is back.

A lock not granted within LOCK_TIMEOUT_SECONDS (immigration/locks.py) is a 503 too,
`busy`: the database is fine, another transaction holds what this one needs.

`DatabaseOutageMiddleware` catches what a view (a DRF one too: its exception handler
leaves unknown errors to Django) or its template raises; `server_error`, the
handler500, catches what a middleware raised, e.g. saving a session.
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from immigration import errors
from immigration.locks import BusyError, busy_error, is_lock_timeout

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = errors.RETRY_AFTER_SECONDS


def outage_response(request, *, code: str = "service_unavailable", message=None) -> HttpResponse:
    message = message or _("The service is briefly unavailable. Please try again in a minute.")
    if request.path.startswith("/api/"):
        response = JsonResponse(errors.error_body(code, message), status=503)
    else:
        title = _("Service unavailable")
        page = (
            f'<!doctype html><html lang="{escape(get_language() or "id")}"><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><h1>{escape(title)}</h1><p>{escape(message)}</p>"
        )
        response = HttpResponse(page, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _log(exc: BaseException) -> None:
    # The access line of the same request id names the path (redacted).
    logger.warning("database unavailable: answered 503 (%s)", type(exc).__name__)


def _busy(request, exc: BaseException | None) -> HttpResponse | None:
    """The `busy` answer for a lock timeout (a row lock met in the ORM, or BusyError)."""
    if exc is None or not (isinstance(exc, BusyError) or is_lock_timeout(exc)):
        return None
    logger.warning("lock not granted in time: answered 503 busy")
    error = exc if isinstance(exc, BusyError) else busy_error()
    return outage_response(request, code=error.code, message=error.message)


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        busy = _busy(request, exception)
        if busy is not None:
            return busy
        if isinstance(exception, OUTAGE_ERRORS):
            _log(exception)
            return outage_response(request)
        return None


def server_error(request):
    """handler500: a database outage met outside a view is a 503 too."""
    exc = sys.exception()
    busy = _busy(request, exc)
    if busy is not None:
        return busy
    if isinstance(exc, OUTAGE_ERRORS):
        _log(exc)
        return outage_response(request)
    return errors.server_error(request)
