"""An applicant's own record found by its code and a birth date, with the lockout on
guessing the birth date (immigration/attempts.py). Bookings (`booking_for_applicant`)
and waiting-list requests (`waitlist_for_applicant`) are looked up this one way.
"""

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings

from bookings import codes
from immigration.attempts import GuessLimit, guesses_check, guesses_record_failure
from immigration.errors import NotFoundError

LOOKUP_LOCKOUT_SECONDS = 3600

T = TypeVar("T")


def birth_date_guesses(name: str) -> GuessLimit:
    """The caps as the settings say now (tests and deployments change them); `name`
    keeps each kind of code's counters apart."""
    return GuessLimit(
        name=name,
        per_client=settings.BIRTH_DATE_GUESSES_PER_CLIENT,
        per_subject=settings.BIRTH_DATE_GUESSES_PER_CODE,
        window_seconds=LOOKUP_LOCKOUT_SECONDS,
    )


def lookup_by_code(
    *,
    code: str,
    birth_date: dt.date,
    client: str | None,
    limit: GuessLimit,
    find: Callable[[str, dt.date], T | None],
    not_found: Callable[[], NotFoundError],
) -> T:
    """What `find(canonical_code, birth_date)` returns; `not_found()` is raised for a
    wrong code or birth date alike, so a code alone reveals nothing. Wrong birth dates
    are counted per code and client, and per code (`limit`): a code seen over a shoulder
    or on a photographed QR cannot be paired with a birth date by trying, from one
    address or from many, and a stranger's wrong tries from elsewhere do not lock the
    owner out. Checked before looking: a locked code is refused (429) without a query;
    with the counters unreachable nothing is looked up (503 `lockout_unavailable`)."""
    canonical = codes.canonical(code or "")
    if canonical:
        guesses_check(limit, subject=canonical, client=client)
    found = find(canonical, birth_date) if canonical else None
    if found is None:
        if canonical:
            guesses_record_failure(limit, subject=canonical, client=client)
        raise not_found()
    return found
