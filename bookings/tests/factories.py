"""Test helpers for bookings: a bookable office and a one-call booking."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from bookings.applicant import Applicant
from bookings.models import Channel
from bookings.services import Actor, booking_create, booking_create_family
from offices.tests.factories import OfficeFactory

# A Monday with nothing special; bookings are made a week before, at 09:00 WIB.
DAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))

_people = itertools.count(1)
_phones = itertools.count(1)


def office(**kwargs):
    """An office with 14 half-hour slots (08:00-11:30, 13:00-15:30 WIB); pass
    `hours__daily_capacity=70` for 5 places a slot."""
    return OfficeFactory(**kwargs)


def applicant(name=None, birth_date=dt.date(1990, 5, 17), nik=None) -> Applicant:
    return Applicant(name or f"PEMOHON {_letters(next(_people))}", birth_date, nik)


def phone() -> str:
    return f"0812{next(_phones):08d}"


def _letters(n: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def book(office, *, day=DAY, now=NOW, person=None, phone_number=None, **kwargs):
    """A confirmed booking (as WhatsApp or the desk makes them); `phone_verified=False`
    for a hold."""
    kwargs.setdefault("phone_verified", True)
    return booking_create(
        office=office,
        date=day,
        applicant=person or applicant(),
        phone=phone_number or phone(),
        actor=kwargs.pop("actor", Actor.applicant(Channel.WEB)),
        now=now,
        **kwargs,
    )


def book_family(office, people, *, day=DAY, now=NOW, phone_number=None, **kwargs):
    kwargs.setdefault("phone_verified", True)
    return booking_create_family(
        office=office,
        date=day,
        applicants=people,
        phone=phone_number or phone(),
        actor=Actor.applicant(Channel.WEB),
        now=now,
        **kwargs,
    )
