"""Logs are JSON lines with a request id and never carry personal data."""

import datetime as dt
import io
import json
import logging

import pytest

from immigration.logging import (
    JsonFormatter,
    RedactPersonalDataFilter,
    RequestIdFilter,
    request_id_var,
)


@pytest.fixture
def log_lines():
    """Capture what the stdout handler would print, through the same formatter and
    filters settings.LOGGING configures."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactPersonalDataFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_each_request_logs_one_json_line_with_its_request_id(client, log_lines):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-1234abcd")
    assert response["X-Request-ID"] == "edge-1234abcd"
    access = [line for line in log_lines() if line["logger"] == "immigration.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "edge-1234abcd"
    assert line["status"] == 200
    assert line["path"] == "/healthz"
    assert line["level"] == "INFO"
    assert "timestamp" in line


@pytest.mark.django_db
def test_an_unsafe_incoming_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID='bad"\nid')
    assert response["X-Request-ID"] != 'bad"\nid'
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_access_log_never_carries_the_query_string(client, log_lines):
    client.get("/healthz?phone=081234567890&birth=27061978")
    text = json.dumps(log_lines())
    assert "081234567890" not in text
    assert "27061978" not in text


@pytest.mark.parametrize(
    "secret",
    [
        "6281234567890",  # WhatsApp number as the platform sends it
        "0812-3456-7890",  # typed by a person
        "+62 812 3456 7890",
        "3171234567890001",  # NIK
        "27061978",  # birth date as in the WhatsApp format
        "27/06/1978",
        "1978-06-27",
        "siti@example.com",
    ],
)
def test_personal_data_that_slips_into_a_message_is_redacted(log_lines, secret):
    logging.getLogger("antrean.test").warning("provider said: bad recipient %s", secret)
    logging.getLogger("antrean.test").warning(f"inline {secret} too")
    text = json.dumps(log_lines())
    assert secret not in text
    assert text.count("[redacted]") == 2


def test_a_record_full_of_personal_data_in_message_and_args_is_redacted(log_lines):
    nik, day_first, iso = "3171011705900001", "17-05-1990", "1990-05-17"
    logger = logging.getLogger("antrean.test")
    logger.warning(f"applicant {nik} born {day_first} / {iso}: %s, %s, %s", nik, day_first, iso)
    logger.warning("born %(born)s, NIK %(nik)s", {"born": dt.date(1990, 5, 17), "nik": nik})
    logger.warning("applicant", extra={"nik": nik, "birth_date": day_first, "count": 3})
    lines = log_lines()
    text = json.dumps(lines)
    for secret in (nik, day_first, iso):
        assert secret not in text
    assert lines[0]["message"] == (
        "applicant [redacted] born [redacted] / [redacted]: [redacted], [redacted], [redacted]"
    )
    assert lines[1]["message"] == "born [redacted], NIK [redacted]"
    assert (lines[2]["nik"], lines[2]["birth_date"], lines[2]["count"]) == (
        "[redacted]",
        "[redacted]",
        3,
    )


def test_the_request_id_is_never_mistaken_for_personal_data(log_lines):
    token = request_id_var.set("12345678123456781234567812345678")
    try:
        logging.getLogger("antrean.test").warning("hello")
    finally:
        request_id_var.reset(token)
    assert log_lines()[0]["request_id"] == "12345678123456781234567812345678"


def test_personal_data_in_a_traceback_is_redacted(log_lines):
    try:
        raise ValueError("cannot parse #JOJO#27061978#08082017# from 6281234567890")
    except ValueError:
        logging.getLogger("antrean.test").exception("inbound message failed")
    text = json.dumps(log_lines())
    assert "6281234567890" not in text
    assert "27061978" not in text
    assert "ValueError" in text


def test_ordinary_numbers_are_left_alone(log_lines):
    logging.getLogger("antrean.test").info("sent %d messages in %d ms, status 200", 42, 1500)
    assert log_lines()[0]["message"] == "sent 42 messages in 1500 ms, status 200"


# --- booking and tracking codes ----------------------------------------------------------

CODE = "K7P2MX4Q"


def _code_forms(code: str) -> list[str]:
    display = f"{code[:4]}-{code[4:]}"
    return [code, display, code.lower(), display.lower()]


def test_the_logs_know_the_codes_alphabet():
    from bookings import codes
    from immigration.logging import CODE_ALPHABET

    assert CODE_ALPHABET == codes.ALPHABET


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/pesan/{CODE}/",
        f"/pesan/{CODE.lower()}/",
        f"/pesan/{CODE[:4]}-{CODE[4:]}/kalender.ics",
        f"/lapor/{CODE}/",
        f"/lapor/{CODE[:4].lower()}-{CODE[4:]}/",
        f"/api/v1/bookings/{CODE}/?birth_date=1978-06-17",
        f"/api/v1/bookings/{CODE.lower()}/lookup/",
        f"/api/v1/complaints/{CODE}/",
    ],
)
def test_a_code_in_a_path_never_reaches_a_log_line(client, log_lines, path):
    response = client.get(path)
    assert response.status_code >= 400  # no such code: Django's own 4xx line too
    lines = log_lines()
    loggers = {line["logger"] for line in lines}
    assert "immigration.access" in loggers
    text = json.dumps(lines)
    for form in _code_forms(CODE):
        assert form not in text
    assert "K7**-****" in text or "k7**-****" in text


@pytest.mark.django_db
def test_djangos_not_found_line_is_masked(client, log_lines):
    client.get(f"/pesan/{CODE}/")
    warnings = [line for line in log_lines() if line["logger"] == "django.request"]
    assert warnings, "Django logs a 404 on django.request"
    assert all(CODE not in line["message"] for line in warnings)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("booking K7P2-MX4Q confirmed", "booking K7**-**** confirmed"),
        ("code K7P2MX4Q.", "code K7**-****."),
        ("GET /api/v1/whatsapp/webhook/ 200", "GET /api/v1/whatsapp/webhook/ 200"),
        ("database unavailable (OperationalError)", "database unavailable (OperationalError)"),
        ("WHATSAPP_BACKEND is console", "WHATSAPP_BACKEND is console"),
        ("/lapor/lacak/ 200", "/lapor/lacak/ 200"),
        ("Not Found: /pesan/k7p2 mx4q was here", "Not Found: /pesan/k7**-**** was here"),
    ],
)
def test_codes_are_masked_and_ordinary_words_left_alone(log_lines, text, expected):
    logging.getLogger("antrean.test").warning(text)
    assert log_lines()[0]["message"] == expected


@pytest.mark.django_db
def test_a_whole_booking_leaves_no_code_or_phone_in_the_logs(client, log_lines):
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC), tick=False):
        body = {
            "office": "tangerang",
            "date": "2026-12-07",
            "name": "Siti Nuraini",
            "birth_date": "1978-06-17",
            "phone": "0812-3456-7890",
        }
        booked = client.post("/api/v1/bookings/", body, content_type="application/json")
        code = booked.json()[0]["code"].replace("-", "")
        client.get(f"/api/v1/bookings/{code}/", {"birth_date": "1978-06-18"})
        client.get(f"/api/v1/bookings/{code.lower()}/", {"birth_date": "1978-06-17"})
        client.get(f"/pesan/{code}/")
        client.post("/cek/", {"code": code, "birth_date": "1978-06-18", "action": "show"})
    text = json.dumps(log_lines())
    assert booked.status_code == 201
    for secret in [*_code_forms(code), "6281234567890", "081234567890", "1978-06-17"]:
        assert secret not in text
