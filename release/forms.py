"""The draw's entry form: up to BOOKING_FAMILY_MAX people (person-N-name / -birth_date /
-nik, the first required), one to three days of the release in order (day-1..3), the
WhatsApp number and the service. Only the shape is checked here; the rules are asked
of release.services.draw_enter."""

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bookings.forms import ErrorSummaryMixin
from bookings.models import ServiceType


class DrawEntryForm(ErrorSummaryMixin, forms.Form):
    phone = forms.CharField(label=_("WhatsApp number"), max_length=30)
    service = forms.ChoiceField(label=_("Service"), choices=ServiceType.choices)

    def __init__(self, *args, days: list[dt.date], day_labels: dict, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "-")] + [(d.isoformat(), day_labels[d]) for d in days]
        for index in range(1, 4):
            self.fields[f"day-{index}"] = forms.ChoiceField(
                label=_("Day, choice %(n)d") % {"n": index},
                choices=choices,
                required=index == 1,
            )
        for index in range(1, settings.BOOKING_FAMILY_MAX + 1):
            first = index == 1
            self.fields[f"person-{index}-name"] = forms.CharField(
                label=_("Name (person %(n)d)") % {"n": index}, max_length=120, required=first
            )
            self.fields[f"person-{index}-birth_date"] = forms.DateField(
                label=_("Birth date (person %(n)d)") % {"n": index},
                required=first,
                input_formats=["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d", "%d%m%Y"],
                # Translators: the order of a typed date: day, month, year.
                widget=forms.TextInput(attrs={"placeholder": _("DD-MM-YYYY")}),
            )
            self.fields[f"person-{index}-nik"] = forms.CharField(
                label=_("NIK (person %(n)d, optional)") % {"n": index},
                max_length=20,
                required=False,
            )

    def _fields_of(self, names) -> list:
        return [self[name] for name in self.fields if name.startswith(names)]

    def request_fields(self) -> list:
        """The phone, the service and the days: shown first."""
        return self._fields_of(("phone", "service", "day-"))

    def first_person_fields(self) -> list:
        return self._fields_of("person-1-")

    def family_fields(self) -> list:
        """People 2 and on: folded away until someone opens them or fills them in."""
        return [
            field for field in self._fields_of("person-") if not field.name.startswith("person-1-")
        ]

    @property
    def family_more(self) -> int:
        return settings.BOOKING_FAMILY_MAX - 1

    def family_given(self) -> bool:
        return any(self.data.get(f.html_name) or f.errors for f in self.family_fields())

    def people(self) -> list[tuple[str, dt.date, str]]:
        rows = []
        for index in range(1, settings.BOOKING_FAMILY_MAX + 1):
            name = self.cleaned_data.get(f"person-{index}-name")
            birth = self.cleaned_data.get(f"person-{index}-birth_date")
            if name or birth:
                if not (name and birth):
                    raise forms.ValidationError(
                        _("Person %(n)d needs both a name and a birth date.") % {"n": index}
                    )
                rows.append((name, birth, self.cleaned_data.get(f"person-{index}-nik") or ""))
        return rows

    def days(self) -> list[dt.date]:
        chosen = [self.cleaned_data.get(f"day-{index}") for index in range(1, 4)]
        return [dt.date.fromisoformat(day) for day in chosen if day]

    def clean(self):
        data = super().clean()
        if not self.errors:
            self.people()
        return data
