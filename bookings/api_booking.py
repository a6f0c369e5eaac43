"""POST /api/v1/bookings/ as a plain Django view: the endpoint of the booking rush.

Measured (#19, bench/README.md): around each booking DRF's generic machinery (its
Request, negotiation, authentication and throttle classes, exception handling and
Response rendering) cost several ms of the web process's CPU. This view takes the same
steps, in DRF's order, with the same parts, on Django's own request:

1. who calls: an API key (`ApiKeyAuthentication`: an unknown, revoked or expired key is
   401 with `WWW-Authenticate`), else the session's user, with CSRF enforced for a
   logged-in user as DRF's `SessionAuthentication` does (403 "CSRF Failed");
2. the caller's rate and the "booking" scope's, counted in one Redis round trip
   (`offices.throttling.request_wait`; 429 with Retry-After; open while Redis is down);
3. the body read by the API's strict JSON parser (`immigration.jsonbody`);
4. `bookings.api.booking_create_answer`: the same serializer validation, service call
   and answer as the DRF view.

Every refusal goes through the API's one exception handler (`api_exception_handler`),
so its status, body and headers are the DRF view's. What is not a rush's plain request
(another method, a query string, another content type or charset, an Accept header
other than JSON or anything, an empty body) is handed to `BookingCreateView`, the DRF
view, which stays the endpoint's OpenAPI documentation: drf-spectacular reads the
view class from `view.cls`, set below.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.renderers import JSONRenderer

from bookings.api import BookingCreateView, booking_create_answer
from immigration.errors import api_exception_handler
from immigration.jsonbody import StrictJSONParser
from immigration.sensitive import sensitive_view
from offices.access import ApiKeyAuthentication
from offices.throttling import request_wait

SCOPE = BookingCreateView.throttle_scope
# Accept headers this view answers itself (JSON is its only renderer); any other goes
# to DRF's negotiation (406 for one it cannot serve).
_ACCEPTS = frozenset({"", "*/*", "application/json"})
_CHARSETS = frozenset({"", "utf-8", "utf8"})
_RENDERER = JSONRenderer()
_PARSER = StrictJSONParser()
_KEYS = ApiKeyAuthentication()
_SESSIONS = SessionAuthentication()
# What DRF's finalize_response adds to every answer of the view.
_HEADERS = BookingCreateView().default_response_headers


def _plain(request) -> bool:
    """Whether this view answers the request itself (see the module docstring)."""
    meta = request.META
    return (
        request.method == "POST"
        and not meta.get("QUERY_STRING")
        and request.content_type == "application/json"
        and (request.content_params.get("charset") or "").lower() in _CHARSETS
        and meta.get("HTTP_ACCEPT", "") in _ACCEPTS
        and meta.get("CONTENT_LENGTH", "") not in ("", "0")
    )


def _authenticate(request) -> None:
    """DRF's authentication classes in the project's order, on the plain request: sets
    `request.auth` (the ApiClient of a key, else None) and `request.user` as DRF does."""
    found = _KEYS.authenticate(request)
    if found is not None:
        request.user, request.auth = found
        return
    request.auth = None
    user = getattr(request, "user", None)  # AuthenticationMiddleware's lazy user
    if user is None or not user.is_active:
        request.user = AnonymousUser()
        return
    _SESSIONS.enforce_csrf(request)  # a browser's session: its CSRF token is required


def _answer(data, status_code: int, headers=()) -> HttpResponse:
    response = HttpResponse(
        _RENDERER.render(data), status=status_code, content_type="application/json"
    )
    for name, value in headers:
        response[name] = value
    for name, value in _HEADERS.items():
        response[name] = value
    return response


def _refusal(request, exc: Exception) -> HttpResponse:
    """The API's error answer for `exc`, as the DRF view gives it; anything the API does
    not map (a database outage, a bug) propagates to the middleware, as from DRF."""
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        exc.auth_header = _KEYS.authenticate_header(request)
    response = api_exception_handler(exc, {"request": request, "view": None})
    if response is None:
        raise exc
    kept = [(k, v) for k, v in response.items() if k.lower() != "content-type"]
    return _answer(response.data, response.status_code, kept)


def _booking_create(request):
    try:
        _authenticate(request)
        wait = request_wait(request, SCOPE)
        if wait is not None:
            raise exceptions.Throttled(wait)
        data = _PARSER.parse(request, "application/json", {"request": request})
        return _answer(booking_create_answer(request, data), status.HTTP_201_CREATED)
    except Exception as exc:
        return _refusal(request, exc)


_drf_view = BookingCreateView.as_view()


@csrf_exempt
@sensitive_view
def booking_create(request, *args, **kwargs):
    """POST /api/v1/bookings/ (the module docstring says how it relates to DRF)."""
    if not _plain(request):
        return _drf_view(request, *args, **kwargs)
    return _booking_create(request)


# drf-spectacular documents the endpoint from the DRF view's class (and its
# @extend_schema), as it would for BookingCreateView.as_view().
booking_create.cls = BookingCreateView
booking_create.initkwargs = {}
