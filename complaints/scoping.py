"""Who sees which complaints.

Supervisors see their own office's complaints, except those naming a supervisor;
inspectors (headquarters) see every office's; front-desk staff see none. The model
permission says "may handle complaints at all", the office scope says which.
"""

from django.db.models import QuerySet

from complaints.models import Complaint
from offices.scoping import offices_for_user, sees_all_offices


def may_handle_complaints(user) -> bool:
    return bool(
        user.is_authenticated and user.is_active and user.has_perm("complaints.view_complaint")
    )


def is_inspector(user) -> bool:
    return may_handle_complaints(user) and sees_all_offices(user)


def complaints_for_user(user) -> QuerySet[Complaint]:
    if not may_handle_complaints(user):
        return Complaint.objects.none()
    if sees_all_offices(user):
        return Complaint.objects.all()
    return Complaint.objects.filter(office__in=offices_for_user(user), about_supervisor=False)
