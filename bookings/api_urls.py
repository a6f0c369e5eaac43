from django.urls import path, re_path

from bookings import api, api_booking
from bookings.whatsapp_api import GatewayMessageView
from notifications.webhook import WhatsAppWebhookView

CODE = r"(?P<code>[A-Za-z0-9-]{8,9})"

urlpatterns = [
    path("whatsapp/webhook/", WhatsAppWebhookView.as_view(), name="whatsapp-webhook"),
    path("whatsapp/messages/", GatewayMessageView.as_view(), name="whatsapp-messages"),
    path("bookings/", api_booking.booking_create, name="booking-list"),
    re_path(rf"^bookings/{CODE}/$", api.BookingDetailView.as_view(), name="booking-detail"),
    re_path(
        rf"^bookings/{CODE}/qr\.(?P<fmt>png|svg)$", api.BookingQrView.as_view(), name="booking-qr"
    ),
    re_path(rf"^bookings/{CODE}/lookup/$", api.BookingLookupView.as_view(), name="booking-lookup"),
    re_path(rf"^bookings/{CODE}/cancel/$", api.BookingCancelView.as_view(), name="booking-cancel"),
    re_path(
        rf"^bookings/{CODE}/reschedule/$",
        api.BookingRescheduleView.as_view(),
        name="booking-reschedule",
    ),
    re_path(rf"^bookings/{CODE}/check-in/$", api.CheckInView.as_view(), name="booking-check-in"),
    re_path(
        rf"^bookings/{CODE}/submission/$", api.SubmissionView.as_view(), name="booking-submission"
    ),
    re_path(rf"^bookings/{CODE}/payment/$", api.PaymentView.as_view(), name="booking-payment"),
    re_path(rf"^bookings/{CODE}/ready/$", api.ReadyView.as_view(), name="booking-ready"),
    re_path(
        rf"^bookings/{CODE}/collected/$", api.CollectedView.as_view(), name="booking-collected"
    ),
    re_path(
        rf"^bookings/{CODE}/staff-cancel/$",
        api.StaffCancelView.as_view(),
        name="booking-staff-cancel",
    ),
    path("offices/<slug:code>/bookings/", api.OfficeBookingsView.as_view(), name="office-bookings"),
    path(
        "offices/<slug:code>/counters/<int:counter>/call-next/",
        api.CallNextView.as_view(),
        name="office-call-next",
    ),
    path(
        "offices/<slug:code>/priority-tickets/",
        api.PriorityTicketView.as_view(),
        name="office-priority-tickets",
    ),
]
