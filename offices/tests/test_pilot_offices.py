"""The 26 pilot offices are present after `migrate`, as the articles describe them."""

import datetime as dt
from collections import Counter

import pytest

from offices import schedule
from offices.models import CapacityOverride, Office
from offices.selectors import office_calendar

pytestmark = pytest.mark.django_db

ARTICLE_OFFICES = {"tangerang", "jakarta-pusat", "batam", "belakang-padang", "tarakan"}


def test_all_26_pilot_offices_exist_and_are_active():
    assert Office.objects.filter(is_active=True).count() == 26
    assert set(Office.objects.values_list("code", flat=True)) >= ARTICLE_OFFICES


def test_every_zone_is_represented():
    zones = Counter(Office.objects.values_list("timezone", flat=True))
    assert zones["Asia/Makassar"] >= 2
    assert zones["Asia/Jayapura"] >= 2
    assert Office.objects.get(code="tarakan").timezone == "Asia/Makassar"
    assert Office.objects.get(code="palangka-raya").timezone == "Asia/Jakarta"
    assert Office.objects.get(code="jayapura").zone_label == "WIT"


def test_the_figures_from_the_articles():
    def capacity(code):
        return Office.objects.get(code=code).opening_hours.get(weekday=0).daily_capacity

    assert capacity("tangerang") == 250
    assert capacity("belakang-padang") == 50
    assert capacity("batam") == 200
    assert Office.objects.get(code="batam").priority_quota == 50
    hours = Office.objects.get(code="belakang-padang").opening_hours.get(weekday=0)
    assert (hours.opens_at, hours.closes_at) == (dt.time(7, 30), dt.time(16, 0))


def test_tangerang_serves_400_a_day_in_the_weeks_before_lebaran():
    override = CapacityOverride.objects.get(office__code="tangerang")
    assert override.daily_capacity == 400
    assert (override.ends_on - override.starts_on).days == 20
    assert schedule.national_holiday(override.ends_on + dt.timedelta(days=1))


def test_every_office_weekday_plan_adds_up_to_its_daily_capacity():
    monday = dt.date(2026, 12, 7)
    for office in Office.objects.prefetch_related("opening_hours"):
        calendar = office_calendar(office=office, start=monday, end=monday)
        plan = schedule.plan_day(calendar, monday)
        assert plan.capacity == calendar.hours[0].daily_capacity, office.code
        assert all(slot.capacity > 0 for slot in plan.slots), office.code


def test_unpublished_whatsapp_numbers_are_marked_as_placeholders():
    placeholders = Office.objects.filter(whatsapp_number__startswith="+62800000000")
    assert placeholders.exists()
    assert not placeholders.filter(whatsapp_number_is_placeholder=False).exists()
    assert Office.objects.values("whatsapp_number").distinct().count() == 26
