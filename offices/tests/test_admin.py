"""The offices admin: scoped to the officer's office, and safe for booked slots."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from offices.models import Closure, Office, OfficerProfile, Slot
from offices.services import slots_ensure

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 12, 7)
NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def _staff(username, office_code=None, hq=False):
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="offices"))
    if office_code or hq:
        office = Office.objects.get(code=office_code) if office_code else None
        OfficerProfile.objects.create(user=user, office=office, is_headquarters=hq)
    return user


def test_an_officer_sees_only_their_own_office(client):
    client.force_login(_staff("loket", "tangerang"))
    page = client.get(reverse("admin:offices_office_changelist")).content.decode()
    assert "Kelas I Non TPI Tangerang" in page
    assert "Batam" not in page
    batam = Office.objects.get(code="batam")
    assert client.get(reverse("admin:offices_office_change", args=[batam.pk])).status_code == 302


def test_headquarters_sees_every_office(client):
    client.force_login(_staff("pusat", hq=True))
    page = client.get(reverse("admin:offices_office_changelist") + "?all=").content.decode()
    assert "26 kantor" in page or "26 offices" in page


def test_staff_without_an_office_see_none(client):
    client.force_login(_staff("baru"))
    page = client.get(reverse("admin:offices_office_changelist")).content.decode()
    assert "Tangerang" not in page


def test_officers_cannot_add_offices_or_assign_officers(client):
    client.force_login(_staff("loket", "tangerang"))
    assert client.get(reverse("admin:offices_office_add")).status_code == 403
    assert client.get(reverse("admin:offices_officerprofile_changelist")).status_code == 403


def _change_form(office, *, hours=None, closures=()):
    """The POST of the office change form, with the inlines as they stand, changed by
    `hours` (weekday -> field overrides) and extended by new `closures`."""
    data = {
        "code": office.code,
        "name": office.name,
        "office_class": office.office_class,
        "is_active": "on",
        "address": office.address,
        "city": office.city,
        "province": office.province,
        "timezone": office.timezone,
        "phone": office.phone,
        "whatsapp_number": office.whatsapp_number,
        "whatsapp_phone_number_id": office.whatsapp_phone_number_id or "",
        "slot_minutes": office.slot_minutes,
        "priority_quota": office.priority_quota,
        "booking_window_days": office.booking_window_days,
        "release_time": office.release_time.strftime("%H:%M"),
        "same_day_cutoff": office.same_day_cutoff.strftime("%H:%M"),
    }
    rows = list(office.opening_hours.order_by("weekday"))
    data.update(
        {
            "opening_hours-TOTAL_FORMS": len(rows),
            "opening_hours-INITIAL_FORMS": len(rows),
            "opening_hours-MIN_NUM_FORMS": 0,
            "opening_hours-MAX_NUM_FORMS": 7,
        }
    )
    for index, row in enumerate(rows):
        values = {
            "id": row.pk,
            "office": office.pk,
            "weekday": row.weekday,
            "opens_at": row.opens_at.strftime("%H:%M"),
            "closes_at": row.closes_at.strftime("%H:%M"),
            "break_starts_at": row.break_starts_at.strftime("%H:%M") if row.break_starts_at else "",
            "break_ends_at": row.break_ends_at.strftime("%H:%M") if row.break_ends_at else "",
            "daily_capacity": row.daily_capacity,
        }
        values.update((hours or {}).get(row.weekday, {}))
        data.update({f"opening_hours-{index}-{key}": value for key, value in values.items()})
    overrides = list(office.capacity_overrides.all())
    data.update(
        {
            "capacity_overrides-TOTAL_FORMS": len(overrides),
            "capacity_overrides-INITIAL_FORMS": len(overrides),
            "capacity_overrides-MIN_NUM_FORMS": 0,
            "capacity_overrides-MAX_NUM_FORMS": 1000,
        }
    )
    for index, row in enumerate(overrides):
        data.update(
            {
                f"capacity_overrides-{index}-id": row.pk,
                f"capacity_overrides-{index}-office": office.pk,
                f"capacity_overrides-{index}-starts_on": row.starts_on.isoformat(),
                f"capacity_overrides-{index}-ends_on": row.ends_on.isoformat(),
                f"capacity_overrides-{index}-daily_capacity": row.daily_capacity,
                f"capacity_overrides-{index}-reason": row.reason,
            }
        )
    data.update(
        {
            "closures-TOTAL_FORMS": len(closures),
            "closures-INITIAL_FORMS": 0,
            "closures-MIN_NUM_FORMS": 0,
            "closures-MAX_NUM_FORMS": 1000,
        }
    )
    for index, (day, reason) in enumerate(closures):
        data.update({f"closures-{index}-date": day.isoformat(), f"closures-{index}-reason": reason})
    return data


@time_machine.travel(NOW, tick=False)
def test_a_valid_change_is_saved_and_re_plans_existing_slots(client):
    client.force_login(_staff("supervisor", "tangerang"))
    office = Office.objects.get(code="tangerang")
    slots_ensure(office=office, day=MONDAY)
    response = client.post(
        reverse("admin:offices_office_change", args=[office.pk]),
        _change_form(office, hours={0: {"daily_capacity": 300}}),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert (
        sum(Slot.objects.filter(office=office, date=MONDAY).values_list("capacity", flat=True))
        == 300
    )


@time_machine.travel(NOW, tick=False)
def test_lowering_capacity_below_bookings_is_refused_naming_the_slot(client):
    client.force_login(_staff("supervisor", "tangerang"))
    office = Office.objects.get(code="tangerang")
    first = slots_ensure(office=office, day=MONDAY)[0]
    Slot.objects.filter(pk=first.pk).update(booked=30)
    response = client.post(
        reverse("admin:offices_office_change", args=[office.pk]),
        _change_form(office, hours={0: {"daily_capacity": 100}}),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "08:00 WIB" in page
    assert "30" in page
    assert office.opening_hours.get(weekday=0).daily_capacity == 250
    assert Slot.objects.get(pk=first.pk).capacity == 32


@time_machine.travel(NOW, tick=False)
def test_closing_a_day_in_the_admin_goes_through_the_service(client):
    user = _staff("supervisor", "tangerang")
    client.force_login(user)
    office = Office.objects.get(code="tangerang")
    slots_ensure(office=office, day=MONDAY)
    response = client.post(
        reverse("admin:offices_office_change", args=[office.pk]),
        _change_form(office, closures=[(MONDAY, "Pemadaman listrik")]),
    )
    assert response.status_code == 302
    closure = Closure.objects.get(office=office)
    assert (closure.date, closure.created_by) == (MONDAY, user)
    assert not Slot.objects.filter(office=office, date=MONDAY).exists()


@time_machine.travel(NOW, tick=False)
def test_closing_a_day_with_bookings_is_refused_in_the_admin(client):
    client.force_login(_staff("supervisor", "tangerang"))
    office = Office.objects.get(code="tangerang")
    first = slots_ensure(office=office, day=MONDAY)[0]
    Slot.objects.filter(pk=first.pk).update(booked=1)
    response = client.post(
        reverse("admin:offices_office_change", args=[office.pk]),
        _change_form(office, closures=[(MONDAY, "Banjir")]),
    )
    assert response.status_code == 200
    assert not Closure.objects.exists()
