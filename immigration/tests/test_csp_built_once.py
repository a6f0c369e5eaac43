"""immigration/csp.py keeps the built policy: every response still carries exactly the
header django-csp's own middleware would give it."""

import pytest
from csp.constants import NONE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.middleware import CSPMiddleware as Upstream
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

from immigration.csp import CSPMiddleware

HEADERS = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")


def _headers(middleware_class, view, *, use_nonce=False, path="/pesan/"):
    request = RequestFactory().get(path)
    middleware = middleware_class(lambda r: view(r))

    def answer(req):
        if use_nonce:
            str(req.csp_nonce)
        return view(req)

    middleware.get_response = answer
    response = middleware(request)
    return {h: response.get(h) for h in HEADERS}


def plain(request):
    return HttpResponse("ok")


@csp_update({"img-src": "https://maps.example"})
def updated(request):
    return HttpResponse("ok")


@csp_exempt()
def exempt(request):
    return HttpResponse("ok")


@pytest.mark.parametrize("view", [plain, updated, exempt], ids=["plain", "update", "exempt"])
@pytest.mark.parametrize("use_nonce", [False, True], ids=["", "nonce"])
def test_each_response_gets_django_csps_own_header(view, use_nonce):
    for _ in range(2):  # the second time from what was built the first
        assert _headers(CSPMiddleware, view, use_nonce=use_nonce) == _headers(
            Upstream, view, use_nonce=use_nonce
        )
    if view is exempt:
        assert _headers(CSPMiddleware, view)["Content-Security-Policy"] is None
    else:
        assert "default-src 'self'" in _headers(CSPMiddleware, view)["Content-Security-Policy"]


def test_changed_settings_give_the_changed_policy():
    middleware_headers = _headers(CSPMiddleware, plain)
    policy = {"DIRECTIVES": {"default-src": [NONE]}, "EXCLUDE_URL_PREFIXES": ["/media/"]}
    report = {"DIRECTIVES": {"default-src": [SELF], "report-uri": "/csp/"}}
    with override_settings(
        CONTENT_SECURITY_POLICY=policy, CONTENT_SECURITY_POLICY_REPORT_ONLY=report
    ):
        changed = _headers(CSPMiddleware, plain)
        assert changed == _headers(Upstream, plain)
        assert changed["Content-Security-Policy"] == "default-src 'none'"
        assert "report-uri /csp/" in changed["Content-Security-Policy-Report-Only"]
        excluded = _headers(CSPMiddleware, plain, path="/media/x.png")
        assert excluded == _headers(Upstream, plain, path="/media/x.png")
        assert excluded["Content-Security-Policy"] is None
    assert _headers(CSPMiddleware, plain) == middleware_headers
