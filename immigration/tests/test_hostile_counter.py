"""The counter, tried as an attacker would (issue 17, section 5): an officer of office A
cannot serve or see office B's applicants, nobody at the desk can make an out-of-turn
service look in turn or make its record go away, and what officers type reaches the
supervisor's CSV as text, never as a formula."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse

from bookings.models import Booking, CounterService
from bookings.services import Actor, booking_check_in, booking_record_submission
from bookings.tests.factories import DAY, NOW, applicant, book
from immigration.tests.hostile import TEXTS
from immigration.tests.hostile_checks import assert_page_refusal, post_form
from offices.models import ApiClient, Office, OfficerProfile
from offices.roles import DESK, SUPERVISOR, ensure_role_groups

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
MORNING = dt.datetime.combine(DAY, dt.time(8, 0), tzinfo=WIB)
BILLING = "820261207000123"


def _user(name, role, code):
    user = User.objects.create_user(name, password="x", is_staff=True)
    user.groups.add(ensure_role_groups()[role])
    OfficerProfile.objects.create(user=user, office=Office.objects.get(code=code))
    return user


def _arrived(code, tag="X"):
    office = Office.objects.get(code=code)
    booking = book(office, now=NOW, person=applicant(f"PEMOHON RAHASIA {tag}"))
    booking_check_in(
        office=office, code=booking.code, actor=Actor.system(), now=MORNING.replace(minute=0)
    )
    return booking


def _form(booking, **extra):
    return {
        "counter": "1",
        "code": booking.code,
        "fee": "paspor-biasa-48",
        "billing_code": BILLING,
        **extra,
    }


def _csv(client, table) -> list[dict]:
    with time_machine.travel(MORNING + dt.timedelta(hours=2), tick=False):
        response = client.get(f"/dasbor/?csv={table}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_an_officer_of_a_cannot_serve_call_or_see_at_office_b(client):
    theirs = _arrived("batam", "B")
    officer = _user("loket-tgr", DESK, "tangerang")
    client.force_login(officer)
    with time_machine.travel(MORNING, tick=False):
        assert client.get("/loket/layanan/?office=batam&counter=1").status_code == 403
        call = {"office": "batam", "counter": "1", "action": "call"}
        assert client.post("/loket/layanan/", call).status_code == 403
        page = client.post(
            "/loket/layanan/", _form(theirs, office="tangerang", out_of_turn_reason="priority")
        )
        assert page.status_code == 400
        assert "PEMOHON RAHASIA B" not in page.content.decode()
        api = client.post(
            f"/api/v1/bookings/{theirs.code}/submission/",
            {**_form(theirs), "counter": 1, "out_of_turn_reason": "priority"},
            content_type="application/json",
        )
        assert api.status_code == 404
        _client, key = ApiClient.objects.create_key(
            name="kiosk-tgr", office=Office.objects.get(code="tangerang"), scopes=["desk"]
        )
        keyed = client.post(
            f"/api/v1/bookings/{theirs.code}/submission/",
            {**_form(theirs), "counter": 1, "out_of_turn_reason": "priority"},
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Api-Key {key}",
        )
        assert keyed.status_code == 404
    assert Booking.objects.get(pk=theirs.pk).status == "checked_in"
    assert not CounterService.objects.exists()


def test_a_supervisor_of_a_never_sees_bs_counter_services(client):
    theirs = _arrived("batam", "B")
    booking_record_submission(
        booking=theirs,
        fee_code="paspor-biasa-48",
        billing_code=BILLING,
        counter=1,
        out_of_turn_reason="other",
        out_of_turn_note="PEMOHON RAHASIA B duluan",
        actor=Actor.staff(_user("loket-btm", DESK, "batam")),
        now=MORNING,
    )
    client.force_login(_user("spv-tgr", SUPERVISOR, "tangerang"))
    assert _csv(client, "out-of-turn") == []
    assert _csv(client, "serving") == []
    with time_machine.travel(MORNING + dt.timedelta(hours=2), tick=False):
        for query in ("", "?office=batam"):
            page = client.get(f"/dasbor/{query}").content.decode()
            assert "PEMOHON RAHASIA B" not in page
            assert "loket-btm" not in page
    # ...while Batam's own supervisor sees it: the check can fail.
    client.force_login(_user("spv-btm", SUPERVISOR, "batam"))
    (row,) = _csv(client, "out-of-turn")
    assert row["officer"] == "loket-btm"


def test_a_client_cannot_claim_in_turn_or_skip_the_reason(client):
    booking = _arrived("tangerang")
    client.force_login(_user("loket-tgr", DESK, "tangerang"))
    with time_machine.travel(MORNING, tick=False):
        for extra in ({"in_turn": True}, {"out_of_turn_reason": ""}, {"call": 1}):
            response = client.post(
                f"/api/v1/bookings/{booking.code}/submission/",
                {**_form(booking), "counter": 1, **extra},
                content_type="application/json",
            )
            assert response.status_code == 400
            assert response.json()["error"]["code"] == "out_of_turn_reason_required"
        page = client.post("/loket/layanan/", _form(booking, in_turn="1", call="1"))
        assert page.status_code == 400
    assert Booking.objects.get(pk=booking.pk).status == "checked_in"
    assert not CounterService.objects.exists()


def test_nobody_at_the_office_can_change_or_delete_a_service_record(client):
    booking = _arrived("tangerang")
    desk = _user("loket-tgr", DESK, "tangerang")
    booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code=BILLING,
        counter=1,
        out_of_turn_reason="supervisor",
        actor=Actor.staff(desk),
        now=MORNING,
    )
    service = CounterService.objects.get()
    for user in (desk, _user("spv-tgr", SUPERVISOR, "tangerang")):
        client.force_login(user)
        change = reverse("admin:bookings_counterservice_change", args=[service.pk])
        assert client.get(change).status_code == 200  # they may look
        tampered = client.post(change, {"in_turn": "on", "out_of_turn_reason": ""})
        assert tampered.status_code == 403
        delete = reverse("admin:bookings_counterservice_delete", args=[service.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
        assert client.get(reverse("admin:bookings_counterservice_add")).status_code == 403
    service.refresh_from_db()
    assert (service.in_turn, service.out_of_turn_reason) == (False, "supervisor")


def test_cancelling_a_served_booking_keeps_its_out_of_turn_record(client):
    booking = _arrived("tangerang")
    desk = _user("loket-tgr", DESK, "tangerang")
    client.force_login(desk)
    with time_machine.travel(MORNING, tick=False):
        client.post("/loket/layanan/", _form(booking, out_of_turn_reason="returning"))
        cancelled = client.post(
            f"/api/v1/bookings/{booking.code}/staff-cancel/", content_type="application/json"
        )
        assert cancelled.status_code == 200
    client.force_login(_user("spv-tgr", SUPERVISOR, "tangerang"))
    (row,) = _csv(client, "out-of-turn")
    assert (row["number"], row["reason"], row["officer"]) == ("A-001", "returning", "loket-tgr")


def test_calling_past_people_to_reach_a_friend_shows_on_the_report(client):
    """The desk cannot call a chosen person, only the next: pressing "call next" until
    the friend comes up serves the friend in turn, but each person passed over is
    counted against the officer who called them."""
    office = Office.objects.get(code="tangerang")
    people = [_arrived("tangerang", tag) for tag in "PQR"]
    desk = _user("loket-tgr", DESK, "tangerang")
    client.force_login(desk)
    with time_machine.travel(MORNING, tick=False):
        for _ in people:
            client.post(
                "/loket/layanan/", {"office": office.code, "counter": "1", "action": "call"}
            )
        served = client.post("/loket/layanan/", _form(people[2]))
        assert served.status_code == 302
    assert CounterService.objects.get().in_turn is True
    client.force_login(_user("spv-tgr", SUPERVISOR, "tangerang"))
    (row,) = _csv(client, "serving")
    assert (row["officer"], row["in_turn"], row["called_not_served"]) == ("loket-tgr", "1", "2")


@pytest.mark.parametrize("hostile", TEXTS, ids=str)
def test_hostile_input_on_the_counter_page_is_refused_or_stored_as_plain_text(client, hostile):
    """The input in each field in turn; only the note, tried last, may be stored."""
    booking = _arrived("tangerang")
    client.force_login(_user("loket-tgr", DESK, "tangerang"))
    form = _form(booking, office="tangerang", out_of_turn_reason="other", out_of_turn_note="x")
    for field in [
        "code",
        "fee",
        "billing_code",
        "counter",
        "out_of_turn_reason",
        "out_of_turn_note",
    ]:
        with time_machine.travel(MORNING, tick=False):
            response = post_form(client, "/loket/layanan/", {**form, field: hostile.value})
        assert response.status_code in {302, 400}, (field, response.status_code)
        service = CounterService.objects.filter(booking=booking).first()
        if response.status_code == 400:
            assert_page_refusal(response)
            assert service is None, field
            assert Booking.objects.get(pk=booking.pk).status == "checked_in"
        else:
            assert field == "out_of_turn_note"
            assert service.out_of_turn_note
            assert len(service.out_of_turn_note) <= 200
            assert not any(ord(ch) < 32 for ch in service.out_of_turn_note)


@pytest.mark.parametrize(
    "note", ["=cmd|' /C calc'!A0", "+SUM(1,1)", "-2+3", "@SUM(A1)", '=HYPERLINK("x")']
)
def test_the_csv_never_starts_a_cell_with_a_formula(client, note):
    booking = _arrived("tangerang")
    desk = _user("-2+3", DESK, "tangerang")  # a username may begin with - or +
    booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code=BILLING,
        counter=1,
        out_of_turn_reason="other",
        out_of_turn_note=note,
        actor=Actor.staff(desk),
        now=MORNING,
    )
    client.force_login(_user("spv-tgr", SUPERVISOR, "tangerang"))
    (row,) = _csv(client, "out-of-turn")
    assert row["note"] == f"'{note}"
    assert row["officer"] == "'-2+3"
    (counts,) = _csv(client, "serving")
    assert counts["officer"] == "'-2+3"
