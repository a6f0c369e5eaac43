"""The webhook's signed deliveries answered in front of Django's handler (issue #19).

WhatsApp wants its webhook answered fast, retries a slow answer, and at a release
thousands of deliveries arrive at once. A delivery's work is small (the size, the
signature, one INSERT, the worker's wake-up), and Django's WSGI handler around it,
with its request signals, the per-request connection health check (a `SELECT 1`
before the INSERT) and the middleware chain, was most of the rest: bench/README.md,
"Session 12: the webhook's acknowledgement", has the measurements.

`WebhookFastPath` wraps Django's WSGI application (immigration/wsgi.py). A POST to the
webhook's path is answered here; everything else, and a POST over plain HTTP where
HTTPS is required (Django's SecurityMiddleware redirects it), goes to Django. What the
middleware chain gave the webhook is kept, each by the same code Django's path runs:

- the delivery received and answered by `webhook_receive` and `webhook_respond`
  (notifications/webhook.py), which the middleware and the view call too: the size
  limit, the signature, parsing, the inbox's INSERT and hand-off, the bilingual
  refusals;
- an exception (the database down: 503 with Retry-After, so the provider retries) by
  Django's own `response_for_exception` and the project's handler500, as when the
  middleware raises;
- the request id and the JSON access line (immigration/middleware.py's
  `request_id_from` and `log_access`), and Django's warning line for a 4xx/5xx;
- the security headers (SecurityMiddleware, the CSP): learnt once per kind of request
  (HTTPS or not) by running the configured middlewares in front of the webhook's over
  a sample answer, since they depend on nothing else of a request to this path.

The connection: Django checks a persistent connection with a `SELECT 1` at the first
query of every request (CONN_HEALTH_CHECKS). Here it is not checked before use:
an INSERT that fails on a connection kept from an earlier request (the server was
restarted since) is retried once on a fresh one, which costs a round trip only when
the connection was in fact broken. The INSERT is idempotent (ON CONFLICT DO NOTHING),
so a retry never stores a delivery twice. At the end, Django's own end-of-request
check closes a connection that erred or outlived CONN_MAX_AGE.
"""

from __future__ import annotations

import io
import time

from django.conf import settings
from django.core.handlers.exception import response_for_exception
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.log import log_response
from django.utils.module_loading import import_string

from immigration.db_outage import OUTAGE_ERRORS
from immigration.logging import request_id_var
from immigration.middleware import log_access, request_id_from
from notifications.webhook import webhook_receive, webhook_respond

# The webhook's own middleware in settings.MIDDLEWARE: the ones before it are those
# whose work the fast path keeps (the request id's is done per request, the others'
# headers are learnt once, `_learn_headers`).
WEBHOOK_MIDDLEWARE = "notifications.webhook.WhatsAppWebhookMiddleware"
REQUEST_ID_MIDDLEWARE = "immigration.middleware.RequestIdMiddleware"
# Set by each answer itself, not learnt.
_OWN_HEADERS = frozenset({"content-type", "content-length", "x-request-id"})


class WebhookFastPath:
    """WSGI middleware: the webhook's POSTs answered here, the rest by `application`."""

    def __init__(self, application):
        self.application = application
        self.path: str | None = None
        # is_secure -> [(header, value)] the front middlewares add to an answer.
        self._headers: dict[bool, list[tuple[str, str]]] = {}

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("SCRIPT_NAME"):
            return self.application(environ, start_response)
        if self.path is None:
            self.path = reverse("api:whatsapp-webhook")
        if environ.get("PATH_INFO") != self.path:
            return self.application(environ, start_response)
        request = WSGIRequest(environ)
        secure = request.is_secure()
        if settings.SECURE_SSL_REDIRECT and not secure:
            return self.application(environ, start_response)
        return self.answer(request, secure, start_response)

    def answer(self, request, secure: bool, start_response):
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID", ""))
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self._respond(request)
            headers = [*response.items(), *self._front_headers(secure)]
            headers.append(("X-Request-ID", request_id))
            if response.status_code >= 400:
                log_response(
                    "%s: %s",
                    response.reason_phrase,
                    request.path,
                    response=response,
                    request=request,
                )
            log_access(request.method, request.path, response.status_code, started)
            start_response(f"{response.status_code} {response.reason_phrase}", headers)
            return [response.content]
        finally:
            request_id_var.reset(token)
            _end_of_request()

    def _respond(self, request) -> HttpResponse:
        """The answer, as Django's path gives it: `webhook_respond`, or the answer to
        an exception (the project's handler500: 503 when the database is down)."""
        reused = connection.connection is not None
        try:
            try:
                return webhook_respond(request, webhook_receive(request))
            except OUTAGE_ERRORS:
                if not reused:
                    raise
                # A connection kept from an earlier request, broken since (the server
                # restarted): once more on a fresh one, as Django's health check would
                # have given it.
                connection.close()
                return webhook_respond(request, webhook_receive(request))
        except Exception as exc:
            return response_for_exception(request, exc)

    def _front_headers(self, secure: bool) -> list[tuple[str, str]]:
        headers = self._headers.get(secure)
        if headers is None:
            headers = self._headers[secure] = _learn_headers(self.path, secure)
        return headers


def _learn_headers(path: str, secure: bool) -> list[tuple[str, str]]:
    """The headers the middlewares in front of the webhook's (settings.MIDDLEWARE,
    without the request id's) add to a JSON answer to a POST to `path`: they are run
    once over a sample answer, so that their rules stay theirs."""
    names = settings.MIDDLEWARE[: settings.MIDDLEWARE.index(WEBHOOK_MIDDLEWARE)]

    def sample(request):
        return JsonResponse({})

    chain = sample
    for name in reversed(names):
        if name != REQUEST_ID_MIDDLEWARE:
            chain = import_string(name)(chain)
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "443" if secure else "80",
        "wsgi.url_scheme": "https" if secure else "http",
        "wsgi.input": io.BytesIO(),
    }
    if secure and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        header, value = settings.SECURE_PROXY_SSL_HEADER
        environ[header] = value
    response = chain(WSGIRequest(environ))
    return [(k, v) for k, v in response.items() if k.lower() not in _OWN_HEADERS]


def _end_of_request() -> None:
    """Django's end-of-request check of the connection (close it when it erred or
    outlived CONN_MAX_AGE), without making the next delivery pay a health check: a
    broken connection is met by `_respond`'s retry instead."""
    if connection.in_atomic_block:  # a caller's transaction (a test's): not ours to end
        return
    healthy = connection.connection is not None and not connection.errors_occurred
    connection.close_if_unusable_or_obsolete()
    if healthy and connection.connection is not None:
        connection.health_check_done = True
