"""Hostile inputs against the pages: the booking form (/pesan/), check, cancel and move
(/cek/), the report form with its files (/lapor/) and the door (/loket/pintu/, as a
logged-in desk officer).

One test per input; each tries the input in every field of the page. A page answers
with a 4xx or the form again with the error shown, never a trace or the markup
unescaped, and changes nothing; the legitimate inputs are listed in ACCEPTED_*.
"""

import pytest
from django.contrib.auth.models import User
from django.utils.html import escape

from bookings.models import Booking
from complaints.models import Complaint
from immigration.tests.hostile import DATES, FREE_TEXT, TEXTS, files
from immigration.tests.hostile_checks import assert_page_refusal, post_form, post_multipart
from offices.models import OfficerProfile
from offices.roles import DESK, ensure_role_groups

pytestmark = pytest.mark.django_db

# The catalogue's lists this surface is tried with (counted in test_hostile_inputs).
CATALOGUE = [TEXTS, DATES, files()]
BLANK = {"empty", "whitespace_only"}


def assert_no_raw_markup(response) -> str:
    page = response.content.decode()
    assert response.status_code < 500, page[:300]
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x onerror" not in page
    assert "Traceback" not in page
    return page


# --- /pesan/ ----------------------------------------------------------------------------


def _booking_form() -> dict:
    return {
        "office": "tangerang",
        "date": "2026-12-07",
        "slot": "",
        "service": "new",
        "name": "Dewi Lestari",
        "birth_date": "1978-06-17",
        "phone": "0813 1111 2222",
        "nik": "",
        "family-0-name": "Budi",
        "family-0-birth_date": "1978-06-17",
        "family-0-nik": "",
    }


BOOKING_TEXT_FIELDS = list(_booking_form())
BOOKING_DATE_FIELDS = ["date", "birth_date", "family-0-birth_date"]
# Legitimate: blank optional fields (no NIK; the earliest time with room).
ACCEPTED_BOOKING = {
    ("nik", "empty"),
    ("nik", "whitespace_only"),
    ("family-0-nik", "empty"),
    ("family-0-nik", "whitespace_only"),
    ("slot", "empty"),
}


@pytest.mark.parametrize(
    ("hostile", "fields"),
    [pytest.param(h, BOOKING_TEXT_FIELDS, id=h.name) for h in TEXTS]
    + [pytest.param(h, BOOKING_DATE_FIELDS, id=h.name) for h in DATES],
)
def test_the_booking_form_refuses_a_hostile_value_in_every_field(client, world, hostile, fields):
    for field in fields:
        with world.attempt(field) as state:
            response = post_form(client, "/pesan/", _booking_form() | {field: hostile.value})
            if (field, hostile.name) in ACCEPTED_BOOKING:
                assert response.status_code == 302, response.content[:300]
                state.added(bookings=2, booking_events=2)
            else:
                assert_page_refusal(response)
                state.unchanged()
    world.verdict()


def test_quotes_in_a_name_are_kept_and_escaped_on_the_confirmation_and_in_the_admin(client, world):
    """Markup never gets into a name (letters only); the quotes names do carry are
    stored as typed and escaped wherever the name is shown."""
    data = _booking_form() | {"name": "nur'aini o'brien", "family-0-name": ""}
    response = post_form(client, "/pesan/", data | {"family-0-birth_date": ""})
    assert response.status_code == 302
    booking = Booking.objects.get(name="NUR'AINI O'BRIEN")
    assert "NUR&#x27;AINI O&#x27;BRIEN" in client.get(response["Location"]).content.decode()
    client.force_login(User.objects.create_superuser("inspektur", password="x"))
    admin = client.get(f"/admin/bookings/booking/{booking.pk}/change/").content.decode()
    assert "NUR&#x27;AINI O&#x27;BRIEN" in admin


def test_a_repeated_field_is_read_once(client, world):
    data = _booking_form() | {"name": ["Dewi Lestari", "<script>alert(1)</script>"]}
    with world.attempt("name twice") as state:
        assert_page_refusal(post_form(client, "/pesan/", data))
        state.unchanged()
    world.verdict()


# --- /cek/ ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hostile", "fields"),
    [pytest.param(h, ["code", "birth_date", "action", "new_date"], id=h.name) for h in TEXTS]
    + [pytest.param(h, ["birth_date", "new_date"], id=h.name) for h in DATES],
)
def test_the_check_page_refuses_a_hostile_value_in_every_field(client, world, hostile, fields):
    for field in fields:
        with world.attempt(field) as state:
            # A hostile code or birth date comes with a cancel; a new day with a move.
            data = {
                "code": world.booking.code,
                "birth_date": "1978-06-17",
                "action": "reschedule" if field == "new_date" else "cancel",
                "new_date": "2026-12-08",
            }
            response = post_form(client, "/cek/", data | {field: hostile.value})
            if field == "action":
                # Legitimate: an unknown action is a plain lookup; the booking is shown.
                page = assert_no_raw_markup(response)
                assert world.booking.display_code in page
            else:
                assert_page_refusal(response)
            state.unchanged()
    world.verdict()


