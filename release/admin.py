"""Admin of the draw: release policies (editable, per office), draws and their entries
(read-only: only the services write them), scoped to the officer's office. A draw's
seed is never shown here before it is revealed on the public page: whoever knew it
during the window could pick entries that win."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from immigration.admin_mixins import ReadOnlyAdminMixin
from offices.admin import OfficeScopedAdminMixin, OfficeTimeAdminMixin, local_time_column
from release.models import Draw, DrawEntry, DrawEvent, ReleasePolicy
from release.services import release_policy_refusal


class ReleasePolicyForm(forms.ModelForm):
    class Meta:
        model = ReleasePolicy
        fields = ["office", "mode", "applies_from", "days_per_release", "draw_window_hours"]

    def clean(self):
        data = super().clean()
        if data.get("office") and data.get("applies_from"):
            refusal = release_policy_refusal(
                office=data["office"], applies_from=data["applies_from"], policy=self.instance
            )
            if refusal:
                raise forms.ValidationError(refusal)
        return data


@admin.register(ReleasePolicy)
class ReleasePolicyAdmin(OfficeScopedAdminMixin, admin.ModelAdmin):
    form = ReleasePolicyForm
    list_display = ["office", "mode", "applies_from", "days_per_release", "draw_window_hours"]
    list_filter = ["mode", "office"]
    list_select_related = ["office"]
    autocomplete_fields = ["office"]


class DrawEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DrawEvent
    fields = ["kind", "detail", "created_at"]
    extra = 0


@admin.register(Draw)
class DrawAdmin(OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin):
    list_display = ["office", "first_day", "last_day", "opens_at", "closes_at", "state"]
    list_filter = ["state", "office"]
    list_select_related = ["office"]
    date_hierarchy = "first_day"
    office_time_fields = ("opens_at", "closes_at")
    inlines = [DrawEventInline]
    readonly_fields = [
        "office",
        "first_day",
        "last_day",
        local_time_column("opens_at", _("window opens")),
        local_time_column("closes_at", _("window closes (draw)")),
        "state",
        "commitment",
        "revealed_seed",
        "capacities",
        local_time_column("committed_at", _("committed at")),
        local_time_column("drawn_at", _("drawn at")),
        local_time_column("finished_at", _("finished at")),
    ]
    fields = readonly_fields

    @admin.display(description=_("seed"))
    def revealed_seed(self, obj: Draw) -> str:
        return obj.seed if obj.revealed else _("(secret until the draw)")


@admin.register(DrawEntry)
class DrawEntryAdmin(
    OfficeTimeAdminMixin, ReadOnlyAdminMixin, OfficeScopedAdminMixin, admin.ModelAdmin
):
    office_lookup = "draw__office"
    office_time_path = "draw__office"
    list_display = [
        "display_reference",
        "draw",
        "pseudonym",
        "people_count",
        "status",
        "result",
        "rank",
        "won_day",
        "waitlist_position",
        "placement",
    ]
    list_filter = ["status", "result", "placement", "draw__office"]
    list_select_related = ["draw", "draw__office"]
    search_fields = ["reference", "pseudonym"]
    exclude = ["people"]
