"""Hostile inputs against the JSON API: booking (with family), the applicant's lookup,
cancel and reschedule, office availability, complaint filing (multipart and JSON, with
evidence), and raw bodies no client should send.

One test per input; each tries the input in every field position of the surface. It
must get a 4xx in the error shape and change nothing, except where ACCEPTED_* below
says the input is legitimate; then it is stored as given.
"""

from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.models import User
from django.utils.html import escape

from complaints.models import Complaint
from immigration.tests.hostile import BODIES, DATES, FREE_TEXT, NUMBERS, TEXTS, WRONG_TYPES, files
from immigration.tests.hostile_checks import (
    assert_api_refusal,
    post_json,
    post_multipart,
    post_raw,
    set_at,
)

pytestmark = pytest.mark.django_db

# The catalogue's lists this surface is tried with (counted in test_hostile_inputs).
CATALOGUE = [TEXTS, WRONG_TYPES, DATES, NUMBERS, BODIES, files()]
BLANK = {"empty", "whitespace_only"}


def _wire(value) -> bytes:
    """A text as it travels in a URL: a lone surrogate as the invalid UTF-8 it would be."""
    return value.encode("utf-8", "surrogatepass")


# --- booking ----------------------------------------------------------------------------


def _booking_body() -> dict:
    # Born the same day as the world's SITI NURAINI: a look-alike of her name is her.
    return {
        "office": "tangerang",
        "date": "2026-12-07",
        "name": "Dewi Lestari",
        "birth_date": "1978-06-17",
        "phone": "0813-1111-2222",
        "nik": "3603175706780001",
        "service": "new",
        "family": [{"name": "Budi", "birth_date": "1978-06-17", "nik": ""}],
    }


TEXT_FIELDS = [
    "office",
    "date",
    "name",
    "birth_date",
    "phone",
    "nik",
    "service",
    "slot",
    "family",
    "family.0.name",
    "family.0.birth_date",
    "family.0.nik",
]
DATE_FIELDS = ["date", "birth_date", "family.0.birth_date"]
BOOKING_INPUTS = (
    [pytest.param(h, TEXT_FIELDS, id=h.name) for h in TEXTS + WRONG_TYPES]
    + [pytest.param(h, DATE_FIELDS, id=h.name) for h in DATES]
    + [pytest.param(h, ["slot"], id=h.name) for h in NUMBERS]
)
# Legitimate: a NIK is optional, so a blank one (or a family member's null) is no NIK;
# an empty family is none.
ACCEPTED_BOOKING = {
    ("nik", "empty"),
    ("nik", "whitespace_only"),
    ("family.0.nik", "empty"),
    ("family.0.nik", "whitespace_only"),
    ("family", "empty_list"),
}


@pytest.mark.parametrize(("hostile", "fields"), BOOKING_INPUTS)
def test_booking_refuses_a_hostile_value_in_every_field(client, world, hostile, fields):
    for field in fields:
        with world.attempt(field) as state:
            body = set_at(_booking_body(), field, hostile.value)
            response = post_json(client, "/api/v1/bookings/", body)
            if (field, hostile.name) in ACCEPTED_BOOKING:
                assert response.status_code == 201, response.content[:300]
                people = len(response.json())
                state.added(bookings=people, booking_events=people)
            else:
                assert_api_refusal(response)
                state.unchanged()
    world.verdict()


def test_a_name_that_only_looks_like_a_booked_persons_is_the_same_person(client, world):
    """Accents and full-width letters fold to the letters on a KTP: SİTİ NURAİNİ is
    SITI NURAINI, who already holds a booking that day."""
    for look_alike in ["S\u0130T\u0130 NURA\u0130N\u0130", "\uff33\uff29\uff34\uff29 NURA\u00cdNI"]:
        body = _booking_body() | {"name": look_alike, "family": []}
        response = post_json(client, "/api/v1/bookings/", body)
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "duplicate_booking"


# --- the applicant's own booking: lookup, cancel, reschedule ----------------------------


