from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self):
        # The outbox draws a confirmation's QR with the door's format; notifications
        # imports no app, so bookings hands it the drawer.
        from bookings.qr import qr_png
        from notifications.services import outbox_register_qr_drawer

        outbox_register_qr_drawer(qr_png)
