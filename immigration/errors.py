"""Domain errors and the one error shape of the API.

Services raise `DomainError` with a stable machine code and a translatable message;
each caller maps it to its medium: the API to an HTTP status and JSON body, the
WhatsApp handler to a reply in the applicant's language, pages to a form error.
"""

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

# What a 503 asks the client to wait (an outage, a busy lock, an unreadable lockout).
RETRY_AFTER_SECONDS = 15


class DomainError(Exception):
    """A business rule said no. `code` is stable API; `message` is for people."""

    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, *, code: str, message, fields: dict | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        return f"{self.code}: {force_str(self.message)}"


class ConflictError(DomainError):
    """The request is valid but the state of things refuses it (full slot, duplicate)."""

    http_status = status.HTTP_409_CONFLICT


class NotFoundError(DomainError):
    http_status = status.HTTP_404_NOT_FOUND


class TooManyAttemptsError(DomainError):
    """Too many failed attempts; `retry_after` is how many seconds the lock still holds,
    sent as `Retry-After` so a client (or a person's browser) knows when to come back."""

    http_status = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, *, retry_after: int, **kwargs):
        super().__init__(**kwargs)
        self.retry_after = max(1, int(retry_after))


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, for programs: e.g. slot_full, throttled.")
    message = serializers.CharField(help_text="For people, in the request's language.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        help_text="Per input field, what is wrong with it (empty when no field is to blame).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


# How the OpenAPI schema describes any error answer (the shape is error_body's).
API_ERROR = OpenApiResponse(
    ErrorSerializer, description='`{"error": {"code", "message", "fields"}}`'
)


def error_body(code: str, message, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": force_str(message), "fields": fields or {}}}


def _drf_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return "invalid"


def request_refusal(exc: Exception) -> tuple[int, dict] | None:
    """The status and body for Django's refusals of a request body it will not read
    (too large, too many parts); None for anything else."""
    if isinstance(exc, RequestDataTooBig):
        return 413, error_body("too_large", _("The request body is too large."))
    if isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        return 400, error_body("too_many_parts", _("The request has too many fields or files."))
    if isinstance(exc, SuspiciousOperation):
        return 400, error_body("bad_request", _("The request could not be read."))
    return None


def api_exception_handler(exc, context):
    """Render every API error as `{"error": {"code", "message", "fields"}}`."""
    if isinstance(exc, DomainError):
        response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.http_status)
        wait = retry_after(exc)
        if wait is not None:
            response["Retry-After"] = str(wait)
        return response
    refusal = request_refusal(exc)
    if refusal is not None:
        status_code, body = refusal
        return Response(body, status=status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        # Unexpected errors propagate to Django's 500 handling (and the logs).
        return None

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body("invalid", _("Some fields are invalid."), detail)
    else:
        body = error_body(_drf_code(exc), exc.detail)
    response.data = body
    return response


def add_to_form(form, exc: DomainError, *, renames: dict | None = None) -> None:
    """Show a refusal on a page's form: each error beside the field it names; when some
    named field is not on the form (or none is named), the whole message on top."""
    renames = renames or {}
    unplaced = not exc.fields
    for field, errors in exc.fields.items():
        target = renames.get(field, field)
        if target in form.fields and not form.fields[target].widget.is_hidden:
            for error in errors:
                form.add_error(target, error)
        else:
            unplaced = True
    if unplaced:
        form.add_error(None, exc.message)


def retry_after(exc: DomainError) -> int | None:
    """Seconds a client should wait before trying again after `exc`, or None when
    trying again at once is fine (the refusal is about the input, not the moment)."""
    if isinstance(exc, TooManyAttemptsError):
        return exc.retry_after
    if exc.http_status == status.HTTP_503_SERVICE_UNAVAILABLE:
        return RETRY_AFTER_SECONDS  # busy, lockout_unavailable
    return None


def page_refusal(response, exc: DomainError):
    """A page that shows a refusal on its form answers with the refusal's status when
    it is about the moment (429 too many attempts, 503 busy) and says when to come
    back, so browsers, proxies and monitoring see what happened; otherwise 200."""
    wait = retry_after(exc)
    if wait is not None:
        response.status_code = exc.http_status
        response["Retry-After"] = str(wait)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    """404: the error shape under /api/, the site's page elsewhere."""
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500: never a stack trace; under /api/ the error shape."""
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", _("Something went wrong on our side.")), status=500
        )
    return defaults.server_error(request)


def bad_request(request, exception=None):
    """400, or 413 when the body was over Django's size limits."""
    too_large = isinstance(exception, RequestDataTooBig)
    if _is_api(request):
        if too_large:
            return JsonResponse(
                error_body("too_large", _("The request body is too large.")), status=413
            )
        return JsonResponse(
            error_body("bad_request", _("The request could not be read.")), status=400
        )
    response = defaults.bad_request(request, exception)
    if too_large:
        response.status_code = 413
    return response


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("You may not do this.")), status=403)
    return defaults.permission_denied(request, exception)
