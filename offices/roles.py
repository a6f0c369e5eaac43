"""The staff roles of an office as Django groups, with the model permissions each needs.

`may(user, permission)` is the one question every staff entry point asks.

Permissions say what kind of thing a role may touch; `offices.scoping` says which
office's things. Both must allow an action.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

DESK, SUPERVISOR, INSPECTOR = "desk", "supervisor", "inspector"

# What an officer may do with bookings, in one place. Every entry point asks these
# (admin actions, the desk pages, the staff API), so a role means the same everywhere:
# an inspector reads, a desk officer moves bookings and issues walk-in tickets.
VIEW_BOOKINGS = "bookings.view_booking"
MOVE_BOOKINGS = "bookings.change_booking"  # check in, submission, payment, cancel...
ISSUE_TICKETS = "bookings.add_priorityticket"

ROLE_GROUPS = {DESK: "Petugas loket", SUPERVISOR: "Supervisor", INSPECTOR: "Inspektur"}

_VIEW_OFFICE = [
    "offices.view_office",
    "offices.view_slot",
    "offices.view_openinghours",
    "offices.view_closure",
    "offices.view_capacityoverride",
]
_READ_BOOKINGS = [
    *_VIEW_OFFICE,
    VIEW_BOOKINGS,
    "bookings.view_bookingevent",
    "bookings.view_priorityticket",
    "bookings.view_fee",
    "bookings.view_countercall",
    "bookings.view_counterservice",
    "waitlist.view_waitlistrequest",
    "waitlist.view_waitlistperson",
    "waitlist.view_waitlistoffer",
    "waitlist.view_priorityquota",
    "waitlist.view_priorityday",
    "release.view_releasepolicy",
    "release.view_draw",
    "release.view_drawentry",
    "release.view_drawevent",
]
_DESK = [*_READ_BOOKINGS, MOVE_BOOKINGS, ISSUE_TICKETS]
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
        "waitlist.add_priorityquota",
        "waitlist.change_priorityquota",
        "waitlist.delete_priorityquota",
        "release.add_releasepolicy",
        "release.change_releasepolicy",
        *_COMPLAINTS,
    ],
    # Inspectors audit: they read every office's bookings and move none.
    INSPECTOR: [*_READ_BOOKINGS, *_COMPLAINTS, "complaints.view_contactaccess"],
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


def may(user, permission: str) -> bool:
    """Whether an active staff user holds `permission` (through a role or directly)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(permission)
    )
