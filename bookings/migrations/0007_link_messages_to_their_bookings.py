"""Tie the messages already stored to their bookings (about_kind/about_id), so a
booking's page can show its own conversation without matching phone numbers.

- outbound notices: by the code in their subject ("booking:<code>");
- inbound commands: by the code their result names (STATUS, BATAL, a booking made),
  only when that booking is the sender's at the office the message came in for;
- replies to those commands: like the command they answer ("inbound:<pk>").

Messages that match nothing stay about nothing, and no booking page shows them.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Substr

BOOKING = "booking"


def _codes(result) -> list[str]:
    if not isinstance(result, dict):
        return []
    codes = [result.get("booking"), result.get("cancelled")]
    made = result.get("bookings")
    if isinstance(made, list) and made:
        codes.append(made[0])
    return [code for code in codes if isinstance(code, str) and code]


def link(apps, schema_editor):
    Booking = apps.get_model("bookings", "Booking")
    Inbound = apps.get_model("notifications", "InboundMessage")
    Outbound = apps.get_model("notifications", "OutboundMessage")

    by_subject = Booking.objects.filter(code=Substr(OuterRef("subject"), len(BOOKING) + 2))
    Outbound.objects.filter(
        Exists(by_subject), subject__startswith=f"{BOOKING}:", about_kind=""
    ).update(about_kind=BOOKING, about_id=Subquery(by_subject.values("pk")[:1]))

    commands = Inbound.objects.filter(
        about_kind="", result__has_any_keys=["booking", "cancelled", "bookings"]
    )
    for message in commands.only("pk", "sender", "office_code", "result").iterator():
        codes = _codes(message.result)
        booking = (
            Booking.objects.filter(
                code__in=codes, phone=message.sender, office__code=message.office_code
            )
            .exclude(phone="")
            .values_list("pk", flat=True)
            .first()
        )
        if booking is None:
            continue
        Inbound.objects.filter(pk=message.pk).update(about_kind=BOOKING, about_id=booking)
        Outbound.objects.filter(subject=f"inbound:{message.pk}", about_kind="").update(
            about_kind=BOOKING, about_id=booking
        )


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0006_booking_holds"),
        ("notifications", "0005_message_about"),
    ]

    operations = [migrations.RunPython(link, migrations.RunPython.noop, elidable=True)]
