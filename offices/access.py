"""Who is calling the staff API: a staff user (session) or an integrator's API key,
and which offices that caller may act for.

Views ask `caller.office_for(code)`: an office outside the caller's reach is answered
as if it did not exist (404), so guessed URLs reveal nothing about other offices.
"""

from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone
from rest_framework.permissions import BasePermission
from rest_framework_api_key.permissions import KeyParser

from offices.models import ApiClient, Office
from offices.scoping import offices_for_user


@dataclass(frozen=True)
class Caller:
    user: object = None
    client: ApiClient | None = None

    @property
    def label(self) -> str:
        return self.user.get_username() if self.user else f"api:{self.client.name}"

    def offices(self):
        if self.user is not None:
            return offices_for_user(self.user)
        if self.client.office_id:
            return Office.objects.filter(pk=self.client.office_id)
        return Office.objects.all()

    def office_for(self, code: str) -> Office:
        office = self.offices().filter(code=code, is_active=True).first()
        if office is None:
            raise Http404
        return office

    def may_act_for(self, office: Office) -> bool:
        return self.offices().filter(pk=office.pk).exists()


def _client_from(request) -> ApiClient | None:
    key = KeyParser().get(request)
    if not key:
        return None
    try:
        client = ApiClient.objects.get_from_key(key)
    except ApiClient.DoesNotExist:
        return None
    if client.has_expired or client.revoked:
        return None
    return client


def staff_or_key(scope: str) -> type[BasePermission]:
    """A permission class: a logged-in staff user with an office (or headquarters), or
    a valid API key holding `scope`. Sets `request.caller`."""

    class StaffOrScopedKey(BasePermission):
        message = f"Staff login or an API key with the '{scope}' scope is required."

        def has_permission(self, request, view):
            user = request.user
            if user and user.is_authenticated and user.is_staff and user.is_active:
                if offices_for_user(user).exists():
                    request.caller = Caller(user=user)
                    return True
                return False
            client = _client_from(request)
            if client is None or not client.has_scope(scope):
                return False
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=timezone.now())
            request.caller = Caller(client=client)
            return True

    StaffOrScopedKey.__name__ = f"StaffOrKey_{scope.replace(':', '_')}"
    return StaffOrScopedKey
