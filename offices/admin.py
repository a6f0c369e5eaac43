"""Admin for offices: officers see only their own office; headquarters sees all.

Changes to hours, overrides and closures are checked against the slots already
booked before they are saved, and the existing slot rows are then re-planned through
the services, so the admin can never leave a booked applicant without a place.
"""

import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from immigration.admin_mixins import ReadOnlyAdminMixin
from immigration.errors import DomainError
from offices import localtime, schedule
from offices.models import (
    ApiClient,
    CapacityOverride,
    Closure,
    Office,
    OfficerProfile,
    OpeningHours,
    Slot,
)
from offices.scoping import offices_for_user, scope_to_user, sees_all_offices
from offices.selectors import office_calendar
from offices.services import (
    capacity_conflicts,
    capacity_overrides_save,
    closure_create,
    closure_refusal,
    office_resync_slots,
    override_overlap_refusal,
)


class OfficeScopedAdminMixin:
    """For admins of models that belong to an office: list and edit only the rows of
    the officer's office, and offer only that office in office choices."""

    office_lookup = "office"

    def get_queryset(self, request):
        return scope_to_user(super().get_queryset(request), request.user, self.office_lookup)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Office:
            kwargs["queryset"] = offices_for_user(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _office_through(obj, path: str) -> Office | None:
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def local_time_column(field: str, description, *, office: str = "office", fmt=localtime.DATETIME):
    """An admin column or read-only field showing the datetime `field` on the row's
    office clock with its label ("4 Des 2026 09:00 WITA"); `office` is the path to the
    office ("complaint__office"). Sorts by the stored instant."""

    def column(*args):
        # Called as a method (read-only field, `modeladmin, obj`) or, in a list built
        # by get_list_display, as a plain callable (`obj`).
        obj = args[-1]
        value = getattr(obj, field)
        place = _office_through(obj, office)
        if value is None or place is None:
            return "-"
        return localtime.local_text(value, place, fmt)

    column.__name__ = f"{field}_local"
    column.short_description = description
    column.admin_order_field = field
    return column


class OfficeTimeAdminMixin:
    """Admin screens in the office's own time, never UTC or the server's zone.

    List columns named in `office_time_fields` are shown by `local_time_column` (each
    row in its own office's zone, with the label). A change page activates the zone of
    the object's office (`office_time_path`), so its read-only times and inlines read
    as the office reads them."""

    office_time_fields: tuple[str, ...] = ()
    office_time_path = "office"

    def get_list_display(self, request):
        columns = []
        for name in super().get_list_display(request):
            if isinstance(name, str) and name in self.office_time_fields:
                label = self.model._meta.get_field(name).verbose_name
                name = local_time_column(name, label, office=self.office_time_path)
            columns.append(name)
        return columns

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        with localtime.office_zone_active(_office_through(obj, self.office_time_path)):
            response = super().change_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # inside the zone: a TemplateResponse renders late
        return response


def _kept_instances(formset) -> list:
    return [
        form.instance
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class _CalendarFormSet(BaseInlineFormSet):
    """Refuses hours or overrides that would shrink or remove booked slots."""

    def proposed_calendar(self, kept) -> schedule.OfficeCalendar:
        raise NotImplementedError

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        calendar = self.proposed_calendar(_kept_instances(self))
        conflicts = capacity_conflicts(calendar=calendar)
        if conflicts:
            raise ValidationError(
                _("This change would leave booked applicants without a place: %(list)s"),
                params={"list": "; ".join(c.describe(self.instance) for c in conflicts)},
            )


def _current_calendar(office: Office) -> schedule.OfficeCalendar:
    return office_calendar(office=office, start=dt.date.min, end=dt.date.max)


class OpeningHoursFormSet(_CalendarFormSet):
    def proposed_calendar(self, kept):
        current = _current_calendar(self.instance)
        hours = {h.weekday: h for h in kept}
        for hours_row in hours.values():
            hours_row.office = self.instance
        return schedule.OfficeCalendar(self.instance, hours, current.overrides, current.closures)


class CapacityOverrideFormSet(_CalendarFormSet):
    def clean(self):
        kept = [
            form.instance
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("starts_on")
            and form.cleaned_data.get("ends_on")
        ]
        refusal = override_overlap_refusal(kept)
        if refusal is not None:
            raise ValidationError(refusal.message)
        super().clean()

    def proposed_calendar(self, kept):
        current = _current_calendar(self.instance)
        return schedule.OfficeCalendar(self.instance, current.hours, tuple(kept), current.closures)


class ClosureFormSet(BaseInlineFormSet):
    """Shows `closure_refusal`, the rule `closure_create` applies, on the form."""

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        for form in self.extra_forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            refusal = closure_refusal(
                office=self.instance, date=data["date"], reason=data.get("reason", "")
            )
            if refusal is None:
                continue
            for field, errors in (refusal.fields or {"date": [refusal.message]}).items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    formset = OpeningHoursFormSet
    extra = 0
    max_num = 7


class CapacityOverrideInline(admin.TabularInline):
    model = CapacityOverride
    formset = CapacityOverrideFormSet
    extra = 0


class ClosureInline(admin.TabularInline):
    """Closures are added here (through `closure_create`) and reopened by deleting."""

    model = Closure
    formset = ClosureFormSet
    extra = 0
    fields = ["date", "reason", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]

    def has_change_permission(self, request, obj=None):
        # A closure is a fact with a date; change it by deleting and adding.
        return False


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "city", "province", "timezone", "is_active"]
    list_filter = ["is_active", "timezone", "province", "office_class"]
    search_fields = ["name", "code", "city", "province"]
    inlines = [OpeningHoursInline, CapacityOverrideInline, ClosureInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "office_class", "is_active"]}),
        (_("Location"), {"fields": ["address", "city", "province", "timezone", "phone"]}),
        (
            _("WhatsApp"),
            {
                "fields": [
                    "whatsapp_number",
                    "whatsapp_number_is_placeholder",
                    "whatsapp_phone_number_id",
                ]
            },
        ),
        (
            _("Booking"),
            {
                "fields": [
                    "slot_minutes",
                    "priority_quota",
                    "booking_window_days",
                    "release_time",
                    "same_day_cutoff",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return scope_to_user(super().get_queryset(request), request.user, "pk")

    def get_readonly_fields(self, request, obj=None):
        # Only headquarters renames offices or moves them between zones: codes are in
        # URLs and API clients, and the zone decides every booking time.
        if obj is not None and not sees_all_offices(request.user):
            return ["code", "name", "office_class", "timezone", "whatsapp_phone_number_id"]
        return []

    def has_add_permission(self, request):
        return sees_all_offices(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_delete_permission(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is CapacityOverride:
            changed = formset.save(commit=False)  # fills deleted_objects, saves nothing
            try:
                capacity_overrides_save(
                    office=form.instance, save=changed, delete=formset.deleted_objects
                )
            except DomainError as exc:
                raise _AdminRefusal(exc.message) from exc
            return None
        if formset.model is not Closure:
            return super().save_formset(request, form, formset, change)
        new_closures = formset.save(commit=False)  # fills deleted_objects, saves nothing
        for closure in formset.deleted_objects:
            closure.delete()
        for closure in new_closures:
            try:
                closure_create(
                    office=form.instance,
                    date=closure.date,
                    reason=closure.reason,
                    created_by=request.user,
                )
            except DomainError as exc:
                raise _AdminRefusal(exc.message) from exc
        return None

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        try:
            office_resync_slots(office=form.instance)
        except DomainError as exc:
            raise _AdminRefusal(exc.message) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _AdminRefusal as refusal:
            # Only a booking racing this save gets here (the formsets checked first);
            # the admin's transaction has rolled back, so nothing of this save was kept.
            self.message_user(request, refusal.message, messages.ERROR)
            return HttpResponseRedirect(request.path)


class _AdminRefusal(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@admin.register(Slot)
class SlotAdmin(OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    """Read-only: slots change only through the calendar services and bookings."""

    list_display = ["office", "date", "starts_at", "capacity", "booked"]
    office_time_fields = ("starts_at",)
    list_filter = ["office", "date"]
    list_select_related = ["office"]
    date_hierarchy = "date"


@admin.register(OfficerProfile)
class OfficerProfileAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "office", "is_headquarters"]
    list_filter = ["is_headquarters", "office"]
    list_select_related = ["user", "office"]
    autocomplete_fields = ["user", "office"]
    search_fields = ["user__username", "office__name"]

    # Only headquarters assigns officers to offices.
    def has_module_permission(self, request):
        return sees_all_offices(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return sees_all_offices(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_delete_permission(request, obj)


@admin.action(description=_("Revoke the selected keys (cannot be undone)"))
def revoke_keys(modeladmin, request, queryset):
    revoked = queryset.filter(revoked=False).update(revoked=True)
    modeladmin.message_user(request, _("%(n)d key(s) revoked.") % {"n": revoked}, messages.SUCCESS)


@admin.register(ApiClient)
class ApiClientAdmin(APIKeyModelAdmin):
    """Integrators' keys: the key is shown once on creation; revoke rather than delete,
    so the name and last use stay on record. Headquarters only: a key may act for
    every office."""

    list_display = [*APIKeyModelAdmin.list_display, "office", "scopes", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "revoked", "office"]
    actions = [revoke_keys]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "last_used_at"]

    def has_module_permission(self, request):
        return sees_all_offices(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return sees_all_offices(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return sees_all_offices(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


# The library's own key model is unused: integrators' keys are ApiClient rows.
admin.site.unregister(APIKey)
