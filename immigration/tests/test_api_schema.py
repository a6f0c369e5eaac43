"""The OpenAPI schema is the whole contract: every API URL is in it, and every operation
says who may call it and which errors (in the one error shape) it can answer with."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from immigration.tests.urlwalk import as_openapi_path, url_patterns

pytestmark = pytest.mark.django_db

# API URLs that are not operations of the API itself.
NOT_IN_SCHEMA = {
    "/api/v1/schema/": "the schema itself",
    "/api/v1/docs/": "the HTML page that renders the schema",
}
# Operations without a throttle, and why.
UNTHROTTLED = {
    ("get", "/api/v1/whatsapp/webhook/"): "Meta's handshake; the verify token gates it",
    ("post", "/api/v1/whatsapp/webhook/"): "Meta's deliveries; the signature gates them",
}
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, operation


def test_every_api_url_is_in_the_schema(schema):
    walked = {as_openapi_path(text) for text, _pattern in url_patterns() if text.startswith("api/")}
    assert walked - set(NOT_IN_SCHEMA) == set(schema["paths"])
    assert set(NOT_IN_SCHEMA) <= walked


def test_both_ways_to_authenticate_are_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schemes["apiKeyAuth"]["description"],
    }
    assert "Api-Key <key>" in schemes["apiKeyAuth"]["description"]
    assert schemes["cookieAuth"]["in"] == "cookie"


def test_every_operation_declares_its_security(schema):
    for method, path, operation in _operations(schema):
        security = operation.get("security")
        assert security, f"{method} {path} declares no security"
        protected = {} not in security
        if protected:
            assert {"apiKeyAuth": []} in security, f"{method} {path}"
            assert operation.get("x-api-key-scopes"), f"{method} {path} names no key scope"


def test_every_error_answer_is_the_error_shape(schema):
    for method, path, operation in _operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if code[0] in "45"}
        assert errors, f"{method} {path} declares no error"
        for code, response in errors.items():
            content = response.get("content", {})
            assert content, f"{method} {path} {code} has no body"
            for media_type, body in content.items():
                assert body["schema"] == {"$ref": ERROR_REF}, f"{method} {path} {code}"
                assert media_type == "application/json"


def test_every_operation_declares_the_errors_its_callers_can_meet(schema):
    for method, path, operation in _operations(schema):
        statuses = set(operation["responses"])
        if {} not in operation["security"]:
            assert {"401", "403"} <= statuses, f"{method} {path}"
        if "requestBody" in operation:
            assert {"400", "413"} <= statuses, f"{method} {path}"
        if "{" in path:
            assert "404" in statuses or (method, path) in UNTHROTTLED, f"{method} {path}"
        if (method, path) not in UNTHROTTLED:
            assert "429" in statuses, f"{method} {path}"
        assert "503" in statuses, f"{method} {path}"


def test_the_503_answer_names_its_codes(schema):
    described = schema["paths"]["/api/v1/bookings/{code}/"]["get"]["responses"]["503"]
    for code in ("service_unavailable", "busy", "lockout_unavailable"):
        assert code in described["description"]


def test_the_error_schema_is_the_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    detail_ref = error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]
    detail = schema["components"]["schemas"][detail_ref]
    assert set(detail["properties"]) == {"code", "message", "fields"}
    assert set(detail["required"]) == {"code", "message", "fields"}


def test_every_success_answer_documents_its_body(schema):
    for method, path, operation in _operations(schema):
        for code, response in operation["responses"].items():
            if code.startswith("2"):
                assert response.get("content"), f"{method} {path} {code} has no body"


@pytest.mark.parametrize(
    ("path", "rows"),
    [
        ("/api/v1/offices/{code}/bookings/", "StaffBooking"),
        ("/api/v1/offices/{code}/waitlist/", "StaffWaitlistRequest"),
    ],
)
def test_each_office_day_list_takes_a_date_and_answers_its_own_rows(schema, path, rows):
    """The two lists share one view (bookings/api_office_day.py); each keeps its schema."""
    operation = schema["paths"][path]["get"]
    date = [p for p in operation["parameters"] if p["name"] == "date"]
    assert date == [
        {
            "in": "query",
            "name": "date",
            "schema": {"type": "string", "format": "date"},
            "required": True,
        }
    ]
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"type": "array", "items": {"$ref": f"#/components/schemas/{rows}"}}
    assert operation["summary"].startswith("An office's ")


@pytest.mark.parametrize(
    ("component", "state"), [("Booking", "A hold"), ("WaitlistRequest", "Pending")]
)
def test_the_answers_awaiting_proof_say_which_state_waits(schema, component, state):
    """The booking and the waiting-list request share their office and proof fields
    (bookings/serializer_bases.py) but each names its own waiting state, and no base's
    text becomes their description."""
    shape = schema["components"]["schemas"][component]
    assert "description" not in shape
    for field in ("confirm_text", "confirm_url"):
        assert shape["properties"][field]["description"].startswith(f"{state}: ")
        assert shape["properties"][field]["nullable"] is True
    assert {"office", "office_name", "zone"} <= set(shape["required"])
