"""booking_create: a place, a code and a queue number, or a clear refusal that changes nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bookings.models import Booking, BookingEvent, BookingStatus
from bookings.services import Actor, booking_cancel
from bookings.tests.factories import DAY, NOW, applicant, book, book_family, office, phone
from immigration.errors import DomainError
from offices.models import Slot
from offices.tests.factories import ClosureFactory

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")


def _code(call) -> str:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_a_booking_gets_the_earliest_slot_a_code_and_the_first_queue_number():
    booking = book(office(), person=applicant("  siti   nur'aini ", dt.date(1978, 6, 17)))
    assert booking.status == BookingStatus.BOOKED
    assert booking.name == "SITI NUR'AINI"
    assert booking.queue_number == "A-001"
    assert booking.slot_start == dt.datetime(2026, 12, 7, 8, 0, tzinfo=WIB)
    assert booking.arrive_by == dt.datetime(2026, 12, 7, 7, 30, tzinfo=WIB)
    assert booking.expires_at == dt.datetime(2026, 12, 7, 8, 30, tzinfo=WIB)
    assert len(booking.code) == 8
    assert booking.display_code[4] == "-"
    assert Slot.objects.get(pk=booking.slot_id).booked == 1
    event = BookingEvent.objects.get(booking=booking)
    assert (event.from_status, event.to_status, event.actor_kind, event.channel) == (
        "",
        "booked",
        "applicant",
        "web",
    )


def test_queue_numbers_follow_slot_order_not_booking_order():
    place = office()
    afternoon = Slot.objects.none()
    first = book(place)
    afternoon = Slot.objects.get(
        office=place, date=DAY, starts_at=dt.datetime(2026, 12, 7, 13, 0, tzinfo=WIB)
    )
    late = book(place, slot_id=afternoon.pk)
    second = book(place)
    assert first.queue_number == "A-001"
    assert second.queue_number == "A-002"
    assert late.queue_number == f"A-{afternoon.queue_base + 1:03d}"
    assert afternoon.queue_base == 80  # eight morning slots of ten come first


def test_a_chosen_slot_is_booked_and_a_full_one_refused():
    place = office(hours__daily_capacity=14)  # one place a slot
    slot = book(place).slot
    assert _code(lambda: book(place, slot_id=slot.pk)) == "slot_full"
    assert Booking.objects.count() == 1


def test_a_started_or_foreign_slot_is_refused():
    place, other = office(), office()
    foreign = book(other).slot
    assert _code(lambda: book(place, slot_id=foreign.pk)) == "invalid_slot"
    started = book(place, day=DAY, now=NOW).slot
    late_now = dt.datetime(2026, 12, 7, 8, 15, tzinfo=WIB)
    place.same_day_cutoff = dt.time(15, 0)
    place.save()
    assert _code(lambda: book(place, slot_id=started.pk, now=late_now)) == "invalid_slot"


def test_a_full_day_is_refused():
    place = office(hours__daily_capacity=14)
    for _ in range(14):
        book(place)
    assert _code(lambda: book(place)) == "day_full"
    assert Booking.objects.count() == 14
    assert all(s.booked == s.capacity for s in Slot.objects.filter(office=place))


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (dt.date(2026, 11, 27), "date_past"),
        (dt.date(2026, 12, 6), "day_closed"),  # Sunday
        (dt.date(2026, 12, 25), "day_closed"),  # Christmas
        (dt.date(2027, 1, 4), "not_released"),
    ],
)
def test_days_that_cannot_be_booked_are_refused(day, code):
    assert _code(lambda: book(office(), day=day)) == code
    assert not Booking.objects.exists()
    assert not Slot.objects.filter(booked__gt=0).exists()


def test_the_refusal_of_a_closed_day_gives_the_reason():
    place = office()
    ClosureFactory(office=place, date=DAY, reason="Pemadaman listrik")
    with pytest.raises(DomainError) as caught:
        book(place)
    assert "Pemadaman listrik" in str(caught.value.message)


def test_same_day_booking_closes_at_the_cutoff():
    place = office(same_day_cutoff=dt.time(10, 0))
    morning = dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB)
    assert book(place, now=morning).slot_start == dt.datetime(2026, 12, 7, 9, 30, tzinfo=WIB)
    late = dt.datetime(2026, 12, 7, 10, 0, tzinfo=WIB)
    assert _code(lambda: book(place, now=late)) == "same_day_closed"


def test_one_person_one_booking_per_office_and_day_however_the_name_is_typed():
    place = office()
    book(place, person=applicant("Siti Nur'aini", dt.date(1978, 6, 17)))
    again = applicant("  SITI  NUR\u2019AINI", dt.date(1978, 6, 17))
    assert _code(lambda: book(place, person=again)) == "duplicate_booking"
    assert Booking.objects.count() == 1


def test_one_person_cannot_hold_bookings_at_two_offices_on_one_day():
    person = applicant("JOJO", dt.date(1978, 6, 27))
    book(office(), person=person)
    assert _code(lambda: book(office(), person=person)) == "duplicate_booking"


def test_the_same_nik_under_another_name_is_the_same_person():
    place = office()
    book(place, person=applicant("JOJO", dt.date(1978, 6, 27), nik="3171062706780001"))
    alias = applicant("JOJO SUPRIADI", dt.date(1978, 6, 27), nik="3171062706780001")
    assert _code(lambda: book(place, person=alias)) == "duplicate_booking"


def test_a_cancelled_booking_does_not_block_booking_again():
    place = office()
    person = applicant("JOJO", dt.date(1978, 6, 27))
    booking_cancel(booking=book(place, person=person), actor=Actor.applicant("web"))
    assert book(place, person=person).status == "booked"


@override_settings(BOOKING_PHONE_MAX_ACTIVE=5)
def test_one_phone_holds_at_most_five_upcoming_bookings():
    place, number = office(), phone()
    for _ in range(5):
        book(place, phone_number=number)
    assert _code(lambda: book(place, phone_number=number)) == "limit_reached"
    assert book(place, phone_number=phone()).status == "booked"


def test_two_no_shows_in_60_days_block_booking_until_a_stated_day():
    place = office(same_day_cutoff=dt.time(15, 0))
    person = applicant("JOJO", dt.date(1978, 6, 27))
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 16)):
        booking = book(
            place, person=person, day=day, now=dt.datetime.combine(day, dt.time(7, 0), tzinfo=WIB)
        )
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.EXPIRED)
    with pytest.raises(DomainError) as caught:
        book(place, person=person)
    assert caught.value.code == "no_show_blocked"
    assert "16 Desember 2026" in str(caught.value.message)
    after = dt.datetime(2026, 12, 17, 9, 0, tzinfo=WIB)
    assert book(place, person=person, day=dt.date(2026, 12, 21), now=after).status == "booked"


def test_a_family_gets_consecutive_places_from_one_phone():
    place = office()
    family = book_family(place, [applicant(), applicant(), applicant()])
    assert [b.queue_number for b in family] == ["A-001", "A-002", "A-003"]
    assert len({b.phone for b in family}) == 1
    assert {b.group_code for b in family} == {family[0].code}


def test_a_family_spills_into_the_next_slot_when_the_first_is_nearly_full():
    place = office(hours__daily_capacity=70)  # five places a slot
    for _ in range(3):
        book(place)
    family = book_family(place, [applicant() for _ in range(4)])
    starts = [b.slot_start.astimezone(WIB).strftime("%H:%M") for b in family]
    assert starts == ["08:00", "08:00", "08:30", "08:30"]
    assert [b.queue_number for b in family] == ["A-004", "A-005", "A-006", "A-007"]


def test_a_family_is_all_or_nothing():
    place = office(hours__daily_capacity=14)
    for _ in range(12):
        book(place)
    assert _code(lambda: book_family(place, [applicant() for _ in range(3)])) == "day_full"
    assert Booking.objects.count() == 12
    assert sum(Slot.objects.filter(office=place).values_list("booked", flat=True)) == 12


def test_a_family_over_the_limit_or_with_a_person_twice_is_refused():
    place = office()
    assert _code(lambda: book_family(place, [applicant() for _ in range(6)])) == "family_too_large"
    twin = applicant("ANI", dt.date(2010, 1, 1))
    assert _code(lambda: book_family(place, [twin, applicant("ani", dt.date(2010, 1, 1))])) == (
        "duplicate_applicant"
    )
    assert not Booking.objects.exists()


def test_a_family_member_already_booked_fails_the_whole_request():
    place = office()
    member = applicant("BUDI", dt.date(2012, 3, 4))
    book(place, person=member)
    assert _code(lambda: book_family(place, [applicant(), member])) == "duplicate_booking"
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("person", "number", "code"),
    [
        (applicant("12345"), None, "invalid_name"),
        (applicant(birth_date=dt.date(2027, 1, 1)), None, "invalid_birth_date"),
        (applicant(nik="123"), None, "invalid_nik"),
        (applicant(), "12", "invalid_phone"),
    ],
)
def test_bad_applicant_data_is_refused_before_anything_changes(person, number, code):
    assert _code(lambda: book(office(), person=person, phone_number=number or phone())) == code
    assert not Slot.objects.exists()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.sampled_from(["book", "family", "cancel"]), st.integers(0, 13)), max_size=30
    )
)
def test_allocation_invariants_hold_for_any_sequence(operations):
    """However bookings and cancellations interleave: no slot holds more than its
    capacity, its counter equals its holding bookings, and queue numbers are unique."""
    place = office(hours__daily_capacity=28)  # two places a slot
    slots = list(Slot.objects.filter(office=place))
    for operation, index in operations:
        try:
            if operation == "book":
                slots = slots or list(Slot.objects.filter(office=place).order_by("starts_at"))
                book(place, slot_id=slots[index].pk if slots else None)
            elif operation == "family":
                book_family(place, [applicant() for _ in range(1 + index % 3)])
            else:
                holding = list(Booking.objects.filter(office=place, status="booked").order_by("pk"))
                if holding:
                    booking_cancel(booking=holding[index % len(holding)], actor=Actor.system())
        except DomainError:
            pass
    for slot in Slot.objects.filter(office=place):
        holding = slot.bookings.exclude(status__in=["cancelled", "expired"])
        assert slot.booked == holding.count() <= slot.capacity
        assert slot.booked <= slot.capacity
    seqs = list(
        Booking.objects.filter(office=place)
        .exclude(status="cancelled")
        .values_list("queue_seq", flat=True)
    )
    assert len(seqs) == len(set(seqs))
    Booking.objects.filter(office=place).delete()
    place.slots.all().delete()


def test_a_duplicate_names_the_person_as_asked_never_the_stored_holder():
    place = office()
    book(office(), person=applicant("SITI AMINAH", dt.date(1978, 6, 17), nik="3171065706780001"))
    probe = applicant("NAMA KARANGAN", dt.date(1978, 6, 17), nik="3171065706780001")
    with pytest.raises(DomainError) as caught:
        book(place, person=probe)
    message = str(caught.value.message)
    assert caught.value.code == "duplicate_booking"
    assert "NAMA KARANGAN" in message
    assert "AMINAH" not in message
    assert "Uji" not in message  # nor the other office


@pytest.mark.parametrize(
    ("person", "number"),
    [
        (applicant("\u0406WAN", dt.date(1990, 1, 1)), None),  # Cyrillic I: a look-alike
        (applicant(), "0812\u0663\u0664\u0665\u0666\u0667\u0668\u0669"),  # Arabic-Indic digits
    ],
)
def test_look_alike_letters_and_foreign_digits_are_refused(person, number):
    with pytest.raises(DomainError):
        book(office(), person=person, phone_number=number or phone())
    assert not Booking.objects.exists()


def _refusal(call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value


def test_a_refusal_about_one_family_member_says_which():
    """`applicants` names the person of the request a refusal is about (the WhatsApp
    reply names their line); a refusal of the request as a whole names nobody."""
    place = office()
    dad, mum = applicant("BAPAK", dt.date(1980, 1, 1)), applicant("IBU", dt.date(1982, 2, 2))
    unborn = applicant("BAYI", dt.date(2027, 1, 1))
    bad_name = applicant("X", dt.date(2000, 1, 1))
    assert _refusal(lambda: book_family(place, [dad, unborn])).applicants == (1,)
    assert _refusal(lambda: book_family(place, [bad_name, dad])).applicants == (0,)
    twice = _refusal(lambda: book_family(place, [dad, mum, applicant("ibu", mum.birth_date)]))
    assert (twice.code, twice.applicants) == ("duplicate_applicant", (2,))
    same_nik = _refusal(
        lambda: book_family(
            place,
            [
                applicant("ANI", dt.date(2010, 1, 1), nik="3171014101100001"),
                applicant("ANA", dt.date(2010, 1, 1), nik="3171014101100001"),
            ],
        )
    )
    assert (same_nik.code, same_nik.applicants) == ("duplicate_applicant", (1,))
    book(place, person=mum)
    booked = _refusal(lambda: book_family(place, [dad, mum]))
    assert (booked.code, booked.applicants) == ("duplicate_booking", (1,))
    full = _refusal(lambda: book_family(place, [dad], day=dt.date(2026, 12, 6)))
    assert (full.code, full.applicants) == ("day_closed", ())
    assert Booking.objects.count() == 1


def test_a_no_show_block_names_the_blocked_family_member():
    place = office(same_day_cutoff=dt.time(15, 0))
    person = applicant("JOJO", dt.date(1978, 6, 27))
    for day in (dt.date(2026, 11, 2), dt.date(2026, 11, 16)):
        booking = book(
            place, person=person, day=day, now=dt.datetime.combine(day, dt.time(7, 0), tzinfo=WIB)
        )
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.EXPIRED)
    refused = _refusal(lambda: book_family(place, [applicant(), person]))
    assert (refused.code, refused.applicants) == ("no_show_blocked", (1,))
