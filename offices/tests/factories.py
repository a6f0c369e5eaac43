import datetime as dt

import factory

from offices.models import CapacityOverride, Closure, Office, OfficeClass, OpeningHours


class OfficeFactory(factory.django.DjangoModelFactory):
    """A WIB office open Monday to Friday 08:00-16:00 with a 12:00-13:00 break:
    14 half-hour slots sharing 140 places a day (10 each)."""

    class Meta:
        model = Office
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"test-office-{n}")
    name = factory.Sequence(lambda n: f"Kantor Imigrasi Kelas I TPI Uji {n}")
    office_class = OfficeClass.I_TPI
    city = "Kota Uji"
    province = "Banten"
    address = "Jl. Uji No. 1"
    timezone = "Asia/Jakarta"
    whatsapp_number = factory.Sequence(lambda n: f"+628000009{n:04d}")
    slot_minutes = 30
    priority_quota = 20
    booking_window_days = 30
    release_time = dt.time(8, 0)
    same_day_cutoff = dt.time(12, 0)

    @factory.post_generation
    def hours(office, create, extracted, **kwargs):
        """`OfficeFactory(hours=False)` for none; `hours__daily_capacity=50`,
        `hours__weekdays=(0, 1, 2, 3, 4, 5)` to vary the default plan."""
        if not create or extracted is False:
            return
        for weekday in kwargs.get("weekdays", (0, 1, 2, 3, 4)):
            OpeningHours.objects.create(
                office=office,
                weekday=weekday,
                opens_at=dt.time(8, 0),
                closes_at=dt.time(16, 0),
                break_starts_at=dt.time(12, 0),
                break_ends_at=dt.time(13, 0),
                daily_capacity=kwargs.get("daily_capacity", 140),
            )


class CapacityOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityOverride

    office = factory.SubFactory(OfficeFactory)
    starts_on = dt.date(2027, 2, 22)
    ends_on = dt.date(2027, 3, 5)
    daily_capacity = 400
    reason = "Menjelang Lebaran"


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    office = factory.SubFactory(OfficeFactory)
    date = dt.date(2026, 12, 7)
    reason = "Pemadaman listrik"


def publish_whatsapp_numbers(*codes: str) -> None:
    """Give these demo offices a real-looking, published WhatsApp number (+62 811 00...,
    unique by the office's id), so web and API holds there can be confirmed: an office
    whose number is a placeholder takes none (offices.contacts.office_takes_holds)."""
    for office in Office.objects.filter(code__in=codes):
        office.whatsapp_number = f"+6281100{office.pk:06d}"
        office.whatsapp_number_is_placeholder = False
        office.save(update_fields=["whatsapp_number", "whatsapp_number_is_placeholder"])
