"""The outbox and the inbound messages, for staff: status, attempts, last error, and a
retry action for failed messages. Nothing is edited by hand."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from immigration.admin_mixins import ReadOnlyAdminMixin
from notifications.models import InboundMessage, MessageStatus, OutboundMessage
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


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "kind", "to", "status", "attempts", "last_error", "subject"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["subject", "to", "provider_message_id"]
    date_hierarchy = "created_at"
    actions = [retry_messages]
    exclude = ["image_png", "dedupe_key", "claimed_at"]

    def has_change_permission(self, request, obj=None):
        # Needed for the retry action; the fields themselves are read-only.
        return obj is None and request.user.has_perm("notifications.change_outboundmessage")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "sender", "office_code", "text", "reply"]
    list_filter = ["office_code"]
    search_fields = ["sender", "provider_message_id"]
    date_hierarchy = "received_at"
