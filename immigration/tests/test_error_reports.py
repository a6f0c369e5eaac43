"""Birth dates, NIK, phone numbers and contact details never reach an error report
(Django's SafeExceptionReporterFilter, as used by the 500 page and mails to admins)
nor a URL."""

import datetime as dt
import json
from html.parser import HTMLParser

import pytest
import time_machine
from django.test import RequestFactory
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from bookings import api as bookings_api
from bookings import views_public as booking_pages

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # Monday 09:00 WIB
NIK = "3171011705900001"
PERSON = {
    "name": "Siti Nur'aini",
    "birth_date": "1990-05-17",
    "phone": "0812 3456 7890",
    "nik": NIK,
}
SECRETS = ["Nur'aini", "NUR'AINI", "1990-05-17", "1990, 5, 17", "0812 3456 7890", NIK]
BOOKING_FORM = {"office": "tangerang", "date": "2026-12-07", "slot": "", "service": "new"}
STARS = SafeExceptionReporterFilter.cleansed_substitute


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def production(settings):
    """The filter hides nothing with DEBUG on (the developer's own machine)."""
    settings.DEBUG = False


def _crash(*args, **kwargs):
    raise RuntimeError("the database went away")


def _report_of(request, call) -> str:
    with pytest.raises(RuntimeError) as caught:
        call(request)
    exc = caught.value
    reporter = ExceptionReporter(request, type(exc), exc, exc.__traceback__)
    return reporter.get_traceback_text() + reporter.get_traceback_html()


def _innermost(view):
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return view


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/pesan/", {**BOOKING_FORM, **PERSON}),
        ("/cek/", {"code": "ABCD-2345", "birth_date": "1990-05-17"}),
        (
            "/lapor/",
            {
                "office": "tangerang",
                "category": "calo",
                "description": "Calo di parkiran.",
                "reporter_name": "Budi",
                "reporter_phone": "0812 3456 7890",
                "reporter_email": "budi@example.com",
            },
        ),
        ("/api/v1/bookings/", {**BOOKING_FORM, **PERSON}),
        ("/api/v1/bookings/ABCD2345/lookup/", {"birth_date": "1990-05-17"}),
        ("/api/v1/bookings/ABCD2345/cancel/", {"birth_date": "1990-05-17"}),
        (
            "/api/v1/complaints/",
            {"office": "tangerang", "category": "calo", "reporter_phone": "0812 3456 7890"},
        ),
    ],
)
def test_the_pages_and_api_mark_every_posted_field_sensitive(client, production, path, data):
    response = client.post(path, data)  # form-encoded: what would show as POST items
    shown = SafeExceptionReporterFilter().get_post_parameters(response.wsgi_request)
    assert set(shown) == set(data)
    assert set(shown.values()) == {STARS}


def test_a_crash_while_booking_on_the_page_shows_no_personal_data(production, monkeypatch):
    monkeypatch.setattr(booking_pages, "booking_create_family", _crash)
    request = RequestFactory().post("/pesan/", {**BOOKING_FORM, **PERSON})
    report = _report_of(request, booking_pages.book)
    assert "the database went away" in report
    for secret in SECRETS:
        assert secret not in report, secret


def test_without_the_marking_the_same_crash_would_show_them(production, monkeypatch):
    """The control: the report above is clean because of the marking, not by luck."""
    monkeypatch.setattr(booking_pages, "booking_create_family", _crash)
    request = RequestFactory().post("/pesan/", {**BOOKING_FORM, **PERSON})
    report = _report_of(request, _innermost(booking_pages.book))
    assert NIK in report
    assert "1990-05-17" in report or "1990, 5, 17" in report


def test_a_crash_in_the_booking_api_shows_no_personal_data(production, monkeypatch):
    monkeypatch.setattr(bookings_api, "booking_create_family", _crash)
    body = json.dumps({"office": "tangerang", "date": "2026-12-07", **PERSON})
    request = RequestFactory().post("/api/v1/bookings/", body, content_type="application/json")
    report = _report_of(request, bookings_api.BookingCreateView.as_view())
    assert "the database went away" in report
    for secret in SECRETS:
        assert secret not in report, secret


class _Forms(HTMLParser):
    """Each form's method and the names of its fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(((attrs.get("method") or "get").lower(), set()))
        elif tag in ("input", "select", "textarea") and self.forms and attrs.get("name"):
            self.forms[-1][1].add(attrs["name"])


PERSONAL_FIELDS = ("birth_date", "nik", "phone", "reporter_phone", "reporter_email")


@pytest.mark.parametrize(
    "path", ["/pesan/?office=tangerang&date=2026-12-07", "/cek/", "/lapor/", "/"]
)
def test_forms_asking_for_personal_data_post_it(client, path):
    """A GET form would put a birth date or NIK into the URL: browser history, proxy
    logs, and links staff share."""
    parser = _Forms()
    parser.feed(client.get(path).content.decode())
    for method, fields in parser.forms:
        if any(field.endswith(PERSONAL_FIELDS) for field in fields):
            assert method == "post", (path, sorted(fields))


def test_the_booking_form_does_post_personal_fields(client):
    parser = _Forms()
    parser.feed(client.get("/pesan/?office=tangerang&date=2026-12-07").content.decode())
    assert any("birth_date" in fields and "nik" in fields for _, fields in parser.forms)


def test_an_applicant_looks_a_booking_up_by_posting_the_birth_date(client):
    booked = client.post(
        "/api/v1/bookings/",
        {"office": "tangerang", "date": "2026-12-07", **PERSON},
        content_type="application/json",
    ).json()[0]
    found = client.post(
        f"/api/v1/bookings/{booked['code']}/lookup/",
        {"birth_date": "1990-05-17"},
        content_type="application/json",
    )
    assert found.status_code == 200
    assert found.json()["code"] == booked["code"]
    wrong = client.post(
        f"/api/v1/bookings/{booked['code']}/lookup/",
        {"birth_date": "1990-05-18"},
        content_type="application/json",
    )
    assert wrong.status_code == 404
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["paths"]["/api/v1/bookings/{code}/"]["get"]["deprecated"] is True
    assert "post" in schema["paths"]["/api/v1/bookings/{code}/lookup/"]
