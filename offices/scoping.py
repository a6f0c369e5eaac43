"""Which offices a staff user may see and manage.

Officers see only their own office; headquarters staff and superusers see all. A staff
user without an officer profile sees nothing: access is granted, never assumed. Every
admin and staff view that shows office data filters through here.
"""

from django.db.models import QuerySet

from offices.models import Office, OfficerProfile


def sees_all_offices(user) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    profile = _profile(user)
    return bool(profile and profile.is_headquarters)


def _profile(user) -> OfficerProfile | None:
    try:
        return user.officer_profile
    except OfficerProfile.DoesNotExist:
        return None


def offices_for_user(user) -> QuerySet[Office]:
    if sees_all_offices(user):
        return Office.objects.all()
    profile = _profile(user) if user.is_authenticated else None
    if profile is None or profile.office_id is None:
        return Office.objects.none()
    return Office.objects.filter(pk=profile.office_id)


def scope_to_user(queryset: QuerySet, user, office_lookup: str = "office") -> QuerySet:
    """Filter any queryset whose rows belong to an office (through `office_lookup`)."""
    if sees_all_offices(user):
        return queryset
    return queryset.filter(**{f"{office_lookup}__in": offices_for_user(user)})
