"""`manage.py erase_personal_data [--dry-run]`: what the nightly retention jobs do, now.

Lives in the project rather than an app because it spans three of them: applicants'
data of old bookings, old WhatsApp traffic, and reporters' contact details. Prints
counts only, never what was erased.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from bookings.retention import bookings_due_for_erasure, bookings_erase_personal_data
from complaints.services import (
    complaint_contact_purge,
    complaint_messages_due_for_erasure,
    complaint_messages_erase,
    complaints_due_for_contact_purge,
)
from notifications.retention import messages_due_for_erasure, messages_erase_old


class Command(BaseCommand):
    help = (
        "Erase personal data past its retention period (BOOKING_RETENTION_DAYS, "
        "MESSAGE_RETENTION_DAYS, COMPLAINT_CONTACT_RETENTION_DAYS), as beat does nightly."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be erased; change nothing."
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dry_run, batch_size, **options):
        now = timezone.now()
        if dry_run:
            counts = {
                "bookings_erased": bookings_due_for_erasure(now=now).count(),
                **messages_due_for_erasure(now=now),
                "complaint_contacts_erased": complaints_due_for_contact_purge(now=now).count(),
                # Of cases purged before; the cases this run would purge add theirs.
                "complaint_messages_erased": complaint_messages_due_for_erasure().count(),
            }
            self.stdout.write("Dry run: nothing was changed. A run now would change:")
        else:
            counts = {
                "bookings_erased": bookings_erase_personal_data(now=now, batch_size=batch_size),
                **messages_erase_old(now=now, batch_size=batch_size),
                "complaint_contacts_erased": complaint_contact_purge(now=now),
                "complaint_messages_erased": complaint_messages_erase(now=now),
            }
        for name, count in counts.items():
            self.stdout.write(f"{name}: {count}")
