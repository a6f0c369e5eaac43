"""Schemathesis drives every operation of the served OpenAPI schema in-process (the WSGI
app, real PostgreSQL with the pilot offices, real Redis) as three callers: anonymous,
a staff user of an office (session with its CSRF token) and an API key holding every
scope. Each answer must not be a 5xx, must have a documented status and content type,
and must match the documented schema.

Bounded for the suite: a few examples per operation, no deadline, rates lifted so
throttles do not make answers depend on the order of examples.
"""

import datetime as dt

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bookings.tests.factories import NOW, book
from complaints.services import complaint_submit
from immigration.wsgi import application
from offices.models import ApiClient, ApiScope, Office, OfficerProfile
from offices.roles import SUPERVISOR, ensure_role_groups

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
BOUNDED = settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CSRF_TOKEN = "h8ContractFuzzCsrfToken000000000"  # 32 characters, as Django's are


@pytest.fixture(autouse=True)
def _one_connection_per_test():
    """Django closes the database connection after each request it serves; inside a
    test's transaction that would end the test. Its test client unhooks this too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _rates_lifted(settings):
    scopes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(scopes, "1000000/min"),
    }


@pytest.fixture
def staff_session(db) -> dict:
    user = User.objects.create_user("fuzz-supervisor", is_staff=True)
    user.groups.add(ensure_role_groups()[SUPERVISOR])
    OfficerProfile.objects.create(user=user, office=Office.objects.get(code="tangerang"))
    browser = Client()
    browser.force_login(user)
    return {
        "cookies": {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF_TOKEN},
        "headers": {"X-CSRFToken": CSRF_TOKEN},
    }


@pytest.fixture
def key_headers(db) -> dict:
    _client, key = ApiClient.objects.create_key(
        name="fuzz", office=Office.objects.get(code="tangerang"), scopes=list(ApiScope.values)
    )
    return {"Authorization": f"Api-Key {key}"}


# Loaded from the served endpoint when the tests are collected (no database needed).
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)

# Codes that exist, so that some examples get past "not found" to the real work: the
# pilot offices, the bookings and report the `known_codes` fixture makes, the coming days.
KNOWN: dict[str, list[str]] = {"offices": [], "bookings": [], "complaints": [], "dates": []}


def _sometimes(value: dict, key: str, known: list[str]):
    if not isinstance(value, dict) or key not in value or not known:
        return st.just(value)
    return st.one_of(st.just(value), st.sampled_from(known).map(lambda c: {**value, key: c}))


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    kind = context.operation.path.split("/")[3]
    return _sometimes(path_parameters, "code", KNOWN.get(kind, []))


@schema.hook
def flatmap_body(context, body):
    return _sometimes(body, "office", KNOWN["offices"]).flatmap(
        lambda value: _sometimes(value, "date", KNOWN["dates"])
    )


@schema.hook
def flatmap_query(context, query):
    if "date" not in {p.name for p in context.operation.query}:
        return st.just(query)
    return _sometimes({**(query or {}), "date": None}, "date", KNOWN["dates"]).map(
        lambda value: value if value["date"] is not None else query
    )


@pytest.fixture(autouse=True)
def known_codes(db):
    office = Office.objects.get(code="tangerang")
    bookings = [book(office, now=NOW) for _ in range(3)]
    complaint = complaint_submit(
        office=office, category="pungli", description="Diminta uang di loket 3.", notify=False
    )
    today = timezone.localdate()
    KNOWN.update(
        offices=["tangerang", "batam", "jakarta-selatan"],
        dates=[(today + dt.timedelta(days=n)).isoformat() for n in range(14)],
        bookings=[b.code for b in bookings] + [bookings[0].display_code],
        complaints=[complaint.tracking_code],
    )
    yield
    KNOWN.update(offices=[], bookings=[], complaints=[], dates=[])


@schema.parametrize()
@BOUNDED
def test_the_api_keeps_its_contract_for_anonymous_callers(case):
    case.call_and_validate(checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_the_api_keeps_its_contract_for_staff(case, staff_session):
    case.call_and_validate(
        checks=CHECKS, headers=staff_session["headers"], cookies=staff_session["cookies"]
    )


@schema.parametrize()
@BOUNDED
def test_the_api_keeps_its_contract_for_api_keys(case, key_headers):
    case.call_and_validate(checks=CHECKS, headers=key_headers)
