"""The dashboard for supervisors (their office) and inspectors (all offices, or one):
tables with server-drawn SVG bars, and each table as CSV."""

import csv
import datetime as dt

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache

from bookings.models import OutOfTurnReason
from complaints import dashboard
from complaints.scoping import complaints_for_user, may_handle_complaints
from notifications.selectors import tier_usage
from offices import schedule
from offices.scoping import offices_for_user
from offices.selectors import office_with_code


@never_cache
@staff_member_required
def view(request):
    if not may_handle_complaints(request.user):
        raise PermissionDenied
    offices = offices_for_user(request.user).filter(is_active=True)
    code = request.GET.get("office")
    if code:
        office = office_with_code(offices, code)
        offices = offices.filter(pk=office.pk) if office else offices.none()
    # One office: its own today (Jayapura is on the next day two hours before Jakarta).
    single = list(offices[:2])
    today = (
        schedule.local_today(single[0], timezone.now())
        if len(single) == 1
        else timezone.localdate()
    )
    start = today - dt.timedelta(days=13)
    end = today + dt.timedelta(days=7)
    complaints = complaints_for_user(request.user).filter(office__in=offices)
    days = dashboard.days(offices, start, end)
    channels = dashboard.channels(offices, start, end)
    table = request.GET.get("csv")
    if table in SERVING_TABLES:
        return _serving_csv(table, offices, start, end)
    if table:
        return _csv(table, days, channels, dashboard.complaints_table(complaints))
    past = [d for d in days if d.date <= today]
    booked_past = sum(d.booked for d in past)
    context = {
        "offices": offices_for_user(request.user).filter(is_active=True).order_by("name"),
        "office_code": code or "",
        "days": days,
        "peak": max([d.capacity for d in days] + [1]),
        "channels": [(dashboard.CHANNEL_LABELS.get(name, name), n) for name, n in channels],
        "channel_peak": max([n for _, n in channels] + [1]),
        "arrival_rate": round(100 * sum(d.arrived for d in past) / booked_past)
        if booked_past
        else None,
        "no_show_rate": round(100 * sum(d.no_show for d in past) / booked_past)
        if booked_past
        else None,
        "median_wait": dashboard.median_wait_minutes(offices, start, today),
        "complaints": dashboard.complaints_table(complaints),
        "overdue": dashboard.overdue_count(complaints),
        "whatsapp_tiers": [
            usage
            for usage in tier_usage(
                numbers=[office.whatsapp_number for office in offices], now=timezone.now()
            )
            if usage.warn
        ],
        "start": start,
        "end": end,
    }
    # Up to `end`: an office east of Jakarta may already be on tomorrow's date.
    context.update(_serving_context(offices, start, end))
    return render(request, "dashboard/index.html", context)


def _csv(table: str, days, channels, complaints) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="antrean-{table}.csv"'
    writer = csv.writer(response)
    if table == "days":
        writer.writerow(["date", "capacity", "booked", "arrived", "no_show"])
        writer.writerows(
            [d.date.isoformat(), d.capacity, d.booked, d.arrived, d.no_show] for d in days
        )
    elif table == "channels":
        writer.writerow(["channel", "bookings"])
        writer.writerows(channels)
    elif table == "complaints":
        writer.writerow(["category", "status", "count"])
        writer.writerows([row["category"], row["status"], row["n"]] for row in complaints)
    else:
        raise PermissionDenied
    return response


# --- the counter's serving order (issue 17, section 5) ----------------------------------

SERVING_TABLES = {"serving", "out-of-turn"}
_OUT_OF_TURN_COLUMNS = [
    "office",
    "date",
    "counter",
    "number",
    "officer",
    "called_at",
    "served_at",
    "reason",
    "note",
]
# A spreadsheet runs a cell that begins with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    """A CSV cell a spreadsheet shows as text, never runs (officers type notes and
    usernames may begin with + or -)."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _serving_context(offices, start: dt.date, end: dt.date) -> dict:
    officer_days = dashboard.officer_days(offices, start, end)
    return {
        "officer_days": officer_days,
        "serving_order": dashboard.serving_order(offices, start, end, limit=100),
        "out_of_turn_total": sum(row.out_of_turn for row in officer_days),
    }


def _serving_csv(table: str, offices, start: dt.date, end: dt.date) -> HttpResponse:
    """`serving`: counts per office, day and officer; `out-of-turn`: every service out
    of turn with its reason and note. Times local to each office, with the zone label."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="antrean-{table}.csv"'
    writer = csv.writer(response)
    if table == "serving":
        reasons = OutOfTurnReason.values
        writer.writerow(
            [
                "office",
                "date",
                "officer",
                "served",
                "in_turn",
                "out_of_turn",
                *(f"out_of_turn_{r}" for r in reasons),
                "called_not_served",
                "walk_in_bookings",
                "priority_tickets",
            ]
        )
        for row in dashboard.officer_days(offices, start, end):
            writer.writerow(
                [
                    _cell(row.office),
                    row.date.isoformat(),
                    _cell(row.officer),
                    row.served,
                    row.in_turn,
                    row.out_of_turn,
                    *(row.reasons.get(r, 0) for r in reasons),
                    row.called_not_served,
                    row.walk_in_bookings,
                    row.priority_tickets,
                ]
            )
    else:
        writer.writerow(_OUT_OF_TURN_COLUMNS)
        for line in dashboard.serving_order(
            offices, start, end, out_of_turn_only=True, limit=100_000
        ):
            writer.writerow(
                [
                    _cell(line.office),
                    line.date.isoformat(),
                    line.counter,
                    line.number,
                    _cell(line.officer),
                    line.called_at,
                    line.served_at,
                    line.reason,
                    _cell(line.note),
                ]
            )
    return response
