"""The 503 of a database outage met outside any view (a middleware saving a session):
the handler500 tells it from a bug. Views are covered by the PostgreSQL drill."""

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db


class FailingMiddleware:
    """Stands in for a middleware whose own query meets a dead database."""

    error = OperationalError

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raise self.error("connection to server at 127.0.0.1 failed: Connection refused")


@pytest.fixture
def failing(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.FailingMiddleware"]
    FailingMiddleware.error = OperationalError
    return FailingMiddleware


def test_a_page_answers_a_plain_503_page_with_retry_after(failing):
    response = Client(raise_request_exception=False).get("/pesan/")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert response["Retry-After"] == "15"
    assert "Connection refused" not in response.content.decode()


def test_the_api_answers_503_in_the_error_shape(failing):
    response = Client(raise_request_exception=False).get("/api/v1/offices/")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response["Retry-After"] == "15"


def test_any_other_error_is_still_a_500(failing):
    failing.error = RuntimeError
    response = Client(raise_request_exception=False).get("/api/v1/offices/")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
