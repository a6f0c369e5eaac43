"""Request id and one access-log line per request."""

import logging
import re
import time
import uuid

from immigration.logging import redact, request_id_var


def _loggable_path(path: str) -> str:
    """Personal data redacted, booking and tracking codes masked (`redact` does both)."""
    return redact(path)


logger = logging.getLogger("immigration.access")

# A proxy's id is kept so lines can be joined across hops, but only if it is harmless.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def request_id_from(incoming: str) -> str:
    """The request's id: the proxy's `X-Request-ID` when sane, else a new one."""
    return incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def log_access(method: str, path: str, status: int, started: float) -> None:
    """The access line of one request (`started`: its time.perf_counter())."""
    loggable = _loggable_path(path)
    logger.info(
        "%s %s %s",
        method,
        loggable,
        status,
        extra={
            "method": method,
            "path": loggable,
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        },
    )


class RequestIdMiddleware:
    """Give every request an id (the proxy's `X-Request-ID` when sane), echo it back,
    and log method, path, status and duration: never the query string or body, which
    may hold birth dates or phone numbers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request_id_from(request.headers.get("X-Request-ID", ""))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            log_access(request.method, request.path, response.status_code, started)
            return response
        finally:
            request_id_var.reset(token)
