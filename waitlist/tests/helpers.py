"""Shared set-up of the waiting-list tests: a full day, people on its list, and the
checks every test of offers ends with."""

import datetime as dt
import itertools

from django.db import transaction

from bookings.models import HOLDING_STATUSES, Booking, BookingStatus, Channel
from bookings.services import day_places_left
from bookings.tests.factories import DAY, NOW, applicant, book, phone
from notifications.inbound import Inbound
from offices.models import Slot
from offices.services import slots_ensure
from waitlist.models import OfferState, RequestState, WaitlistOffer, WaitlistRequest
from waitlist.services import waitlist_join
from waitlist.whatsapp import handle_message

_ids = itertools.count(1)


def fill(place, *, day=DAY, now=NOW) -> list[Booking]:
    """Book every place of the day (confirmed bookings), one person each."""
    with transaction.atomic():
        slots_ensure(office=place, day=day)
    booked = []
    while day_places_left(office=place, day=day, now=now, priority=False) > 0:
        booked.append(book(place, day=day, now=now))
    return booked


def join(place, size=1, *, day=DAY, now=NOW, phone_number=None, **kwargs) -> WaitlistRequest:
    """A request joined from WhatsApp (the sender is the phone)."""
    return waitlist_join(
        office=place,
        date=day,
        applicants=kwargs.pop("people", None) or [applicant() for _ in range(size)],
        phone=phone_number or phone(),
        phone_verified=kwargs.pop("phone_verified", True),
        channel=Channel.WHATSAPP,
        now=now,
        **kwargs,
    )


def assert_invariants(place, *, day=DAY, now=NOW) -> None:
    """No slot over its capacity, every counter equal to its live holding bookings,
    each open offer holding exactly its places in held bookings no other offer holds,
    and no free place while a waiting request fits."""
    for slot in Slot.objects.filter(office=place, date=day):
        live = (
            Booking.objects.filter(slot=slot, status__in=HOLDING_STATUSES)
            .exclude(status=BookingStatus.HELD, hold_expires_at__lte=now)
            .count()
        )
        lapsed = Booking.objects.filter(
            slot=slot, status=BookingStatus.HELD, hold_expires_at__lte=now
        ).count()
        assert slot.booked <= slot.capacity
        assert live <= slot.booked <= live + lapsed, (slot.pk, slot.booked, live, lapsed)
    held_by_offers = []
    for offer in WaitlistOffer.objects.filter(office=place, date=day, state=OfferState.OPEN):
        first = offer.first_booking
        group = Booking.objects.filter(status=BookingStatus.HELD, phone=first.phone, office=place)
        group = (
            group.filter(group_code=first.group_code)
            if first.group_code
            else group.filter(pk=first.pk)
        )
        ids = list(group.values_list("pk", flat=True))
        assert len(ids) == offer.places
        held_by_offers.extend(ids)
        assert offer.request.state == RequestState.OFFERED
    assert len(held_by_offers) == len(set(held_by_offers))
    left = {p: day_places_left(office=place, day=day, now=now, priority=p) for p in (False, True)}
    for request in WaitlistRequest.objects.filter(
        office=place, date=day, state=RequestState.WAITING
    ):
        priority = request.people.exclude(priority="").exists()
        assert request.people_count > left[priority], (request.people_count, left)


def say(place, text, sender="6281234500001", language="id"):
    """A WhatsApp message from `sender` to the office, through the waiting list's
    handler (the front of the conversation), at NOW."""
    message = Inbound(
        provider_message_id=f"wamid.{next(_ids)}",
        sender=sender,
        text=text,
        received_at=NOW,
        to=place.whatsapp_number,
    )
    return handle_message(message=message, language=language, now=NOW)


def later(minutes: int) -> dt.datetime:
    return NOW + dt.timedelta(minutes=minutes)
