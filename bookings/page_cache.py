"""The booking page (`/pesan/`) served from the cache before the middleware behind it.

At release time everyone reloads the same few booking pages (an office, a day chosen),
and drawing one (the calendar, the form's widgets) is most of its cost. A GET of the
page is kept in the cache for AVAILABILITY_CACHE_SECONDS (2 s) per path with its query
string and language, as the calendar API's answer is; what it shows is at most those
seconds old, and the booking itself is judged by PostgreSQL. POSTs (a booking, a
language switch) never are.

`BookingPageCacheMiddleware` sits where `CalendarCacheMiddleware` does: a repeat is
answered before sessions, CSRF, authentication, messages and the clickjacking header
run, which were most of what a cached page still cost (5.7 ms of CPU per page under
load, #19; bench/README.md). What those would have added to the answer is added here:

- the language is the one LocaleMiddleware would activate (the cookie, then
  Accept-Language), asked of the same Django function; the entry is stored only when
  the drawn page's Content-Language is that language, and is kept per language;
- the page's only part that belongs to one visitor, the CSRF token of its forms, is
  stored as a random marker and replaced on each answer by the caller's own token,
  from the caller's CSRF cookie, or a new one set as a cookie, by Django's own
  CsrfViewMiddleware (which also adds `Vary: Cookie`), as a drawn page gets it;
- the drawn answer's other headers (Vary, Content-Language, X-Frame-Options) are kept
  and replayed; its cookies never are (only the drawing caller's CSRF cookie may be on
  it; an answer with any other cookie is not stored).

Nothing else on the page depends on who asks (no user name, no messages: base.html and
bookings/book.html show none), which the tests of bookings/tests/test_page_cache.py
hold it to.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.urls import reverse
from django.utils import translation
from redis.exceptions import RedisError

# The forms' hidden CSRF field: the booking form's and the language form's in base.html.
_CSRF_FIELD = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*(")')
# Set by the answer's own way out (content length, request id) or never replayed.
_NOT_KEPT = {"content-length", "x-request-id", "set-cookie"}


def _key(language: str, full_path: str) -> str:
    return "book-page:" + hashlib.sha256(f"{language}\n{full_path}".encode()).hexdigest()


class BookingPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.path = reverse("booking-page")
        # Django's CSRF middleware, for its cookie handling only (never its checks: a
        # GET needs none).
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        if (
            request.method != "GET"
            or request.path != self.path
            or not settings.AVAILABILITY_CACHE_SECONDS
        ):
            return self.get_response(request)
        language = translation.get_language_from_request(request)
        key = _key(language, request.get_full_path())
        try:
            entry = cache.get(key)
        except RedisError:
            entry = None  # drawn as if nothing were cached
        if entry is not None:
            return self._replay(request, entry)
        response = self.get_response(request)
        self._store(key, language, response)
        return response

    def _replay(self, request, entry) -> HttpResponse:
        marker, body, headers = entry
        self.csrf.process_request(request)  # the caller's CSRF cookie, if any
        response = HttpResponse(body.replace(marker, get_token(request)))
        for name, value in headers:
            response[name] = value
        return self.csrf.process_response(request, response)  # a new token's cookie

    def _store(self, key: str, language: str, response) -> None:
        if response.status_code != 200 or response.streaming:
            return
        if set(response.cookies) - {settings.CSRF_COOKIE_NAME}:
            return
        if response.get("Content-Language") != language:
            return
        marker = secrets.token_urlsafe(24)
        body = _CSRF_FIELD.sub(rf"\g<1>{marker}\g<2>", response.content.decode())
        headers = tuple(
            (name, value) for name, value in response.items() if name.lower() not in _NOT_KEPT
        )
        with contextlib.suppress(RedisError):  # down: the next request draws it again
            cache.set(key, (marker, body, headers), settings.AVAILABILITY_CACHE_SECONDS)
