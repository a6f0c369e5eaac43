"""The supervisors' and inspectors' desk for complaints, in the admin.

Scoped by `complaints.scoping`; nothing is edited directly: a case moves only through
the transition form (which calls `complaint_transition`), and every display of the
reporter's contact details is logged.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import BooleanField, ExpressionWrapper
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint, ComplaintEvent, ComplaintStatus, ContactAccess
from complaints.scoping import complaints_for_user, is_inspector
from complaints.selectors import complaints_monthly_report
from complaints.services import (
    TRANSITIONS,
    complaint_contact_shown,
    complaint_transition,
    overdue_condition,
)
from immigration.admin_mixins import ReadOnlyAdminMixin
from immigration.errors import DomainError
from offices.admin import OfficeTimeAdminMixin


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(overdue_condition())
        return queryset


class ComplaintEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = [
        "created_at",
        "from_status",
        "to_status",
        "actor",
        "by_reporter",
        "internal_note",
        "public_note",
    ]
    readonly_fields = fields


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("new status"))
    internal_note = forms.CharField(
        label=_("internal note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    public_note = forms.CharField(
        label=_("public note (shown to the reporter)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(self, *args, complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [
            (s, ComplaintStatus(s).label) for s in sorted(TRANSITIONS.get(complaint.status, ()))
        ]


@admin.register(Complaint)
class ComplaintAdmin(OfficeTimeAdminMixin, admin.ModelAdmin):
    office_time_fields = ("received_at",)
    list_display = [
        "tracking_code",
        "office",
        "category",
        "status",
        "received_at",
        "triage_due",
        "follow_up_due",
        "is_overdue",
    ]
    list_filter = [OverdueFilter, "status", "category", "office"]
    list_select_related = ["office"]
    search_fields = ["tracking_code", "booking_code"]
    date_hierarchy = "received_at"
    inlines = [ComplaintEventInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "tracking_code",
                    "office",
                    "category",
                    "status",
                    "about_supervisor",
                    "assigned_to",
                    "workflow",
                ]
            },
        ),
        (
            _("Report"),
            {
                "fields": [
                    "occurred_on",
                    "occurred_where",
                    "description",
                    "person_involved",
                    "booking_code",
                    "evidence_links",
                ]
            },
        ),
        (_("Reporter"), {"fields": ["contact"]}),
        (
            _("Deadlines"),
            {
                "fields": [
                    "received_at",
                    "triage_due",
                    "follow_up_due",
                    "triaged_at",
                    "concluded_at",
                    "closed_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=complaints_for_user(request.user).values("pk"))
            .annotate(overdue=ExpressionWrapper(overdue_condition(), output_field=BooleanField()))
        )

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("overdue"), boolean=True)
    def is_overdue(self, complaint):
        return complaint.overdue

    @admin.display(description=_("contact details"))
    def contact(self, complaint):
        if not complaint.has_contact:
            return _("Anonymous")
        return format_html(
            "{}<br>{}<br>{}",
            complaint.reporter_name or "-",
            complaint.reporter_phone or "-",
            complaint.reporter_email or "-",
        )

    @admin.display(description=_("evidence"))
    def evidence_links(self, complaint):
        files = complaint.evidence.all()
        return (
            format_html_join(
                ", ",
                '<a href="{}">{}</a>',
                ((reverse("complaint-evidence", args=[e.pk]), e.original_name) for e in files),
            )
            or "-"
        )

    @admin.display(description=_("workflow"))
    def workflow(self, complaint):
        url = reverse("admin:complaints_complaint_transition", args=[complaint.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Move this case"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # The change page shows the contact details: a page drawn (rendered by
        # OfficeTimeAdminMixin) is one showing, logged once; a redirect (another
        # office's case, a save) showed nothing.
        if response.status_code == 200 and hasattr(response, "render"):
            complaint = self.get_object(request, unquote(object_id))
            if complaint is not None:
                complaint_contact_shown(complaint=complaint, user=request.user, where="admin")
        return response

    def get_urls(self):
        return [
            path(
                "<int:pk>/transition/",
                self.admin_site.admin_view(self.transition_view),
                name="complaints_complaint_transition",
            ),
            path(
                "report/",
                self.admin_site.admin_view(self.report_view),
                name="complaints_complaint_report",
            ),
            *super().get_urls(),
        ]

    def transition_view(self, request, pk):
        complaint = self.get_queryset(request).filter(pk=pk).first()
        if complaint is None or not request.user.has_perm("complaints.change_complaint"):
            raise Http404
        form = TransitionForm(request.POST or None, complaint=complaint)
        if request.method == "POST" and form.is_valid():
            try:
                complaint_transition(
                    complaint=complaint,
                    to=form.cleaned_data["to"],
                    actor=request.user,
                    internal_note=form.cleaned_data["internal_note"],
                    public_note=form.cleaned_data["public_note"],
                )
            except DomainError as exc:
                form.add_error("to", exc.message)
            else:
                self.message_user(request, _("The case has moved."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:complaints_complaint_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "complaint": complaint,
            "form": form,
            "title": _("Move case %(code)s") % {"code": complaint.tracking_code},
            "opts": self.model._meta,
            "inspector": is_inspector(request.user),
        }
        return TemplateResponse(request, "admin/complaints/transition.html", context)

    def report_view(self, request):
        """The monthly report of the cases this user handles (`complaints_monthly_report`)."""
        now = timezone.now()
        context = {
            **self.admin_site.each_context(request),
            "rows": complaints_monthly_report(scope=self.get_queryset(request), now=now),
            "title": _("Complaints by office and month"),
            "opts": self.model._meta,
            "generated": now,
        }
        return TemplateResponse(request, "admin/complaints/report.html", context)


@admin.register(ContactAccess)
class ContactAccessAdmin(OfficeTimeAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who saw which reporter's contact details: for inspectors only."""

    list_display = ["at", "user", "complaint", "where"]
    list_select_related = ["user", "complaint__office"]
    office_time_fields = ("at",)
    office_time_path = "complaint__office"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if is_inspector(request.user) else queryset.none()