def _own_booking_places(world, hostile, *, date_like: bool, number_like: bool) -> dict:
    """Each place of the applicant's own booking where this input can go."""
    code = world.booking.code
    places = {}
    if isinstance(hostile.value, str):
        query = urlencode({"birth_date": _wire(hostile.value)})
        places["lookup.birth_date"] = ("get", f"/api/v1/bookings/{code}/?{query}", None)
        if not date_like:
            path_code = quote(_wire(hostile.value), safe="")
            places["lookup.code"] = (
                "get",
                f"/api/v1/bookings/{path_code}/?birth_date=1978-06-17",
                None,
            )
    moved = {"birth_date": "1978-06-17", "date": "2026-12-08"}
    fields = ["slot"] if number_like else ["birth_date", "date"] + ([] if date_like else ["slot"])
    if not number_like:
        places["cancel.birth_date"] = (
            "post",
            f"/api/v1/bookings/{code}/cancel/",
            {"birth_date": hostile.value},
        )
    for field in fields:
        places[f"reschedule.{field}"] = (
            "post",
            f"/api/v1/bookings/{code}/reschedule/",
            moved | {field: hostile.value},
        )
    return places


OWN_BOOKING_INPUTS = (
    [pytest.param(h, False, False, id=h.name) for h in TEXTS + WRONG_TYPES]
    + [pytest.param(h, True, False, id=h.name) for h in DATES]
    + [pytest.param(h, False, True, id=h.name) for h in NUMBERS]
)


@pytest.mark.parametrize(("hostile", "date_like", "number_like"), OWN_BOOKING_INPUTS)
def test_lookup_cancel_and_reschedule_refuse_a_hostile_value(
    client, world, hostile, date_like, number_like
):
    places = _own_booking_places(world, hostile, date_like=date_like, number_like=number_like)
    for label, (method, path, body) in places.items():
        with world.attempt(label) as state:
            response = client.get(path) if method == "get" else post_json(client, path, body)
            assert_api_refusal(response)
            state.unchanged()
    world.verdict()


# --- office availability ----------------------------------------------------------------


# Legitimate: a real day far off is answered for what it is, past or not yet open.
ACCEPTED_AVAILABILITY = {("date", "year_0001"), ("date", "year_9999")}


@pytest.mark.parametrize("hostile", TEXTS + DATES, ids=str)
def test_availability_refuses_a_hostile_query_parameter(client, world, hostile):
    for param in ("date", "start", "end"):
        with world.attempt(param) as state:
            query = {} if param == "date" else {"start": "2026-12-07", "end": "2026-12-11"}
            query[param] = _wire(hostile.value)
            response = client.get(f"/api/v1/offices/tangerang/availability/?{urlencode(query)}")
            if (param, hostile.name) in ACCEPTED_AVAILABILITY:
                assert response.status_code == 200, response.content[:300]
                [day] = response.json()["days"]
                assert day["state"] in {"past", "not_released"}
            else:
                assert_api_refusal(response)
            state.unchanged()
    world.verdict()


# --- complaints -------------------------------------------------------------------------

FREE_TEXT_FIELDS = ["description", "occurred_where", "person_involved", "reporter_name"]
# A description must say something: emoji or symbols alone are refused.
SAYS_NOTHING = {"emoji", "noncharacters"}
COMPLAINT_FIELDS = [
    "office",
    "category",
    *FREE_TEXT_FIELDS,
    "occurred_on",
    "about_supervisor",
    "booking_code",
    "reporter_phone",
    "reporter_email",
]
ACCEPTED_COMPLAINT = {
    "description": FREE_TEXT - SAYS_NOTHING,
    "occurred_where": FREE_TEXT | BLANK,
    "person_involved": FREE_TEXT | BLANK,
    "reporter_name": FREE_TEXT | BLANK,
    # Optional fields: blank means not given (a form's empty checkbox is "no").
    "occurred_on": {"empty"},
    "about_supervisor": {"empty"},
    "booking_code": BLANK,
    "reporter_phone": BLANK,
    "reporter_email": BLANK,
}


def _complaint_fields() -> dict:
    return {"office": "tangerang", "category": "pungli", "description": "Diminta Rp500.000."}


def _as_received(value: str) -> str:
    """A form field as the server holds it: decoded (invalid UTF-8 replaced), trimmed."""
    return _wire(value).decode("utf-8", "replace").strip()


@pytest.fixture
def inspector():
    return User.objects.create_superuser("inspektur", password="x")


def _assert_escaped_in_admin(client, user, complaint, stored: str) -> None:
    client.force_login(user)
    html = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    client.logout()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x onerror" not in html
    if "<" in stored:
        assert escape(stored) in html, "the admin does not show the escaped text"


COMPLAINT_INPUTS = [pytest.param(h, COMPLAINT_FIELDS, id=h.name) for h in TEXTS] + [
    pytest.param(h, ["occurred_on"], id=h.name) for h in DATES
]


