"""The booking page's form. Field names are the API's: office, date, slot, name,
birth_date, phone, nik; family members as family-N-name / -birth_date / -nik."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bookings.models import ServiceType


class BookingForm(forms.Form):
    office = forms.SlugField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput)
    slot = forms.TypedChoiceField(
        label=_("Time"), coerce=int, required=False, widget=forms.RadioSelect
    )
    service = forms.ChoiceField(
        label=_("Service"), choices=ServiceType.choices, initial=ServiceType.NEW
    )
    name = forms.CharField(label=_("Full name (as on your KTP)"), max_length=200)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(
        label=_("Your WhatsApp number"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    nik = forms.CharField(
        label=_("NIK (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    # Never shown to people; bots fill it in.
    website = forms.CharField(
        required=False,
        label="",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].choices = [("", _("The earliest time with room")), *list(slots)]
        for index in range(settings.BOOKING_FAMILY_MAX - 1):
            self.fields[f"family-{index}-name"] = forms.CharField(
                label=_("Name"), max_length=200, required=False
            )
            self.fields[f"family-{index}-birth_date"] = forms.DateField(
                label=_("Birth date"),
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"family-{index}-nik"] = forms.CharField(
                label=_("NIK (optional)"), max_length=32, required=False
            )

    def applicant_fields(self):
        return [self[name] for name in ("service", "name", "birth_date", "phone", "nik")]

    def family_rows(self):
        """The family fields, grouped per person, for the template."""
        return [
            [self[f"family-{index}-{part}"] for part in ("name", "birth_date", "nik")]
            for index in range(settings.BOOKING_FAMILY_MAX - 1)
        ]

    def clean(self):
        data = super().clean()
        for index in range(settings.BOOKING_FAMILY_MAX - 1):
            name, birth = data.get(f"family-{index}-name"), data.get(f"family-{index}-birth_date")
            if name and not birth:
                self.add_error(f"family-{index}-birth_date", _("Required."))
            if birth and not name:
                self.add_error(f"family-{index}-name", _("Required."))
        return data

    def family(self) -> list[tuple[str, object, str]]:
        data = self.cleaned_data
        return [
            (
                data[f"family-{i}-name"],
                data[f"family-{i}-birth_date"],
                data.get(f"family-{i}-nik") or "",
            )
            for i in range(settings.BOOKING_FAMILY_MAX - 1)
            if data.get(f"family-{i}-name") and data.get(f"family-{i}-birth_date")
        ]


class LookupForm(forms.Form):
    code = forms.CharField(label=_("Booking code"), max_length=20)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
