"""API keys: stored hashed, scoped, optionally tied to one office, revocable in the
admin, their last use recorded; every refusal in the API's error shape."""

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from bookings.tests.factories import book
from offices.models import ApiClient, Office, OfficerProfile

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
LIST = "/api/v1/offices/{office}/bookings/?date=2026-12-07"


def _key(**kwargs) -> tuple[ApiClient, dict]:
    kwargs.setdefault("name", "kiosk")
    kwargs.setdefault("scopes", ["bookings:read", "desk"])
    client, key = ApiClient.objects.create_key(**kwargs)
    return client, {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    return response.json()["error"]


def test_only_a_hash_of_the_key_is_stored():
    client, auth = _key()
    key = auth["HTTP_AUTHORIZATION"].removeprefix("Api-Key ")
    stored = ApiClient.objects.filter(pk=client.pk).values().get()
    assert key not in str(stored)
    assert key.startswith(client.prefix)


def test_a_working_key_reads_its_office(client):
    _c, auth = _key(office=Office.objects.get(code="tangerang"))
    assert client.get(LIST.format(office="tangerang"), **auth).status_code == 200


def test_a_revoked_key_is_401_in_the_error_shape(client):
    api_client, auth = _key()
    assert client.get(LIST.format(office="tangerang"), **auth).status_code == 200
    ApiClient.objects.filter(pk=api_client.pk).update(revoked=True)
    error = _error(client.get(LIST.format(office="tangerang"), **auth), 401)
    assert error["code"] == "authentication_failed"


def test_an_expired_key_is_401(client):
    _c, auth = _key(expiry_date=NOW)
    with time_machine.travel(NOW - dt.timedelta(minutes=1), tick=False):
        assert client.get(LIST.format(office="tangerang"), **auth).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        assert _error(client.get(LIST.format(office="tangerang"), **auth), 401)["code"] == (
            "authentication_failed"
        )


def test_a_key_without_the_scope_is_403(client):
    _c, auth = _key(scopes=["payments:confirm"])
    error = _error(client.get(LIST.format(office="tangerang"), **auth), 403)
    assert error["code"] == "permission_denied"


def test_a_key_tied_to_office_a_finds_nothing_of_office_b(client):
    with time_machine.travel(NOW, tick=False):
        theirs = book(Office.objects.get(code="batam"), now=NOW)
    _c, auth = _key(office=Office.objects.get(code="tangerang"), scopes=["bookings:read", "desk"])
    assert _error(client.get(LIST.format(office="batam"), **auth), 404)["code"] == "not_found"
    submission = {"fee": "paspor-biasa-48", "billing_code": "820261234567890", "counter": 1}
    for step, body in [
        ("ready", {}),
        ("collected", {}),
        ("staff-cancel", {}),
        ("submission", submission),
    ]:
        response = client.post(
            f"/api/v1/bookings/{theirs.code}/{step}/", body, content_type="application/json", **auth
        )
        assert _error(response, 404)["code"] == "not_found"
        assert theirs.name not in response.content.decode()
    listed = client.post(
        "/api/v1/offices/batam/priority-tickets/",
        {"category": "elderly"},
        content_type="application/json",
        **auth,
    )
    assert _error(listed, 404)["code"] == "not_found"


def test_the_last_use_is_recorded_at_most_once_a_minute(client):
    api_client, auth = _key()
    assert api_client.last_used_at is None
    with time_machine.travel(NOW, tick=False):
        client.get(LIST.format(office="tangerang"), **auth)
    api_client.refresh_from_db()
    assert api_client.last_used_at == NOW
    with time_machine.travel(NOW + dt.timedelta(seconds=30), tick=False):
        client.get(LIST.format(office="tangerang"), **auth)
    api_client.refresh_from_db()
    assert api_client.last_used_at == NOW
    later = NOW + dt.timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        client.get("/api/v1/offices/", **auth)
    api_client.refresh_from_db()
    assert api_client.last_used_at == later


def test_headquarters_revokes_keys_in_the_admin_and_they_stop_working(client):
    api_client, auth = _key()
    client.force_login(User.objects.create_superuser("hq", password="x"))
    response = client.post(
        reverse("admin:offices_apiclient_changelist"),
        {"action": "revoke_keys", "_selected_action": [api_client.pk]},
    )
    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.revoked
    client.logout()
    assert _error(client.get(LIST.format(office="tangerang"), **auth), 401)


def test_an_officer_cannot_see_or_change_keys_even_with_the_permissions(client):
    api_client, _auth = _key()
    officer = User.objects.create_user("tgr", password="x", is_staff=True)
    OfficerProfile.objects.create(user=officer, office=Office.objects.get(code="tangerang"))
    officer.user_permissions.set(Permission.objects.filter(content_type__model="apiclient"))
    client.force_login(officer)
    assert client.get(reverse("admin:offices_apiclient_changelist")).status_code == 403
    change = reverse("admin:offices_apiclient_change", args=[api_client.pk])
    assert client.get(change).status_code == 403
    assert client.post(change, {"name": "mine", "scopes": '["desk"]'}).status_code == 403
    api_client.refresh_from_db()
    assert api_client.name == "kiosk"
