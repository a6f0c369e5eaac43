"""The availability calendar served from this web process's memory for a moment.

Everyone opens an office's calendar before booking, so at the release of a day the
same few answers are asked for thousands of times a second. The view already keeps
its rendered answer in Redis for AVAILABILITY_CACHE_SECONDS (2 s), but on the
benchmark's 2-core machine a hit still went through sessions, DRF, two throttles and a
Redis round trip: about 380 answers a second (`make bench`). `CalendarCacheMiddleware`
keeps the finished 200 answer (body and headers) in memory for the same 2 seconds and
answers repeats before all of that, as a micro-cache in a reverse proxy would. (Placed
outside the security-header and CSP middleware as well, a repeat cost no less: 0.53 ms
of CPU in-process against 0.47 here, where the whole way costs 2.9 ms.)

The answer is the same for everyone (the endpoint is public and shows no personal
data), so the key is the path with its query string and the language. At most
`MAX_ENTRIES` answers are kept per process, so odd query strings cannot grow it
without bound. Cached reads are not counted by the throttles: serving one costs less
than counting it.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation

MAX_ENTRIES = 512
_PATH = re.compile(r"^/api/v1/offices/[a-z0-9-]+/availability/$")
# The headers the inner middleware and the view set are replayed with the body (the
# outer middleware adds its own to every answer), except a request's own id. Cookies
# are not headers in Django (`response.cookies`): none is ever replayed.
_NOT_KEPT = {"x-request-id"}

# key -> (monotonic deadline, body, headers). Whole-value reads and writes of a dict
# are atomic under the GIL: gunicorn's threads share it without a lock.
_answers: dict[tuple[str, str], tuple[float, bytes, tuple[tuple[str, str], ...]]] = {}


def clear() -> None:
    _answers.clear()


class CalendarCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = settings.AVAILABILITY_CACHE_SECONDS
        if not seconds or request.method != "GET" or not _PATH.match(request.path):
            return self.get_response(request)
        key = (request.get_full_path(), translation.get_language_from_request(request))
        entry = _answers.get(key)
        now = time.monotonic()
        if entry is not None and now < entry[0]:
            _deadline, body, headers = entry
            return HttpResponse(body, headers=dict(headers))
        response = self.get_response(request)
        if response.status_code == 200 and not response.streaming:
            if len(_answers) >= MAX_ENTRIES:
                _answers.clear()
            headers = tuple(
                (name, value) for name, value in response.items() if name.lower() not in _NOT_KEPT
            )
            _answers[key] = (now + seconds, response.content, headers)
        return response
