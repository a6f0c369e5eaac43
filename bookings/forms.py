"""The booking page's form. Field names are the API's: office, date, slot, name,
birth_date, phone, nik; family members as family-N-name / -birth_date / -nik."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from bookings.applicant import (
    normalise_booking_phone,
    validate_birth_date,
    validate_name,
    validate_nik,
)
from bookings.models import ServiceType
from bookings.priority import CLAIM_CHOICES
from immigration.errors import DomainError


class ErrorSummaryMixin:
    """A list of every error for the top of the form, each linked to its field, so a
    person on a phone sees at once that something is wrong and can jump to it."""

    def field_summary_label(self, name: str):
        return self.fields[name].label

    def error_summary(self) -> list[dict]:
        items = [{"anchor": "", "label": "", "message": e} for e in self.non_field_errors()]
        for name, field in self.fields.items():
            if name not in self.errors or field.widget.is_hidden:
                continue
            for message in self.errors[name]:
                items.append(
                    {
                        "anchor": self[name].auto_id,
                        "label": self.field_summary_label(name),
                        "message": message,
                    }
                )
        hidden = [
            m for n, f in self.fields.items() if f.widget.is_hidden for m in self.errors.get(n, [])
        ]
        items.extend({"anchor": "", "label": "", "message": m} for m in hidden)
        return items


def _rule(check, value):
    """Ask the service layer's rule about one field, so every error shows at once
    (the service asks the same rule again when booking)."""
    try:
        check(value)
    except DomainError as exc:
        raise forms.ValidationError(
            [str(m) for errors in exc.fields.values() for m in errors] or [str(exc.message)]
        ) from exc
    return value


BIRTH_DATE_ERRORS = {
    "required": _("Type the birth date: day, month and year."),
    "invalid": _("Type the birth date as day, month and year, such as 17-06-1978."),
}


def _slot_choice(value: str) -> int | str:
    """A slot id, or a planned time of a day without slot rows yet
    (`offices.services.planned_slot_value`), which the booking's POST resolves."""
    return int(value) if value.isdigit() else value


