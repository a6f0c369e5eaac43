"""Reports leave the inbound message log: a stored `LAPOR ...` becomes "report
<tracking code>" (or "report" when no case was opened), and the report, its reply and
the reporter's notices are tied to their complaint (about_kind/about_id), never to a
booking. Until now a booking's page showed every message of the booking's number,
reports included, to any desk officer who opened it.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Substr

COMPLAINT = "complaint"
# The words that open a report (complaints/whatsapp.py KEYWORDS, as of this migration).
KEYWORDS = {"LAPOR", "ADUAN", "REPORT"}


def _is_report(text: str) -> bool:
    words = (text or "").strip().split()
    return bool(words) and words[0].upper().strip(":") in KEYWORDS


def seal(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Inbound = apps.get_model("notifications", "InboundMessage")
    Outbound = apps.get_model("notifications", "OutboundMessage")

    by_subject = Complaint.objects.filter(
        tracking_code=Substr(OuterRef("subject"), len(COMPLAINT) + 2)
    )
    Outbound.objects.filter(
        Exists(by_subject), subject__startswith=f"{COMPLAINT}:", about_kind=""
    ).update(about_kind=COMPLAINT, about_id=Subquery(by_subject.values("pk")[:1]))

    for message in Inbound.objects.only("pk", "text", "result").iterator():
        result = message.result if isinstance(message.result, dict) else {}
        if not (_is_report(message.text) or "complaint" in result):
            continue
        code = result.get("complaint") if isinstance(result.get("complaint"), str) else ""
        complaint = Complaint.objects.filter(tracking_code=code).values_list("pk", flat=True)
        complaint_id = complaint.first() if code else None
        about = {"about_kind": COMPLAINT, "about_id": complaint_id} if complaint_id else {}
        if not about:
            about = {"about_kind": "", "about_id": None}
        Inbound.objects.filter(pk=message.pk).update(
            text=f"report {code}".strip(), **about
        )
        Outbound.objects.filter(subject=f"inbound:{message.pk}").update(**about)


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
        ("notifications", "0005_message_about"),
        # After the bookings' links: a report is never left tied to a booking.
        ("bookings", "0007_link_messages_to_their_bookings"),
    ]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop, elidable=True)]
