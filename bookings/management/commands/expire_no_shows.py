from django.core.management.base import BaseCommand

from bookings.services import bookings_expire_no_shows


class Command(BaseCommand):
    help = "Forfeit every booking not checked in 30 minutes after its slot started (as beat does)."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        expired = bookings_expire_no_shows(batch_size=batch_size)
        self.stdout.write(f"Expired {expired} booking(s).")
