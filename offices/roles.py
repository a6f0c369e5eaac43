"""The staff roles of an office as Django groups, with the model permissions each needs.

Permissions say what kind of thing a role may touch; `offices.scoping` says which
office's things. Both must allow an action.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

DESK, SUPERVISOR, INSPECTOR = "desk", "supervisor", "inspector"

ROLE_GROUPS = {DESK: "Petugas loket", SUPERVISOR: "Supervisor", INSPECTOR: "Inspektur"}

_VIEW_OFFICE = [
    "offices.view_office",
    "offices.view_slot",
    "offices.view_openinghours",
    "offices.view_closure",
    "offices.view_capacityoverride",
]
_DESK = [
    *_VIEW_OFFICE,
    "bookings.view_booking",
    "bookings.change_booking",
    "bookings.view_bookingevent",
    "bookings.view_priorityticket",
    "bookings.add_priorityticket",
    "bookings.view_fee",
    "bookings.view_countercall",
    "bookings.view_counterservice",
]
_COMPLAINTS = [
    "complaints.view_complaint",
    "complaints.change_complaint",
    "complaints.view_evidence",
    "complaints.view_complaintevent",
]
ROLE_PERMISSIONS = {
    DESK: _DESK,
    SUPERVISOR: [
        *_DESK,
        "offices.change_office",
        "offices.add_openinghours",
        "offices.change_openinghours",
        "offices.delete_openinghours",
        "offices.add_closure",
        "offices.delete_closure",
        "offices.add_capacityoverride",
        "offices.change_capacityoverride",
        "offices.delete_capacityoverride",
        *_COMPLAINTS,
    ],
    INSPECTOR: [*_DESK, *_COMPLAINTS, "complaints.view_contactaccess"],
}


def _permissions(names: list[str]) -> list[Permission]:
    wanted = {tuple(name.split(".")) for name in names}
    found = [
        p
        for p in Permission.objects.select_related("content_type")
        if (p.content_type.app_label, p.codename) in wanted
    ]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    if missing:
        raise LookupError(f"unknown permissions: {sorted(missing)}")
    return found


@transaction.atomic
def ensure_role_groups() -> dict[str, Group]:
    """Create or refresh the role groups; safe to run on every deploy."""
    groups = {}
    for role, name in ROLE_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))
        groups[role] = group
    return groups
