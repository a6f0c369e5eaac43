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

from complaints import dashboard
from complaints.scoping import complaints_for_user, may_handle_complaints
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
        "start": start,
        "end": end,
    }
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
