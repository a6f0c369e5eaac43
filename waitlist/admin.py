"""Admin of waiting lists, offers and priority quotas: scoped to the officer's office.
Lists and offers are read-only (only the services write them); an officer may take a
request off its list by an action that calls the service. Quotas are data the office
sets, from a date."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from immigration.admin_mixins import ReadOnlyAdminMixin
from immigration.errors import DomainError
from offices.admin import OfficeScopedAdminMixin, OfficeTimeAdminMixin
from offices.roles import MOVE_BOOKINGS, may
from waitlist.models import (
    PriorityDay,
    PriorityQuota,
    WaitlistOffer,
    WaitlistPerson,
    WaitlistRequest,
)
from waitlist.services import waitlist_leave, waitlist_position


class WaitlistPersonInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WaitlistPerson
    fields = ["name", "birth_date", "nik", "priority"]
    readonly_fields = fields
    extra = 0


class WaitlistOfferInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WaitlistOffer
    fields = ["state", "places", "offered_at", "expires_at", "closed_at"]
    readonly_fields = fields
    extra = 0


@admin.action(description=_("Take the selected requests off their list"), permissions=["move"])
def leave_list(modeladmin, request, queryset):
    done = 0
    for item in queryset.select_related("office"):
        try:
            waitlist_leave(request=item)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{item.display_ref}: {exc.message}", messages.WARNING)
    if done:
        modeladmin.message_user(
            request,
            ngettext("%(n)d request taken off.", "%(n)d requests taken off.", done) % {"n": done},
            messages.SUCCESS,
        )


@admin.register(WaitlistRequest)
class WaitlistRequestAdmin(
    OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    list_display = [
        "display_ref",
        "office",
        "date",
        "position",
        "current_position",
        "state",
        "people_count",
        "joined_at",
    ]
    office_time_fields = ("joined_at",)
    list_filter = ["state", "date", "office"]
    list_select_related = ["office"]
    search_fields = ["ref", "phone", "people__name"]
    date_hierarchy = "date"
    ordering = ["-date", "position"]
    inlines = [WaitlistPersonInline, WaitlistOfferInline]
    actions = [leave_list]
    fields = [
        "display_ref",
        "office",
        "date",
        "state",
        "position",
        "current_position",
        "phone",
        "language",
        "channel",
        "people_count",
        "joined_at",
        "confirm_by",
    ]
    readonly_fields = fields

    @admin.display(description=_("reference"), ordering="ref")
    def display_ref(self, item):
        return item.display_ref

    @admin.display(description=_("position now"))
    def current_position(self, item):
        return waitlist_position(request=item) or "-"

    def has_move_permission(self, request):
        return may(request.user, MOVE_BOOKINGS)


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(
    OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["request", "office", "date", "places", "state", "offered_at", "expires_at"]
    office_time_fields = ("offered_at", "expires_at")
    list_filter = ["state", "date", "office"]
    list_select_related = ["office", "request"]
    fields = [
        "request",
        "office",
        "date",
        "first_booking",
        "places",
        "state",
        "offered_at",
        "expires_at",
        "closed_at",
    ]
    readonly_fields = fields


@admin.register(PriorityQuota)
class PriorityQuotaAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["office", "valid_from", "places", "release_hours"]
    list_filter = ["office"]
    list_select_related = ["office"]
    ordering = ["office", "-valid_from"]


@admin.register(PriorityDay)
class PriorityDayAdmin(
    OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    list_display = ["office", "date", "kept", "release_at", "released_at"]
    office_time_fields = ("release_at", "released_at")
    list_filter = ["office", "date"]
    list_select_related = ["office"]
    fields = list_display
    readonly_fields = list_display
