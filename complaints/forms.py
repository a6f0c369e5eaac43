"""The public report form and the reporter's add-information form (pages)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.evidence import MAX_FILES
from complaints.models import Category
from offices.models import Office


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to MAX_FILES files; the content itself is checked by complaints.evidence."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_FILES:
            raise forms.ValidationError(_("At most %(max)d files per report.") % {"max": MAX_FILES})
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _office_choices():
    groups: dict[str, list] = {}
    for office in Office.objects.filter(is_active=True).order_by("province", "name"):
        groups.setdefault(office.province, []).append((office.code, office.name))
    return [("", _("Choose the office")), *groups.items()]


class ReportForm(forms.Form):
    office = forms.ChoiceField(label=_("Office"))
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=Category.choices, widget=forms.RadioSelect
    )
    description = forms.CharField(
        label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000
    )
    occurred_on = forms.DateField(
        label=_("When (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    occurred_where = forms.CharField(
        label=_("Where (e.g. counter 3, parking lot)"), required=False, max_length=200
    )
    person_involved = forms.CharField(
        label=_("Staff member or broker involved (optional)"), required=False, max_length=200
    )
    about_supervisor = forms.BooleanField(
        label=_("The person involved is a supervisor or the head of the office"), required=False
    )
    booking_code = forms.CharField(
        label=_("Related booking code (optional)"), required=False, max_length=20
    )
    evidence = MultipleFileField(
        label=_("Evidence: photos or PDF, up to 5 files of 10 MB"), required=False
    )
    reporter_name = forms.CharField(label=_("Your name (optional)"), required=False, max_length=100)
    reporter_phone = forms.CharField(
        label=_("Your WhatsApp number (optional)"), required=False, max_length=32
    )
    reporter_email = forms.EmailField(label=_("Your e-mail (optional)"), required=False)
    # A field people never see; bots fill it in.
    website = forms.CharField(
        required=False,
        label="",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = _office_choices()


class InformationForm(forms.Form):
    text = forms.CharField(
        label=_("Add information"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )
    evidence = MultipleFileField(label=_("More evidence"), required=False)


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Tracking code"), max_length=20)
