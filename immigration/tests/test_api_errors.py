"""Every refusal under /api/ is JSON in the one error shape with the right status:
bodies too large (413), of the wrong type (415), unreadable (400), answers the client
will not accept (406), wrong methods (405), missing or bad credentials (401) and
refusals of who the caller is (403)."""

import json

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.permissions import AllowAny
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

BOOKINGS = "/api/v1/bookings/"


def _assert_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str)
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def test_a_json_body_over_the_upload_limit_is_413_before_it_is_read(client, settings):
    body = json.dumps({"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    response = client.post(BOOKINGS, body, content_type="application/json")
    _assert_shape(response, 413, "too_large")


def test_an_upload_over_the_api_upload_limit_is_413(client, settings):
    settings.API_UPLOAD_MAX_BYTES = 4096
    evidence = SimpleUploadedFile("foto.jpg", b"\xff" * 5000, content_type="image/jpeg")
    response = client.post(
        "/api/v1/complaints/", {"office": "tangerang", "category": "pungli", "evidence": evidence}
    )
    _assert_shape(response, 413, "too_large")


def test_an_upload_within_the_limit_reaches_the_view(client, settings):
    settings.API_UPLOAD_MAX_BYTES = 1_000_000
    response = client.post("/api/v1/complaints/", {"office": "tangerang", "category": "x"})
    assert _assert_shape(response, 400, "invalid")["fields"]["category"]


class _Raises(APIView):
    permission_classes = [AllowAny]
    exc: Exception | None = None

    def post(self, request):
        raise self.exc


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [(RequestDataTooBig(), 413, "too_large"), (TooManyFilesSent(), 400, "too_many_parts")],
)
def test_djangos_refusals_of_a_body_inside_a_view_keep_the_shape(exc, status, code):
    response = _Raises.as_view(exc=exc)(APIRequestFactory().post("/x", {}, format="json"))
    assert response.status_code == status
    assert response.data["error"]["code"] == code


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("office=tangerang", "text/plain"),
        ("<booking><office>tangerang</office></booking>", "application/xml"),
        ("office=tangerang&name=x", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_json_on_a_json_endpoint_is_415(client, body, content_type):
    response = client.post(BOOKINGS, body, content_type=content_type)
    _assert_shape(response, 415, "unsupported_media_type")


def test_malformed_json_is_400_parse_error(client):
    response = client.post(BOOKINGS, '{"office": "tangerang",', content_type="application/json")
    _assert_shape(response, 400, "parse_error")


def test_asking_for_html_is_406_answered_in_json(client):
    response = client.get("/api/v1/offices/", HTTP_ACCEPT="text/html")
    _assert_shape(response, 406, "not_acceptable")
    assert client.get("/api/v1/offices/", HTTP_ACCEPT="text/html,*/*;q=0.8").status_code == 200


def test_the_qr_image_is_served_whatever_the_client_accepts(client):
    response = client.get("/api/v1/bookings/ABCDEFGH/qr.png", HTTP_ACCEPT="image/png")
    assert (response.status_code, response["Content-Type"]) == (200, "image/png")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/api/v1/whatsapp/webhook/"),
        ("delete", BOOKINGS),
        ("get", "/api/v1/complaints/"),
        ("patch", "/api/v1/offices/tangerang/"),
    ],
)
def test_a_wrong_method_is_405_with_allow_in_the_shape(client, method, path):
    response = getattr(client, method)(path)
    _assert_shape(response, 405, "method_not_allowed")
    assert response["Allow"]


def test_the_webhook_refusals_are_in_the_shape(client, settings):
    settings.WHATSAPP_APP_SECRET = "s3cret"
    settings.WHATSAPP_VERIFY_TOKEN = "verify-me"
    _assert_shape(
        client.post(
            "/api/v1/whatsapp/webhook/",
            b"{}",
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256="sha256=00",
        ),
        403,
        "bad_signature",
    )
    _assert_shape(
        client.get("/api/v1/whatsapp/webhook/", {"hub.mode": "subscribe", "hub.verify_token": "x"}),
        403,
        "verification_failed",
    )


STAFF_ONLY = "/api/v1/offices/tangerang/bookings/?date=2026-12-07"


def test_no_credentials_is_401_with_www_authenticate(client):
    error = _assert_shape(client.get(STAFF_ONLY), 401, "not_authenticated")
    assert error["message"]
    assert client.get(STAFF_ONLY)["WWW-Authenticate"] == 'Api-Key realm="api"'


@pytest.mark.parametrize("header", ["Api-Key nonsense", "Api-Key abc.def", "api-key x.y"])
def test_an_unknown_key_is_401_even_on_a_public_endpoint(client, header):
    response = client.get("/api/v1/offices/", HTTP_AUTHORIZATION=header)
    _assert_shape(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'


def test_a_logged_in_user_who_may_not_is_403_not_401(client):
    client.force_login(User.objects.create_user("visitor"))
    _assert_shape(client.get(STAFF_ONLY), 403, "permission_denied")
    client.force_login(User.objects.create_user("no-office", is_staff=True))
    _assert_shape(client.get(STAFF_ONLY), 403, "permission_denied")


def test_a_session_post_without_its_csrf_token_is_403_in_the_shape():
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    # An officer whose role may issue tickets: only the missing token refuses the post.
    officer = User.objects.create_user("staff", is_staff=True)
    officer.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=officer, office=Office.objects.get(code="tangerang"))
    csrf_client.force_login(officer)
    response = csrf_client.post(
        "/api/v1/offices/tangerang/priority-tickets/",
        {"category": "elderly"},
        content_type="application/json",
    )
    _assert_shape(response, 403, "permission_denied")


def test_a_key_without_the_scope_is_403(client):
    _client, key = ApiClient.objects.create_key(name="kiosk", scopes=["desk"])
    response = client.get(STAFF_ONLY, HTTP_AUTHORIZATION=f"Api-Key {key}")
    error = _assert_shape(response, 403, "permission_denied")
    assert "bookings:read" in error["message"]


def test_a_plain_django_refusal_under_the_api_is_rewritten_into_the_shape(client):
    from django.http import HttpResponse, HttpResponseNotAllowed
    from django.urls import clear_url_caches, path

    from immigration import urls

    def teapot(request):
        if request.method == "POST":
            return HttpResponseNotAllowed(["GET"], content=b"<h1>no</h1>")
        return HttpResponse("<h1>fine</h1>")

    original = list(urls.urlpatterns)
    urls.urlpatterns.insert(0, path("api/v1/plain/", teapot))
    clear_url_caches()
    try:
        refused = client.post("/api/v1/plain/")
        fine = client.get("/api/v1/plain/")
    finally:
        urls.urlpatterns[:] = original
        clear_url_caches()
    _assert_shape(refused, 405, "method_not_allowed")
    assert refused["Allow"] == "GET"
    assert fine.content == b"<h1>fine</h1>"
