"""Security headers: the Content-Security-Policy on every kind of page, and the HTTPS,
cookie and isolation headers as production sends them."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from immigration.tests.processes import ROOT, probe
from immigration.tests.test_settings import PRODUCTION_ENV

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return dict(parts)


@pytest.mark.django_db
def test_a_public_page_carries_the_policy(client):
    response = client.get("/pesan/")
    assert response.status_code == 200
    assert _directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.django_db
def test_a_staff_page_carries_the_policy(client):
    client.force_login(User.objects.create_superuser("root", password="x"))
    for url in (reverse("admin:index"), "/dasbor/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _directives(response["Content-Security-Policy"]) == POLICY, url


@pytest.mark.django_db
def test_the_api_docs_carry_the_policy_and_load_their_script_as_a_file(client):
    page = client.get("/api/v1/docs/")
    assert _directives(page["Content-Security-Policy"]) == POLICY
    html = page.content.decode()
    assert "<script>" not in html
    assert "<style>" not in html
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    # No validator badge: the schema's address is not sent to swagger.io.
    assert '"validatorUrl": null' in script.content.decode()


def test_no_template_carries_inline_script_or_style():
    """The policy would block them; checked at the source so a new one is caught
    before a browser test happens to visit its page."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        if any(marker in text for marker in ("<script>", "<style", "style=", " onclick=")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# A production process (DEBUG off, secrets set) answers a staff login over HTTPS; it
# runs apart because settings are read once, at start.
_PROBE = """
import json
from django.test import Client
from django.urls import reverse
client = Client(HTTP_HOST="antrean.imigrasi.go.id", REMOTE_ADDR="203.0.113.9")
response = client.post(
    reverse("admin:login"), {"username": "root", "password": "kunci-rahasia-panjang-42"},
    secure=True,
)
cookies = {
    name: {"secure": bool(c["secure"]), "httponly": bool(c["httponly"]), "samesite": c["samesite"]}
    for name, c in response.cookies.items()
}
print("RESULT", json.dumps({"status": response.status_code, "headers": dict(response.headers),
                            "cookies": cookies}))
"""


@pytest.mark.django_db(transaction=True)
def test_production_sends_the_security_headers_and_secure_cookies(test_database_url):
    User.objects.create_superuser("root", password="kunci-rahasia-panjang-42")
    answer = probe(_PROBE, PRODUCTION_ENV | {"DATABASE_URL": test_database_url})
    assert answer["status"] == 302, answer
    headers = answer["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert _directives(headers["Content-Security-Policy"]) == POLICY
    cookies = answer["cookies"]
    assert cookies["sessionid"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert cookies["csrftoken"]["secure"] is True
