"""The counter is watched too (issue 17, section 5): every submission records who served
which booking at which counter and whether in turn; out of turn needs a reason."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from bookings.models import Booking, BookingEvent, CounterService, Fee
from bookings.retention import bookings_erase_personal_data
from bookings.services import (
    Actor,
    booking_check_in,
    booking_record_submission,
    counter_service_in_turn,
    fees_in_force,
    queue_call_next,
)
from bookings.tests.factories import DAY, book, office
from immigration.errors import DomainError
from notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
BILLING = "820261207000123"


def _at(hour, minute, day=DAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


@pytest.fixture
def clerk():
    return Actor.staff(User.objects.create_user("loket-1"))


def _arrived(place, clerk, count=1):
    bookings = [book(place) for _ in range(count)]
    for booking in bookings:
        booking_check_in(office=place, code=booking.code, actor=clerk, now=_at(7, 45))
    return bookings


SERVED_AT = _at(8, 20)


def _submit(booking, clerk, counter=1, at=SERVED_AT, **kwargs):
    return booking_record_submission(
        booking=booking,
        fee_code="paspor-biasa-48",
        billing_code=BILLING,
        counter=counter,
        actor=clerk,
        now=at,
        **kwargs,
    )


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_serving_the_counters_latest_call_is_in_turn_and_needs_no_reason(clerk):
    place = office()
    (booking,) = _arrived(place, clerk)
    call = queue_call_next(office=place, counter=3, actor=clerk, now=_at(8, 0))
    _submit(booking, clerk, counter=3, out_of_turn_reason="supervisor", out_of_turn_note="x")
    service = CounterService.objects.get(booking=booking)
    assert (service.counter, service.in_turn, service.out_of_turn_reason) == (3, True, "")
    assert (service.out_of_turn_note, service.call, service.date) == ("", call, DAY)
    assert (service.officer, service.actor_label) == (clerk.user, "loket-1")
    assert service.served_at == _at(8, 20)


def test_serving_someone_never_called_without_a_reason_is_refused_and_changes_nothing(clerk):
    place = office()
    (booking,) = _arrived(place, clerk)
    events = BookingEvent.objects.count()
    error = _refusal(lambda: _submit(booking, clerk))
    assert error.code == "out_of_turn_reason_required"
    assert "out_of_turn_reason" in error.fields
    assert Booking.objects.get(pk=booking.pk).status == "checked_in"
    assert not CounterService.objects.exists()
    assert BookingEvent.objects.count() == events
    assert not OutboundMessage.objects.filter(kind="fee_billing").exists()


def test_serving_out_of_turn_with_a_reason_records_the_reason_and_the_note(clerk):
    place = office()
    (booking,) = _arrived(place, clerk)
    done = _submit(
        booking, clerk, out_of_turn_reason="other", out_of_turn_note="  kursi   roda, pingsan "
    )
    assert done.status == "submitted"
    service = CounterService.objects.get(booking=booking)
    assert (service.in_turn, service.out_of_turn_reason) == (False, "other")
    assert service.out_of_turn_note == "kursi roda, pingsan"
    assert service.call is None
    event = done.events.get(to_status="submitted")
    assert event.note == "out of turn: other"


def test_a_call_to_another_counter_is_out_of_turn_at_this_one(clerk):
    place = office()
    (booking,) = _arrived(place, clerk)
    queue_call_next(office=place, counter=1, actor=clerk, now=_at(8, 0))
    assert counter_service_in_turn(booking=booking, counter=1, now=_at(8, 5))
    assert not counter_service_in_turn(booking=booking, counter=2, now=_at(8, 5))
    assert _refusal(lambda: _submit(booking, clerk, counter=2)).code == (
        "out_of_turn_reason_required"
    )
    _submit(booking, clerk, counter=2, out_of_turn_reason="supervisor")
    assert CounterService.objects.get(booking=booking).in_turn is False


def test_a_person_passed_over_by_a_later_call_is_served_out_of_turn(clerk):
    """Calling past someone (the calo's client further down the list) leaves the
    passed-over person out of turn when they are served later: visible, with a reason."""
    place = office()
    first, second = _arrived(place, clerk, count=2)
    queue_call_next(office=place, counter=1, actor=clerk, now=_at(8, 0))
    queue_call_next(office=place, counter=1, actor=clerk, now=_at(8, 1))
    _submit(second, clerk, at=_at(8, 15))
    assert _refusal(lambda: _submit(first, clerk, at=_at(8, 30))).code == (
        "out_of_turn_reason_required"
    )
    _submit(first, clerk, at=_at(8, 30), out_of_turn_reason="returning")
    served = dict(CounterService.objects.values_list("booking_id", "in_turn"))
    assert served == {second.pk: True, first.pk: False}


def test_a_call_on_another_day_does_not_make_today_in_turn(clerk):
    place = office()
    (booking,) = _arrived(place, clerk)
    queue_call_next(office=place, counter=1, actor=clerk, now=_at(8, 0))
    next_day = _at(8, 0, DAY + dt.timedelta(days=1))
    assert not counter_service_in_turn(booking=booking, counter=1, now=next_day)


@pytest.mark.parametrize(
    ("reason", "note", "code"),
    [
        ("other", "", "out_of_turn_note_required"),
        ("other", "   ", "out_of_turn_note_required"),
        ("bribe", "", "invalid_out_of_turn_reason"),
        ("priority", "x" * 201, "out_of_turn_note_too_long"),
        ("", "the calo asked me to", "out_of_turn_reason_required"),
    ],
)
def test_bad_reasons_are_refused_and_change_nothing(clerk, reason, note, code):
    place = office()
    (booking,) = _arrived(place, clerk)
    error = _refusal(
        lambda: _submit(booking, clerk, out_of_turn_reason=reason, out_of_turn_note=note)
    )
    assert error.code == code
    assert Booking.objects.get(pk=booking.pk).status == "checked_in"
    assert not CounterService.objects.exists()


@pytest.mark.parametrize("counter", [0, 51, -1, "1", None, True])
def test_an_unknown_counter_is_refused(clerk, counter):
    place = office()
    (booking,) = _arrived(place, clerk)
    assert _refusal(lambda: _submit(booking, clerk, counter=counter)).code == "invalid_counter"
    assert not CounterService.objects.exists()


def test_the_refusal_speaks_indonesian_and_english(clerk):
    place = office()
    (booking,) = _arrived(place, clerk)
    with translation.override("id"):
        indonesian = str(_refusal(lambda: _submit(booking, clerk)).message)
    with translation.override("en"):
        english = str(_refusal(lambda: _submit(booking, clerk)).message)
    assert "not called to this counter in turn" in english
    assert "tidak dipanggil" in indonesian


def test_fees_in_force_are_those_of_the_offices_own_day():
    """At 23:30 WIB on 31 December it is already 1 January in Jayapura (WIT): a fee that
    starts on 1 January is in force there and not yet in Jakarta."""
    Fee.objects.create(
        code="paspor-uji", name="Paspor uji", amount=400_000, valid_from=dt.date(2027, 1, 1)
    )
    jakarta, jayapura = office(), office(timezone="Asia/Jayapura")
    late = dt.datetime(2026, 12, 31, 23, 30, tzinfo=WIB)
    assert "paspor-uji" not in {f.code for f in fees_in_force(office=jakarta, now=late)}
    assert "paspor-uji" in {f.code for f in fees_in_force(office=jayapura, now=late)}
    codes = [f.code for f in fees_in_force(office=jakarta, now=late)]
    assert len(codes) == len(set(codes))  # one per code: the newest start only
    in_2017 = {
        f.code: f.amount for f in fees_in_force(office=jakarta, now=_at(9, 0, dt.date(2017, 8, 8)))
    }
    assert in_2017["paspor-biasa-48"] == 355_000
    assert {f.code: f.amount for f in fees_in_force(office=jakarta, now=late)}[
        "paspor-biasa-48"
    ] == 350_000


def test_erasure_keeps_the_service_but_drops_the_officers_note(clerk, settings):
    place = office()
    (booking,) = _arrived(place, clerk)
    _submit(booking, clerk, out_of_turn_reason="other", out_of_turn_note="ibu SITI hamil")
    settings.BOOKING_RETENTION_DAYS = 30
    assert bookings_erase_personal_data(now=_at(9, 0, DAY + dt.timedelta(days=40))) == 1
    service = CounterService.objects.get(booking=booking)
    assert (service.in_turn, service.out_of_turn_reason, service.out_of_turn_note) == (
        False,
        "other",
        "",
    )
