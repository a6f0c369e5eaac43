"""The outbox and the inbound messages, for operators: status, attempts, last error,
and a retry action for failed messages. Nothing is edited by hand.

These tables hold every office's applicants' numbers and texts and belong to no office
row this app may know of, so they are for superusers (operations) only, whatever
permissions an officer holds; an office reads a booking's conversation on the booking.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from immigration.admin_mixins import ReadOnlyAdminMixin
from notifications.inbound import inbox_retry
from notifications.models import InboundMessage, InboundState, MessageStatus, OutboundMessage
from notifications.services import outbox_retry


@admin.action(description=_("Send the selected failed messages again"))
def retry_messages(modeladmin, request, queryset):
    retried = 0
    for message in queryset.filter(status=MessageStatus.FAILED):
        outbox_retry(message=message)
        retried += 1
    modeladmin.message_user(
        request, _("%(n)d message(s) queued again.") % {"n": retried}, messages.SUCCESS
    )


class OperatorsOnlyAdminMixin:
    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser


def _local_column(field: str, description):
    """A column or read-only field showing `field` as the message's office reads it."""

    def column(modeladmin, obj):
        return modeladmin.local_times([obj])[0][field]

    column.__name__ = f"{field}_local"
    column.short_description = description
    column.admin_order_field = field
    return column


def _local_columns(admin_class):
    """Give `admin_class` a `<field>_local` column for each of its `time_fields`."""
    for field in admin_class.time_fields:
        label = admin_class.model._meta.get_field(field).verbose_name
        setattr(admin_class, f"{field}_local", _local_column(field, label))
    return admin_class


class OfficeTimesAdminMixin:
    """Every time on these screens in the zone of the message's office with its label
    (WIB, WITA, WIT), never the server's: `time_fields` are shown by `<field>_local`
    columns, formatted by settings.WHATSAPP_MESSAGE_TIMES (offices.localtime; this app
    imports no office). A list page asks for its rows' times in one call."""

    time_fields: tuple[str, ...] = ()

    def office_of(self, obj) -> tuple[str, str]:
        """(the office's code, or its WhatsApp number) the message belongs to."""
        raise NotImplementedError

    def local_times(self, rows) -> list[dict[str, str]]:
        missing = [obj for obj in rows if not hasattr(obj, "_local_times")]
        if missing:
            texts = import_string(settings.WHATSAPP_MESSAGE_TIMES)(
                [
                    (*self.office_of(obj), [getattr(obj, f) for f in self.time_fields])
                    for obj in missing
                ]
            )
            for obj, shown in zip(missing, texts, strict=True):
                obj._local_times = dict(zip(self.time_fields, shown, strict=True))
        return [obj._local_times for obj in rows]

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        self.local_times(changelist.result_list)
        return changelist

    def get_exclude(self, request, obj=None):
        # The stored instants stay off the form: their `_local` columns show them.
        return [*(super().get_exclude(request, obj) or []), *self.time_fields]

    def with_local_times(self, names) -> list[str]:
        """Read-only `names`, each time field replaced by its `_local` column."""
        shown = [f"{n}_local" if n in self.time_fields else n for n in names]
        return shown + [f"{n}_local" for n in self.time_fields if f"{n}_local" not in shown]

    def get_readonly_fields(self, request, obj=None):
        return self.with_local_times(super().get_readonly_fields(request, obj))


@admin.register(OutboundMessage)
@_local_columns
class OutboundMessageAdmin(
    OfficeTimesAdminMixin, OperatorsOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    model = OutboundMessage
    time_fields = (
        "created_at",
        "next_attempt_at",
        "sent_at",
        "delivered_at",
        "read_at",
        "failed_at",
        "personal_data_erased_at",
    )
    list_display = ["created_at_local", "kind", "to", "status", "attempts", "last_error", "subject"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["subject", "to", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = [retry_messages]
    exclude = ["image_png", "dedupe_key", "claimed_at"]

    def has_change_permission(self, request, obj=None):
        # Needed for the retry action; the fields themselves are read-only.
        return obj is None and request.user.is_superuser

    def office_of(self, obj) -> tuple[str, str]:
        return "", obj.sender  # the office's number it went out from

    def get_readonly_fields(self, request, obj=None):
        return self.with_local_times(
            [f.name for f in self.model._meta.fields if f.name not in self.exclude]
        )


@admin.action(description=_("Process the selected parked messages again"))
def retry_inbound(modeladmin, request, queryset):
    retried = inbox_retry(
        ids=list(queryset.filter(state=InboundState.PARKED).values_list("pk", flat=True))
    )
    modeladmin.message_user(
        request, _("%(n)d message(s) queued again.") % {"n": retried}, messages.SUCCESS
    )


@admin.register(InboundMessage)
@_local_columns
class InboundMessageAdmin(
    OfficeTimesAdminMixin, OperatorsOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    """The state filter shows the webhook's inbox: pending (waiting for the worker) and
    parked (failed INBOX_MAX_ATTEMPTS times: the reason in `last_error`, by exception
    type only). A message's text shows once processed: until then it is what was
    received, which for a report belongs to the complaints app only."""

    model = InboundMessage
    time_fields = ("received_at", "claimed_at", "created_at")
    list_display = [
        "received_at_local",
        "state",
        "attempts",
        "last_error",
        "sender",
        "office_code",
        "shown_text",
        "reply",
    ]
    list_filter = ["state", "office_code"]
    search_fields = ["sender", "provider_message_id"]
    date_hierarchy = "received_at"
    actions = [retry_inbound]

    @admin.display(description=_("text"))
    def shown_text(self, obj):
        return obj.text if obj.state == InboundState.DONE else _("(not yet processed)")

    def has_change_permission(self, request, obj=None):
        # Needed for the action; the fields themselves are read-only.
        return obj is None and request.user.is_superuser

    def office_of(self, obj) -> tuple[str, str]:
        return obj.office_code, ""

    def get_exclude(self, request, obj=None):
        unread = ["text"] if obj is not None and obj.state != InboundState.DONE else []
        return [*super().get_exclude(request, obj), *unread]
