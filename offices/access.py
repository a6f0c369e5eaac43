"""Who is calling the staff API: a staff user (session) or an integrator's API key,
and which offices that caller may act for.

Views ask `caller.office_for(code)`: an office outside the caller's reach is answered
as if it did not exist (404), so guessed URLs reveal nothing about other offices.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework_api_key.permissions import KeyParser

from immigration.compiled import CompiledLookup
from offices.models import ApiClient, Office
from offices.roles import may
from offices.scoping import offices_for_user

# last_used_at is written at most this often per key: the WhatsApp gateway's key calls
# many times a second, and "last used" is read by people deciding whether to revoke.
LAST_USE_RESOLUTION = dt.timedelta(minutes=1)


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


def _record_use(client: ApiClient, now: dt.datetime) -> None:
    if client.last_used_at is None or now - client.last_used_at >= LAST_USE_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


_USABLE_KEY = CompiledLookup(
    lambda prefix: ApiClient.objects.get_usable_keys().filter(prefix=prefix)
)


def usable_key(key: str) -> ApiClient | None:
    """The unrevoked key `key` is, or None: `ApiClient.objects.get_from_key` (the
    prefix's unrevoked key, then its hash checked) with the query compiled once per
    process (immigration/compiled.py); a gateway's key is read at every booking."""
    prefix, _, _ = key.partition(".")
    client = _USABLE_KEY.get(prefix)
    if client is None or not client.is_valid(key):
        return None
    return client


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <key>`: the caller is the ApiClient (`request.auth`), not a
    user. A key that is unknown, revoked or expired is refused with 401 (the same answer
    for each, so a guess learns nothing); a request without credentials is 401 too, with
    `WWW-Authenticate: Api-Key`, because this class comes first in the list."""

    keyword = KeyParser.keyword

    def authenticate(self, request):
        key = KeyParser().get(request)
        if not key:
            return None
        client = usable_key(key)
        if client is None or client.has_expired:
            raise AuthenticationFailed(_("This API key is unknown, revoked or expired."))
        _record_use(client, timezone.now())
        return AnonymousUser(), client

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


def api_client(request) -> ApiClient | None:
    """The key a DRF request authenticated with, if any."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiClient) else None


def staff_or_key(scope: str, staff_permission: str) -> type[BasePermission]:
    """A permission class: a logged-in staff user with an office (or headquarters)
    holding `staff_permission` (offices/roles.py: the same right the admin and the desk
    pages ask), or a valid API key holding `scope`. Sets `request.caller`."""

    class StaffOrScopedKey(BasePermission):
        message = f"Staff login or an API key with the '{scope}' scope is required."

        def has_permission(self, request, view):
            client = api_client(request)
            if client is not None:
                if not client.has_scope(scope):
                    return False
                request.caller = Caller(client=client)
                return True
            user = request.user
            if may(user, staff_permission) and offices_for_user(user).exists():
                request.caller = Caller(user=user)
                return True
            return False

    StaffOrScopedKey.__name__ = f"StaffOrKey_{scope.replace(':', '_')}"
    StaffOrScopedKey.required_scope = scope
    StaffOrScopedKey.staff_permission = staff_permission
    return StaffOrScopedKey


def key_with(scope: str) -> type[BasePermission]:
    """A permission class: a valid API key holding `scope`, and nothing else (no staff
    session: an endpoint for integrators' machines, such as the WhatsApp gateway, is
    not a browser's to call, and a logged-in officer must not speak as an applicant).
    Sets `request.caller`; the key's office bounds what it may act on."""

    class ScopedKey(BasePermission):
        message = f"An API key with the '{scope}' scope is required."

        def has_permission(self, request, view):
            client = api_client(request)
            if client is None or not client.has_scope(scope):
                return False
            request.caller = Caller(client=client)
            return True

    ScopedKey.__name__ = f"Key_{scope.replace(':', '_')}"
    ScopedKey.required_scope = scope
    return ScopedKey
