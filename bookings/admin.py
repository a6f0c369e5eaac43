"""Admin for bookings: scoped to the officer's office, read-only, moved only by
actions that call the services (so every move is checked and recorded)."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from bookings import codes
from bookings.models import (
    Booking,
    BookingEvent,
    Channel,
    CounterCall,
    CounterService,
    Fee,
    PriorityTicket,
)
from bookings.services import Actor, booking_cancel, booking_mark_collected, booking_mark_ready
from immigration.admin_mixins import ReadOnlyAdminMixin
from immigration.errors import DomainError
from notifications.selectors import messages_about
from offices import localtime
from offices.admin import OfficeScopedAdminMixin, OfficeTimeAdminMixin, local_time_column
from offices.roles import MOVE_BOOKINGS, may
from offices.scoping import sees_all_offices


class BookingEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The history: written by the services, never edited. Notes are stored in
    English (one text whatever the language of whoever caused them) and shown in the
    reader's language."""

    model = BookingEvent
    extra = 0
    can_delete = False
    fields = [
        "at_local",
        "from_status",
        "to_status",
        "actor_kind",
        "actor_label",
        "channel",
        "note_display",
    ]
    readonly_fields = fields

    at_local = local_time_column("created_at", _("at"), office="booking__office")

    @admin.display(description=_("note"))
    def note_display(self, event):
        return gettext(event.note) if event.note else ""


def _run(modeladmin, request, queryset, service, done_message):
    actor = Actor.staff(request.user, Channel.ADMIN)
    moved = 0
    for booking in queryset:
        try:
            service(booking=booking, actor=actor)
            moved += 1
        except DomainError as exc:
            modeladmin.message_user(
                request, f"{booking.display_code}: {exc.message}", messages.WARNING
            )
    if moved:
        modeladmin.message_user(request, done_message(moved), messages.SUCCESS)


@admin.action(
    description=_("Cancel the selected bookings (frees their places)"), permissions=["move"]
)
def cancel_bookings(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        booking_cancel,
        lambda n: ngettext("%(n)d booking cancelled.", "%(n)d bookings cancelled.", n) % {"n": n},
    )


@admin.action(description=_("Mark the passports ready for collection"), permissions=["move"])
def mark_ready(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        booking_mark_ready,
        lambda n: ngettext("%(n)d passport ready.", "%(n)d passports ready.", n) % {"n": n},
    )


@admin.action(description=_("Mark the passports collected"), permissions=["move"])
def mark_collected(modeladmin, request, queryset):
    _run(
        modeladmin,
        request,
        queryset,
        booking_mark_collected,
        lambda n: ngettext("%(n)d passport collected.", "%(n)d passports collected.", n) % {"n": n},
    )