# --- /lapor/ ----------------------------------------------------------------------------

FREE_TEXT_FIELDS = ["description", "occurred_where", "person_involved", "reporter_name"]
# A description must say something: emoji or symbols alone are refused.
SAYS_NOTHING = {"emoji", "noncharacters"}
REPORT_FIELDS = [
    "office",
    "category",
    *FREE_TEXT_FIELDS,
    "occurred_on",
    "booking_code",
    "reporter_phone",
    "reporter_email",
]
ACCEPTED_REPORT = {
    "description": FREE_TEXT - SAYS_NOTHING,
    "occurred_where": FREE_TEXT | BLANK,
    "person_involved": FREE_TEXT | BLANK,
    "reporter_name": FREE_TEXT | BLANK,
    "occurred_on": {"empty"},
    "booking_code": BLANK,
    "reporter_phone": BLANK,
    "reporter_email": BLANK,
}


def _report_form() -> dict:
    return {"office": "tangerang", "category": "pungli", "description": "Diminta Rp500.000."}


@pytest.mark.parametrize(
    ("hostile", "fields"),
    [pytest.param(h, REPORT_FIELDS, id=h.name) for h in TEXTS]
    + [pytest.param(h, ["occurred_on"], id=h.name) for h in DATES],
)
def test_the_report_form_refuses_a_hostile_value_in_every_field(client, world, hostile, fields):
    for field in fields:
        with world.attempt(field) as state:
            response = post_form(client, "/lapor/", _report_form() | {field: hostile.value})
            if hostile.name not in ACCEPTED_REPORT.get(field, set()):
                assert_page_refusal(response)
                state.unchanged()
                continue
            assert response.status_code == 302, response.content[:300]
            state.added(complaints=1)
            # The tracking page shown after filing holds no markup from the report.
            assert_no_raw_markup(client.get(response["Location"]))
            if field in FREE_TEXT_FIELDS:
                stored = getattr(Complaint.objects.get(), field)
                expected = hostile.value.encode("utf-8", "surrogatepass")
                assert stored == expected.decode("utf-8", "replace").strip()
    world.verdict()


@pytest.mark.parametrize("evidence", files(), ids=str)
def test_the_report_form_judges_each_file_by_what_it_is(client, world, evidence):
    upload = [("evidence", evidence.filename, evidence.data, evidence.content_type)]
    with world.attempt("evidence") as state:
        response = post_multipart(client, "/lapor/", _report_form(), upload)
        if evidence.accepted:
            assert response.status_code == 302, response.content[:300]
            state.added(complaints=1, evidence=1, files=1)
            [stored] = state.new_files()
            if evidence.absent:
                assert evidence.absent not in stored.read_bytes(), stored
        else:
            page = assert_page_refusal(response)
            assert 'name="evidence"' in page
            state.unchanged()
    world.verdict()


def test_html_in_a_report_is_escaped_in_the_admin(client, world):
    hostile = "<script>alert(1)</script> di <b>loket</b> 3"
    fields = {"description": hostile, "reporter_name": hostile, "person_involved": hostile}
    post_form(client, "/lapor/", _report_form() | fields)
    complaint = Complaint.objects.get()
    assert complaint.description == complaint.reporter_name == hostile
    client.force_login(User.objects.create_superuser("inspektur", password="x"))
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "<b>loket</b>" not in page
    assert page.count(escape(hostile)) >= 3


# --- /loket/pintu/ ----------------------------------------------------------------------


@pytest.fixture
def desk(client, world):
    user = User.objects.create_user("loket", password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[DESK])
    OfficerProfile.objects.create(user=user, office=world.office)
    client.force_login(user)
    return client


@pytest.mark.parametrize("hostile", TEXTS, ids=str)
def test_the_door_refuses_a_hostile_code_or_office(desk, world, hostile):
    with world.attempt("code") as state:
        page = assert_page_refusal(post_form(desk, "/loket/pintu/", {"code": hostile.value}))
        assert 'class="door refused"' in page
        state.unchanged()
    with world.attempt("office") as state:
        data = {"code": world.booking.code, "office": hostile.value}
        response = post_form(desk, "/loket/pintu/", data)
        assert_no_raw_markup(response)
        if hostile.name == "empty":
            # Legitimate: no office named is the officer's own. The booking is for
            # another day, so the door refuses it, changing nothing.
            assert 'class="door refused"' in response.content.decode()
        else:
            assert 400 <= response.status_code < 500, response.status_code
        state.unchanged()
    world.verdict()
