"""django-csp's middleware with the policy built once, not at every response.

`csp.middleware.CSPMiddleware` rebuilds the Content-Security-Policy header from the
settings for every response (a dataclass turned into a dict, every directive copied,
sorted and joined), twice: the policy and the report-only one. On a calendar answer
served from memory that was about a quarter of the web process's CPU, and about 1% of
a booking (#19, bench/README.md "The web side of a booking").

Most responses carry no policy of their own: no `csp_update`/`csp_replace`/`csp_exempt`
decorator and no nonce asked for. Their headers depend on the settings only, so they
are built once (by django-csp's own `build_policy`) and kept with the settings object
they came from: a test that overrides the settings gets a new object, and so a new
header. Any other response goes through django-csp's own code unchanged.
"""

from __future__ import annotations

import http.client as http_client
import threading

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as UpstreamCSPMiddleware
from csp.utils import build_policy
from django.conf import settings

# What a view or a decorator may set on a response to change or drop its policy.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)
_POLICIES = (
    (HEADER, "CONTENT_SECURITY_POLICY", False),
    (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
)
_DEBUG_EXEMPT = (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND)


class CSPMiddleware(UpstreamCSPMiddleware):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # setting name -> (the settings value it was built from, the header value)
        self._built: dict[str, tuple[object, str]] = {}
        self._lock = threading.Lock()

    def _policy(self, name: str, report_only: bool) -> tuple[dict, str]:
        source = getattr(settings, name, None)
        built = self._built.get(name)
        if built is None or built[0] is not source:
            with self._lock:
                built = self._built[name] = (source, build_policy(report_only=report_only))
        return source or {}, built[1]

    def process_response(self, request, response):
        if (
            (settings.DEBUG and response.status_code in _DEBUG_EXEMPT)
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) not in (None, False) for name in _OWN_POLICY)
        ):
            return super().process_response(request, response)
        for header, name, report_only in _POLICIES:
            source, value = self._policy(name, report_only)
            excluded = tuple(source.get("EXCLUDE_URL_PREFIXES", None) or ())
            if value and header not in response and not request.path_info.startswith(excluded):
                response[header] = value
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
