"""The API's shared contract: the schema is served and errors have one shape."""

import pytest
from rest_framework.permissions import AllowAny
from rest_framework.serializers import CharField, Serializer
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from immigration.errors import ConflictError, DomainError

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served_as_openapi_3(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_api_docs_are_served_without_a_cdn(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html


class _NameSerializer(Serializer):
    name = CharField(max_length=5)


class _View(APIView):
    permission_classes = [AllowAny]
    raise_exc: Exception | None = None

    def post(self, request):
        if self.raise_exc:
            raise self.raise_exc
        _NameSerializer(data=request.data).is_valid(raise_exception=True)


def _post(exc=None, data=None):
    request = APIRequestFactory().post("/x", data or {}, format="json")
    return _View.as_view(raise_exc=exc)(request)


def test_conflicts_are_409_with_the_error_shape():
    response = _post(ConflictError(code="slot_full", message="Full"))
    assert response.status_code == 409
    assert response.data == {"error": {"code": "slot_full", "message": "Full", "fields": {}}}


def test_domain_errors_are_400_by_default_and_keep_their_fields():
    response = _post(DomainError(code="bad_date", message="Bad", fields={"date": ["in the past"]}))
    assert response.status_code == 400
    assert response.data["error"]["fields"] == {"date": ["in the past"]}


def test_validation_errors_carry_field_errors():
    response = _post(data={"name": "much too long"})
    assert response.status_code == 400
    assert response.data["error"]["code"] == "invalid"
    assert "name" in response.data["error"]["fields"]


def test_api_is_closed_unless_a_view_opens_it(client):
    class Closed(APIView):
        def get(self, request):
            raise AssertionError("must not run")

    response = Closed.as_view()(APIRequestFactory().get("/closed"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.data["error"]["code"] == "not_authenticated"


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    from django.core.management import call_command

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    assert (tmp_path / "schema.yml").read_text().startswith("openapi: 3")


def test_an_unknown_api_path_is_json_in_the_error_shape(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_a_wrong_method_on_the_api_is_405_in_the_error_shape(client):
    response = client.delete("/api/v1/offices/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_an_unknown_page_is_still_a_page(client):
    response = client.get("/nothing-here/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_an_api_crash_is_a_json_500_without_a_trace(client, settings):
    from django.urls import path

    from immigration import urls

    def boom(request):
        raise RuntimeError("secret internals 6281234567890")

    settings.DEBUG = False
    client.raise_request_exception = False
    original = list(urls.urlpatterns)
    urls.urlpatterns.insert(0, path("api/v1/boom/", boom))
    try:
        from django.urls import clear_url_caches

        clear_url_caches()
        response = client.get("/api/v1/boom/")
    finally:
        urls.urlpatterns[:] = original
        clear_url_caches()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"
    assert b"secret internals" not in response.content