@pytest.mark.parametrize(("hostile", "fields"), COMPLAINT_INPUTS)
def test_complaint_filing_refuses_a_hostile_value_in_every_field(
    client, world, inspector, hostile, fields
):
    for field in fields:
        with world.attempt(field) as state:
            fields_sent = _complaint_fields() | {field: hostile.value}
            response = post_multipart(client, "/api/v1/complaints/", fields_sent)
            if hostile.name not in ACCEPTED_COMPLAINT.get(field, set()):
                assert_api_refusal(response)
                state.unchanged()
                continue
            assert response.status_code == 201, response.content[:300]
            state.added(complaints=1)
            if field in FREE_TEXT_FIELDS:
                complaint = Complaint.objects.get(tracking_code=response.json()["tracking_code"])
                stored = getattr(complaint, field)
                assert stored == _as_received(hostile.value)
                _assert_escaped_in_admin(client, inspector, complaint, stored)
    world.verdict()


# Legitimate in JSON: a yes/no is a boolean; a number in a free-text field is read as
# its digits (DRF's CharField does so for every text field; digits are harmless text).
NUMBERS_AS_TEXT = {"int", "negative_int", "float"}
ACCEPTED_COMPLAINT_TYPES = {
    "about_supervisor": {"true", "false"},
    "description": NUMBERS_AS_TEXT | {"huge_int"},
    "occurred_where": NUMBERS_AS_TEXT | {"huge_int"},
    "person_involved": NUMBERS_AS_TEXT | {"huge_int"},
    "reporter_name": NUMBERS_AS_TEXT,
}


@pytest.mark.parametrize("hostile", WRONG_TYPES, ids=str)
def test_complaint_filing_as_json_refuses_a_wrong_type_in_every_field(client, world, hostile):
    for field in COMPLAINT_FIELDS:
        with world.attempt(field) as state:
            body = _complaint_fields() | {field: hostile.value}
            response = post_json(client, "/api/v1/complaints/", body)
            if hostile.name not in ACCEPTED_COMPLAINT_TYPES.get(field, set()):
                assert_api_refusal(response)
                state.unchanged()
                continue
            assert response.status_code == 201, response.content[:300]
            state.added(complaints=1)
            complaint = Complaint.objects.get(tracking_code=response.json()["tracking_code"])
            expected = hostile.value if isinstance(hostile.value, bool) else str(hostile.value)
            assert getattr(complaint, field) == expected
    world.verdict()


@pytest.mark.parametrize("evidence", files(), ids=str)
def test_complaint_evidence_is_judged_by_what_it_is(client, world, evidence):
    upload = [("evidence", evidence.filename, evidence.data, evidence.content_type)]
    with world.attempt("evidence") as state:
        response = post_multipart(client, "/api/v1/complaints/", _complaint_fields(), upload)
        if not evidence.accepted:
            error = assert_api_refusal(response)
            assert "evidence" in error["fields"], error
            state.unchanged()
        else:
            assert response.status_code == 201, response.content[:300]
            state.added(complaints=1, evidence=1, files=1)
            [stored] = state.new_files()
            if evidence.absent:
                assert evidence.absent not in stored.read_bytes()
            complaint = Complaint.objects.get(tracking_code=response.json()["tracking_code"])
            name = complaint.evidence.get().original_name
            assert not {"/", "<", "\x00"} & set(name), name
    world.verdict()


def test_six_evidence_files_are_refused(client, world):
    png = next(f for f in files() if f.name == "polyglot_png_html")
    upload = [("evidence", f"foto{i}.png", png.data, "image/png") for i in range(6)]
    with world.attempt("six files") as state:
        assert_api_refusal(
            post_multipart(client, "/api/v1/complaints/", _complaint_fields(), upload)
        )
        state.unchanged()
    world.verdict()


# --- raw bodies, at every JSON endpoint -------------------------------------------------


def _json_endpoints(world) -> list[str]:
    code = world.booking.code
    return [
        "/api/v1/bookings/",
        f"/api/v1/bookings/{code}/cancel/",
        f"/api/v1/bookings/{code}/reschedule/",
        "/api/v1/complaints/",
    ]


@pytest.mark.parametrize("body", BODIES, ids=str)
def test_every_json_endpoint_refuses_a_hostile_body(client, world, body):
    for path in _json_endpoints(world):
        with world.attempt(path) as state:
            response = post_raw(client, path, body)
            error = assert_api_refusal(response)
            expected = body.status
            if body.content_type.startswith("multipart/") and "/complaints/" in path:
                expected = 400  # complaints take files: a broken multipart body is 400
            assert response.status_code == expected, (response.status_code, error)
            state.unchanged()
    world.verdict()
