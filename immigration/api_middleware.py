"""Keeps the API's promise of one error shape for what happens outside its views.

Under /api/ a body larger than the API accepts is refused with 413 before anything
reads it (DRF's JSON parser reads the stream itself, past Django's own size check), and
any error answer that is not JSON (a plain Django view's 403 or 405, a refusal from
Django itself) is rewritten into `{"error": {"code", "message", "fields"}}`, keeping
its status and headers (Allow, Retry-After, WWW-Authenticate).
"""

from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse

from immigration.errors import error_body, request_refusal

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "server_error",
}
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Vary")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def body_limit(request) -> int:
    """Bytes an API request body may have: uploads (multipart) carry evidence files."""
    if request.content_type == "multipart/form-data":
        return settings.API_UPLOAD_MAX_BYTES
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class ApiErrorShapeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _is_api(request):
            return self.get_response(request)
        if _declared_length(request) > body_limit(request):
            return self.process_exception(request, RequestDataTooBig())
        return _shaped(self.get_response(request))

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        refusal = request_refusal(exception)
        if refusal is None:
            return None
        status, body = refusal
        return JsonResponse(body, status=status)


def _shaped(response):
    if response.status_code < 400 or response.streaming:
        return response
    if response.get("Content-Type", "").startswith("application/json"):
        return response
    status = response.status_code
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    shaped = JsonResponse(error_body(_CODES.get(status, "error"), phrase), status=status)
    for header in _KEPT_HEADERS:
        if header in response:
            shaped[header] = response[header]
    return shaped
