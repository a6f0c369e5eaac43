"""The outbox and the inbound messages, for operators: status, attempts, last error,
and a retry action for failed messages. Nothing is edited by hand.

These tables hold every office's applicants' numbers and texts and belong to no office
row this app may know of, so they are for superusers (operations) only, whatever
permissions an officer holds; an office reads a booking's conversation on the booking.
"""

from django.contrib import admin, messages
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


@admin.register(OutboundMessage)
class OutboundMessageAdmin(OperatorsOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "status", "attempts", "last_error", "subject"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["subject", "to", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = [retry_messages]
    exclude = ["image_png", "dedupe_key", "claimed_at"]

    def has_change_permission(self, request, obj=None):
        # Needed for the retry action; the fields themselves are read-only.
        return obj is None and request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]


@admin.action(description=_("Process the selected parked messages again"))
def retry_inbound(modeladmin, request, queryset):
    retried = inbox_retry(
        ids=list(queryset.filter(state=InboundState.PARKED).values_list("pk", flat=True))
    )
    modeladmin.message_user(
        request, _("%(n)d message(s) queued again.") % {"n": retried}, messages.SUCCESS
    )


@admin.register(InboundMessage)
class InboundMessageAdmin(OperatorsOnlyAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The state filter shows the webhook's inbox: pending (waiting for the worker) and
    parked (failed INBOX_MAX_ATTEMPTS times: the reason in `last_error`, by exception
    type only). A message's text shows once processed: until then it is what was
    received, which for a report belongs to the complaints app only."""

    list_display = [
        "received_at",
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

    def get_exclude(self, request, obj=None):
        return ["text"] if obj is not None and obj.state != InboundState.DONE else []
