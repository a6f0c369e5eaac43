"""/healthz: ok or not ok for anyone; which part fails only for staff or a token."""

import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db

TOKEN = "probe-token-4f9c2e7a1b"


@pytest.fixture
def token(settings):
    settings.HEALTHZ_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.fixture
def redis_down(settings, unused_tcp_port):
    settings.REDIS_URL = f"redis://127.0.0.1:{unused_tcp_port}/0"


def test_healthz_is_ok_when_database_and_redis_answer(client, token):
    response = client.get("/healthz", **token)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(client, token, redis_down):
    response = client.get("/healthz", **token)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["failing"] == ["redis"]
    assert body["checks"] == {"database": "ok", "redis": "unavailable"}


def test_healthz_reports_redis_not_configured_when_there_is_none(client, settings, token):
    settings.REDIS_URL = None
    response = client.get("/healthz", **token)
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "not configured"


def test_public_healthz_says_only_ok(client, token):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_public_healthz_says_only_error_not_which_part_fails(client, token, redis_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error"}
    assert b"redis" not in response.content


@pytest.mark.parametrize(
    "authorization",
    ["Bearer wrong-token", f"Bearer {TOKEN}x", TOKEN, f"bearer  {TOKEN}", ""],
)
def test_a_wrong_token_gets_the_public_answer(client, token, redis_down, authorization):
    response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)
    assert response.json() == {"status": "error"}


def test_without_a_configured_token_no_token_opens_the_detail(client, settings):
    settings.HEALTHZ_TOKEN = ""
    for authorization in ("Bearer ", "Bearer", ""):
        assert client.get("/healthz", HTTP_AUTHORIZATION=authorization).json() == {"status": "ok"}


def test_staff_signed_in_see_the_detail(client, redis_down):
    client.force_login(User.objects.create_user("budi", is_staff=True))
    assert client.get("/healthz").json()["failing"] == ["redis"]


def test_a_signed_in_non_staff_account_gets_the_public_answer(client, redis_down):
    client.force_login(User.objects.create_user("warga"))
    assert client.get("/healthz").json() == {"status": "error"}


def test_healthz_is_exempt_from_the_https_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 301


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