class BookingForm(ErrorSummaryMixin, forms.Form):
    office = forms.SlugField(widget=forms.HiddenInput)
    date = forms.DateField(widget=forms.HiddenInput)
    slot = forms.TypedChoiceField(
        label=_("Time"), coerce=_slot_choice, required=False, widget=forms.RadioSelect
    )
    service = forms.ChoiceField(
        label=_("Service"), choices=ServiceType.choices, initial=ServiceType.NEW
    )
    name = forms.CharField(
        label=_("Full name (as on your KTP)"),
        max_length=200,
        error_messages={"required": _("Type the full name as written on the KTP.")},
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=BIRTH_DATE_ERRORS,
    )
    phone = forms.CharField(
        label=_("Your WhatsApp number"),
        max_length=32,
        help_text=_("An Indonesian mobile number: the confirmation comes by WhatsApp."),
        error_messages={"required": _("Type your WhatsApp number, such as 0812 3456 7890.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    nik = forms.CharField(
        label=_("NIK (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    priority = forms.ChoiceField(
        label=_("Priority need"),
        choices=CLAIM_CHOICES,
        required=False,
        help_text=_(
            "Priority places are kept for disabled people and pregnant women (and, from "
            "the birth date, people over 60 and children under 5). The officer checks it "
            "at the door."
        ),
    )
    # Never shown to people; bots fill it in.
    website = forms.CharField(
        required=False,
        label="",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, slots=(), today=None, **kwargs):
        """`today`: the office's date, to check birth dates as the service will."""
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["slot"].choices = [("", _("The earliest time with room")), *list(slots)]
        for index in range(settings.BOOKING_FAMILY_MAX - 1):
            self.fields[f"family-{index}-name"] = forms.CharField(
                label=_("Name"), max_length=200, required=False
            )
            self.fields[f"family-{index}-birth_date"] = forms.DateField(
                label=_("Birth date"),
                required=False,
                error_messages=BIRTH_DATE_ERRORS,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"family-{index}-nik"] = forms.CharField(
                label=_("NIK (optional)"), max_length=32, required=False
            )
            self.fields[f"family-{index}-priority"] = forms.ChoiceField(
                label=_("Priority need"), choices=CLAIM_CHOICES, required=False
            )

    def applicant_fields(self):
        return [
            self[name] for name in ("service", "name", "birth_date", "phone", "nik", "priority")
        ]

    def family_rows(self):
        """The family fields, grouped per person, for the template."""
        return [
            [self[f"family-{index}-{part}"] for part in ("name", "birth_date", "nik", "priority")]
            for index in range(settings.BOOKING_FAMILY_MAX - 1)
        ]

    def field_summary_label(self, name: str):
        if name.startswith("family-"):
            index = int(name.split("-")[1])
            return _("Person %(number)d: %(field)s") % {
                "number": index + 2,
                "field": self.fields[name].label,
            }
        return super().field_summary_label(name)

    def family_has_input(self) -> bool:
        """Whether the family section must show open (something typed or wrong in it)."""
        return any(
            name.startswith("family-") and (self.errors.get(name) or self.data.get(name))
            for name in self.fields
        ) or any(name.startswith("family-") and value for name, value in self.initial.items())

    def clean_name(self):
        return _rule(validate_name, self.cleaned_data["name"])

    def clean_phone(self):
        return _rule(normalise_booking_phone, self.cleaned_data["phone"])

    def clean(self):
        data = super().clean()
        for index in range(settings.BOOKING_FAMILY_MAX - 1):
            name, birth = data.get(f"family-{index}-name"), data.get(f"family-{index}-birth_date")
            if name and not birth:
                self.add_error(
                    f"family-{index}-birth_date", _("Type this person's birth date too.")
                )
            if birth and not name:
                self.add_error(f"family-{index}-name", _("Type this person's name too."))
            if name and f"family-{index}-name" not in self.errors:
                self._ask(f"family-{index}-name", validate_name, name)
        self._check_births_and_niks(data)
        return data

    def _ask(self, field: str, check, *args, **kwargs) -> None:
        """Put the service rule's refusal beside `field` (each person's own fields, where
        the service, refusing one person at a time, can only name "birth_date")."""
        try:
            check(*args, **kwargs)
        except DomainError as exc:
            messages = [m for errors in exc.fields.values() for m in errors] or [exc.message]
            for message in messages:
                self.add_error(field, str(message))

    def _check_births_and_niks(self, data) -> None:
        rows = [("birth_date", "nik")] + [
            (f"family-{i}-birth_date", f"family-{i}-nik")
            for i in range(settings.BOOKING_FAMILY_MAX - 1)
        ]
        for birth_field, nik_field in rows:
            birth = data.get(birth_field)
            if birth is None:
                continue
            if self.today is not None:
                self._ask(birth_field, validate_birth_date, birth, today=self.today)
            if data.get(nik_field) and nik_field not in self.errors:
                self._ask(nik_field, validate_nik, data[nik_field], birth_date=birth)

    def family(self) -> list[tuple[str, object, str, str]]:
        """(name, birth date, NIK, priority claim) of each family member typed."""
        data = self.cleaned_data
        return [
            (
                data[f"family-{i}-name"],
                data[f"family-{i}-birth_date"],
                data.get(f"family-{i}-nik") or "",
                data.get(f"family-{i}-priority") or "",
            )
            for i in range(settings.BOOKING_FAMILY_MAX - 1)
            if data.get(f"family-{i}-name") and data.get(f"family-{i}-birth_date")
        ]


class LookupForm(ErrorSummaryMixin, forms.Form):
    code = forms.CharField(
        label=_("Booking code"),
        max_length=20,
        error_messages={"required": _("Type the booking code, such as ABCD-2345.")},
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages=BIRTH_DATE_ERRORS,
    )
