"""Fees: which fee is in force on a day (`fee_current`, `fees_in_force`). Takes no
locks; reads only."""

import datetime as dt
import re

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import (
    Fee,
)
from immigration.errors import DomainError
from offices import schedule
from offices.models import Office


def _fees_on(day: dt.date):
    return Fee.objects.filter(valid_from__lte=day).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=day)
    )


_FEE_CODE = re.compile(r"[-a-z0-9_]{1,40}")


def fee_current(*, code: str, on: dt.date) -> Fee:
    """The fee `code` in force on `on`. Text no fee code can be (a NUL byte, which
    PostgreSQL refuses even to compare) is no fee, answered without a query."""
    fee = None
    if _FEE_CODE.fullmatch(code or ""):
        fee = _fees_on(on).filter(code=code).order_by("-valid_from").first()
    if fee is None:
        raise DomainError(
            code="unknown_fee",
            message=_("No such fee is in force."),
            fields={"fee": [_("Unknown.")]},
        )
    return fee


def fees_in_force(*, office: Office, now: dt.datetime | None = None) -> list[Fee]:
    """The fees in force on the office's own today, one per code (the newest start):
    what the counter shows and may record, read from the same rule as `fee_current`.
    Fees are national and set by regulation; the office only fixes which day it is."""
    day = schedule.local_today(office, now or timezone.now())
    latest: dict[str, Fee] = {}
    for fee in _fees_on(day).order_by("code", "-valid_from"):
        latest.setdefault(fee.code, fee)
    return sorted(latest.values(), key=lambda fee: (fee.amount, fee.code))
