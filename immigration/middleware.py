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


class RequestIdMiddleware:
    """Give every request an id (the proxy's `X-Request-ID` when sane), echo it back,
    and log method, path, status and duration: never the query string or body, which
    may hold birth dates or phone numbers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            logger.info(
                "%s %s %s",
                request.method,
                _loggable_path(request.path),
                response.status_code,
                extra={
                    "method": request.method,
                    "path": _loggable_path(request.path),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            request_id_var.reset(token)
