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