@admin.register(Booking)
class BookingAdmin(OfficeTimeAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "display_code",
        "queue_number_display",
        "office",
        "date",
        "slot_time",
        "status",
        "service",
        "name",
    ]
    list_filter = ["status", "date", "service", "channel", "office"]
    list_select_related = ["office", "slot"]
    search_fields = ["code", "name", "phone"]
    date_hierarchy = "date"
    ordering = ["-date", "queue_seq"]
    inlines = [BookingEventInline]
    actions = [cancel_bookings, mark_ready, mark_collected]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "display_code",
                    "status",
                    "office",
                    "date",
                    "slot",
                    "queue_number_display",
                    "expires_local",
                ]
            },
        ),
        (
            _("Applicant"),
            {
                "fields": [
                    "name",
                    "birth_date",
                    "nik",
                    "phone",
                    "language",
                    "service",
                    "personal_data_erased_at",
                ]
            },
        ),
        (_("Passport"), {"fields": ["fee", "fee_amount", "billing_code"]}),
        (
            _("Origin"),
            {
                "fields": [
                    "channel",
                    "group_code",
                    "rescheduled_from",
                    "created_local",
                    "updated_local",
                ]
            },
        ),
        (_("WhatsApp"), {"fields": ["conversation"]}),
    ]

    @admin.display(description=_("conversation"))
    def conversation(self, booking):
        """The messages tied to this booking only (its notices, the applicant's commands
        about its code at its office, their replies), oldest first, in the office's
        zone. Never the number's other messages: they may be reports, which only the
        complaints app shows, to those its scoping allows."""
        return (
            format_html_join(
                "",
                '<p><small>{} {}</small><br><span style="white-space:pre-wrap">{}</span></p>',
                (
                    (
                        localtime.local_text(line.at, booking.office, localtime.DATETIME),
                        "\u2190 " + line.status if line.inbound else "\u2192 " + line.status,
                        line.text,
                    )
                    for line in messages_about(booking.about)
                ),
            )
            or "-"
        )

    @admin.display(description=_("booking code"), ordering="code")
    def display_code(self, booking):
        return booking.display_code

    @admin.display(description=_("time"), ordering="slot__starts_at")
    def slot_time(self, booking):
        return localtime.local_text(booking.slot.starts_at, booking.office)

    @admin.display(description=_("queue number"), ordering="queue_seq")
    def queue_number_display(self, booking):
        return booking.queue_number

    expires_local = local_time_column("expires_at", _("expires at"))
    created_local = local_time_column("created_at", _("booked at"))
    updated_local = local_time_column("updated_at", _("updated at"))

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_search_results(self, request, queryset, search_term):
        # A code is searched as typed or scanned: with or without the dash, any case.
        canonical = codes.canonical(search_term)
        if canonical:
            return queryset.filter(code=canonical), False
        return super().get_search_results(request, queryset, search_term)

    def has_move_permission(self, request):
        """The actions that move bookings: the same right the desk and the API ask."""
        return may(request.user, MOVE_BOOKINGS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PriorityTicket)
class PriorityTicketAdmin(
    OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["number_display", "office", "date", "category", "issued_by", "issued_at"]
    office_time_fields = ("issued_at",)
    list_filter = ["date", "category", "office"]
    list_select_related = ["office", "issued_by"]
    readonly_fields = ["office", "date", "number_display", "category", "issued_by", "issued_at"]
    fields = readonly_fields

    @admin.display(description=_("number"), ordering="seq")
    def number_display(self, ticket):
        return ticket.number


@admin.register(Fee)
class FeeAdmin(admin.ModelAdmin):
    """Fees are national: headquarters keeps the table, offices read it."""

    list_display = ["name", "name_en", "code", "amount", "valid_from", "valid_until", "regulation"]
    list_filter = ["code"]
    fields = ["code", "name", "name_en", "amount", "valid_from", "valid_until", "regulation"]

    def has_add_permission(self, request):
        return sees_all_offices(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CounterCall)
class CounterCallAdmin(
    OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    """Who was called to which counter, when: read-only, written by "call next"."""

    list_display = ["called_at", "office", "counter", "number_display", "called_by"]
    office_time_fields = ("called_at",)
    list_filter = ["date", "counter", "office"]
    list_select_related = ["office", "booking", "ticket", "called_by"]

    @admin.display(description=_("queue number"))
    def number_display(self, call):
        return call.number


@admin.register(CounterService)
class CounterServiceAdmin(ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    """Who served which booking at which counter, in turn or why not: read-only,
    written by the submission service, so nobody at the desk can hide an exception."""

    list_display = [
        "served_time",
        "office",
        "counter",
        "number",
        "actor_label",
        "in_turn",
        "out_of_turn_reason",
        "out_of_turn_note",
    ]
    list_filter = ["date", "in_turn", "out_of_turn_reason", "counter", "office"]
    list_select_related = ["office", "booking"]
    date_hierarchy = "date"

    @admin.display(description=_("queue number"), ordering="booking__queue_seq")
    def number(self, service):
        return service.booking.queue_number

    @admin.display(description=_("served at"), ordering="served_at")
    def served_time(self, service):
        return localtime.local_text(service.served_at, service.office, localtime.DATETIME)
