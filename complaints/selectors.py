"""Questions the complaint screens ask, answered in one place.

`complaints_monthly_report` is the monthly report (per office and month: received, by
category, by outcome, median days to triage and to close, overdue now); the admin page
only draws it. Reads only; takes no locks.
"""

import datetime as dt
import statistics

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth

from complaints.models import Complaint
from complaints.services import overdue_complaints


def median_days(cases: QuerySet[Complaint], field: str) -> float | None:
    """The median number of days from receipt to `field` ("triaged_at", "closed_at")
    over the cases that got there, to one decimal; None when none did."""
    spans = [
        (getattr(c, field) - c.received_at).total_seconds() / 86400
        for c in cases.exclude(**{f"{field}__isnull": True})
    ]
    return round(statistics.median(spans), 1) if spans else None


def complaints_monthly_report(
    *, scope: QuerySet[Complaint], now: dt.datetime | None = None
) -> list[dict]:
    """One row per office and month of the cases in `scope` (the reader's own, from
    `complaints.scoping`), newest month first; `bar` is the row's share of the busiest
    row in percent, for the page's bar."""
    rows = (
        scope.annotate(month=TruncMonth("received_at"))
        .values("office__name", "month")
        .annotate(
            received=Count("pk", distinct=True),
            pungli=Count("pk", distinct=True, filter=Q(category="pungli")),
            calo=Count("pk", distinct=True, filter=Q(category="calo")),
            substantiated=Count(
                "pk",
                filter=Q(status="substantiated")
                | Q(status="closed", events__to_status="substantiated"),
            ),
            unsubstantiated=Count(
                "pk",
                filter=Q(status="unsubstantiated")
                | Q(status="closed", events__to_status="unsubstantiated"),
            ),
        )
        .order_by("-month", "office__name")
    )
    overdue = overdue_complaints(now=now)
    table = []
    for row in rows:
        cases = scope.filter(
            office__name=row["office__name"],
            received_at__year=row["month"].year,
            received_at__month=row["month"].month,
        )
        row["median_triage_days"] = median_days(cases, "triaged_at")
        row["median_close_days"] = median_days(cases, "closed_at")
        row["overdue"] = overdue.filter(pk__in=cases.values("pk")).count()
        table.append(row)
    peak = max((row["received"] for row in table), default=1)
    for row in table:
        row["bar"] = round(100 * row["received"] / peak)
    return table
