"""A draw-mode office for tests: a release of Monday 11 to Friday 15 January 2027 whose
window opens on Saturday 12 December 2026 at 08:00 WIB (30 days before its first day)
and closes 24 hours later."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from bookings.applicant import Applicant
from bookings.models import Channel
from offices.tests.factories import OfficeFactory
from release.models import DrawEntry, EntryStatus, ReleaseMode, ReleasePolicy
from release.services import draw_commit, draw_enter, pseudonym

WIB = ZoneInfo("Asia/Jakarta")
FIRST = dt.date(2027, 1, 11)  # a Monday, no holiday that week
DAYS = [FIRST + dt.timedelta(days=n) for n in range(5)]
OPENS = dt.datetime(2026, 12, 12, 8, 0, tzinfo=WIB)
DURING = OPENS + dt.timedelta(hours=3)
CLOSES = OPENS + dt.timedelta(hours=24)

_people = itertools.count(1)
_phones = itertools.count(1)


def draw_office(*, daily_capacity: int = 14, days_per_release: int = 5, **kwargs):
    """An office whose days from FIRST on are drawn, `daily_capacity` places a weekday."""
    office = OfficeFactory(hours__daily_capacity=daily_capacity, **kwargs)
    ReleasePolicy.objects.create(
        office=office,
        mode=ReleaseMode.DRAW,
        applies_from=FIRST,
        days_per_release=days_per_release,
        draw_window_hours=24,
    )
    return office


def committed(office):
    return draw_commit(office=office, first_day=FIRST, now=OPENS - dt.timedelta(hours=30))


def letters(number: int) -> str:
    """1 -> A, 27 -> AA: names may hold letters only."""
    number += 1
    text = ""
    while number:
        number, rest = divmod(number - 1, 26)
        text = chr(65 + rest) + text
    return text


def person(name=None, birth_date=dt.date(1985, 3, 9), nik=None) -> Applicant:
    return Applicant(name or f"PESERTA {letters(next(_people))}", birth_date, nik)


def phone() -> str:
    return f"0813{next(_phones):08d}"


def enter(office, people=None, days=None, *, now=DURING, verified=True, **kwargs) -> DrawEntry:
    return draw_enter(
        office=office,
        applicants=people or [person()],
        preferences=days or [FIRST],
        phone=kwargs.pop("phone_number", None) or phone(),
        channel=Channel.WHATSAPP if verified else Channel.WEB,
        phone_verified=verified,
        now=now,
        **kwargs,
    )


def bulk_entries(draw, sizes_and_days) -> list[DrawEntry]:
    """Many entered requests at once, bypassing the per-request checks (for the large
    draw: its subject is the run, not entering)."""
    rows = []
    for index, (size, days) in enumerate(sizes_and_days):
        reference = f"{index:08d}"
        rows.append(
            DrawEntry(
                draw=draw,
                reference=reference,
                pseudonym=pseudonym(reference),
                phone=f"62813{index:08d}",
                channel=Channel.WEB,
                people=[
                    {
                        "name": f"PESERTA {letters(index)} {letters(n)}",
                        "birth_date": "1980-01-01",
                        "nik": "",
                    }
                    for n in range(size)
                ],
                people_count=size,
                preferences=[d.isoformat() for d in days],
                status=EntryStatus.ENTERED,
                created_at=DURING,
                confirmed_at=DURING,
            )
        )
    return DrawEntry.objects.bulk_create(rows, batch_size=2000)
