"""The booking rows `booking_place` writes: queue numbers (a slot's range read from its
count and highest number when it has no gaps, searched when it has) and codes (a code
drawn twice takes the spare one), without a subtransaction per row (#19, session 12)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from bookings import codes
from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, applicant, book, book_family, office
from immigration.errors import DomainError
from notifications.models import OutboundMessage
from offices.models import Slot

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")


def _numbers(place) -> list[str]:
    return list(
        Booking.objects.filter(office=place, date=DAY, status=BookingStatus.BOOKED)
        .order_by("queue_seq")
        .values_list("queue_seq", flat=True)
    )


def test_a_slot_filled_from_its_start_gives_the_next_numbers():
    place = office()
    first, second = book(place), book(place)
    family = book_family(place, [applicant(), applicant(), applicant()])
    assert [first.queue_seq, second.queue_seq] == [1, 2]
    assert [b.queue_seq for b in family] == [3, 4, 5]


def test_a_cancelled_number_is_given_again_before_the_next_ones():
    place = office()
    booked = [book(place) for _ in range(4)]
    booking_cancel(booking=booked[1], actor=Actor.applicant(booked[1].channel), now=NOW)
    again = book(place)
    assert again.queue_seq == 2  # the lowest free number of the slot's range
    assert again.slot_id == booked[0].slot_id
    family = book_family(place, [applicant(), applicant()])
    assert [b.queue_seq for b in family] == [5, 6]
    assert _numbers(place) == [1, 2, 3, 4, 5, 6]


def test_a_family_larger_than_the_gaps_takes_the_gap_and_the_next_numbers():
    place = office()
    booked = [book(place) for _ in range(5)]
    for gone in (booked[1], booked[3]):
        booking_cancel(booking=gone, actor=Actor.applicant(gone.channel), now=NOW)
    family = book_family(place, [applicant(), applicant(), applicant()])
    assert sorted(b.queue_seq for b in family) == [2, 4, 6]


def test_a_full_range_goes_on_after_the_days_last_number():
    place = office(hours__daily_capacity=14)  # one place a slot
    slot = Slot.objects.none()
    first = book(place)
    slot = Slot.objects.get(pk=first.slot_id)
    # A re-plan gave the slot a second place without moving the next slot's range.
    Slot.objects.filter(pk=slot.pk).update(capacity=2)
    later = book(
        place,
        slot_id=Slot.objects.filter(office=place, date=DAY)
        .exclude(pk=slot.pk)
        .order_by("starts_at")
        .first()
        .pk,
    )
    second = book(place, slot_id=slot.pk)
    assert first.queue_seq == slot.queue_base + 1
    assert later.queue_seq == slot.queue_base + 2  # the next slot's range starts there
    assert second.queue_seq == later.queue_seq + 1  # range full: after the day's last


def test_a_code_drawn_twice_takes_the_spare_code(monkeypatch):
    place = office()
    taken = book(place)
    drawn = iter([taken.code, "AAAAAAAA", "BBBBBBBB", "CCCCCCCC"])
    monkeypatch.setattr(codes, "new_code", lambda: next(drawn))
    again = book(place)
    assert again.code == "AAAAAAAA"
    assert again.queue_seq == 2
    assert Booking.objects.filter(code=taken.code).count() == 1


def test_a_booking_row_that_breaks_another_unique_rule_is_an_error_not_a_silent_skip():
    """The locks keep a person from being booked twice, so only a row written behind
    the rules' backs could be in the way (here a trigger writes one just before each
    insert): the call raises the unique violation, it never books nobody."""
    place = office()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION pg_temp.twin() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE r bookings_booking := NEW;
            BEGIN
                IF NEW.status = 'booked' THEN
                    r.id := nextval(pg_get_serial_sequence('bookings_booking', 'id'));
                    r.code := 'ZZZZZZZZ';
                    r.status := 'held';
                    r.queue_seq := NULL;
                    r.hold_expires_at := NEW.created_at + interval '1 hour';
                    INSERT INTO bookings_booking SELECT r.* ON CONFLICT DO NOTHING;
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER twin BEFORE INSERT ON bookings_booking
                FOR EACH ROW EXECUTE FUNCTION pg_temp.twin();
            """
        )
    with pytest.raises(IntegrityError, match="unique rule"), transaction.atomic():
        book(place)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER twin ON bookings_booking")
    assert not Booking.objects.filter(office=place).exists()


# --- outside a transaction: the call is its own (booking_place_alone) -------------------


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_booking_is_one_statement_committed_with_its_notice():
    place = office()
    book(place)  # the day planned (its first booking makes two calls)
    seen = []

    def record(execute, sql, params, many, context):
        seen.append((sql, connection.in_atomic_block))
        return execute(sql, params, many, context)

    assert not connection.in_atomic_block
    with connection.execute_wrapper(record):
        booking = book(place)
    assert [sql for sql, _ in seen if "booking_place" in sql] == [
        "SELECT booking_place_alone(%s::jsonb)"
    ]
    assert not any(in_atomic for _, in_atomic in seen)
    assert Booking.objects.get(pk=booking.pk).queue_seq == 2
    assert OutboundMessage.objects.filter(about_kind="booking", about_id=booking.pk).count() == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_refusal_after_the_call_changed_something_changes_nothing():
    """The call releases the day's lapsed hold first, then finds the chosen slot full: the
    database raises the refusal, so the release is rolled back with it."""
    place = office(hours__daily_capacity=14)  # one place a slot
    hold = book(place, phone_verified=False, hold_client="net:198.51.100.1")
    full = book(place)  # the next slot, confirmed
    later = NOW + dt.timedelta(minutes=16)  # past BOOKING_HOLD_MINUTES (15)
    with pytest.raises(DomainError) as refused:
        book(place, slot_id=full.slot_id, now=later)
    assert refused.value.code == "slot_full"
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.HELD
    assert Slot.objects.get(pk=hold.slot_id).booked == 1
    assert not BookingEvent.objects.filter(booking=hold, to_status="released").exists()
    # Inside a transaction the same refusal is the savepoint's: the same outcome.
    with pytest.raises(DomainError), transaction.atomic():
        book(place, slot_id=full.slot_id, now=later)
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.HELD
    # A booking that fits goes through and releases the lapsed hold itself.
    booked = book(place, now=later)
    assert booked.slot_id == hold.slot_id
    assert Booking.objects.get(pk=hold.pk).status == BookingStatus.RELEASED


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_first_booking_of_an_unplanned_day_plans_it():
    place = office()
    assert not Slot.objects.filter(office=place, date=DAY).exists()
    booking = book(place)
    assert booking.queue_seq == 1
    assert Slot.objects.filter(office=place, date=DAY).count() > 1
